"""The whole API fuzzed from its own OpenAPI document with schemathesis, as a visitor, a resident and an admin."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from litestar import Litestar
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from newsplus.app import create_app
from newsplus.cli import demo_settings
from newsplus.districts.scope import district_scope
from newsplus.runtime import Newsplus
from newsplus.testing import running, sms_codes
from newsplus.users import accounts, auth

EXAMPLES = int(os.environ.get("NEWSPLUS_FUZZ_EXAMPLES", "3"))
"""Cases per operation and generation mode (positive, and negative where the operation has something to break)."""
SUMMARY = os.environ.get("NEWSPLUS_FUZZ_SUMMARY")
"""A file to write the run's figures and findings to as JSON (they are printed too: see them with -s or -rP)."""
SEED = os.environ.get("NEWSPLUS_FUZZ_SEED")
"""A Hypothesis seed for a different run; without it every run draws the same cases."""

ACTORS = ("anonymous", "resident", "admin")
RESIDENTS = ("13800200000", "13800200001", "13800200002", *(f"1380020009{i}" for i in range(5)))
"""王秀英 of the demo (who has applications and bookings), then residents in reserve (one code, one session)."""
API = ("/api/", "/open311/")
STREAM = "GET /api/v1/me/notifications/stream"
# Operations that can end the caller's own session or powers run last, so the rest is fuzzed signed in.
LAST = (
    "DELETE /api/v1/users/{user_id}/grants/{role}",
    "DELETE /api/v1/me/sessions/{session_id}",
    "POST /api/v1/auth/logout",
    "DELETE /api/v1/me",
    "POST /logout",
    "POST /me/delete",
)
CHECKS = {
    "not_a_server_error": not_a_server_error,
    "status_code_conformance": status_code_conformance,
    "content_type_conformance": content_type_conformance,
    "response_schema_conformance": response_schema_conformance,
}
# The error answers any route can give: its guard (401, 403), a row that is not there (404), a state that
# forbids the step (409), a limit (429). create_app declares them on every API route.
ERRORS = {401, 403, 404, 409, 429}
# Operations whose mismatches are known and pinned by a test of their own (none at present).
KNOWN_MISMATCHES: dict[str, str] = {}
# Staff steps the desk APIs take in their path (wenzheng inquiries, services applications, govinfo notices).
ACTIONS = (
    "accept",
    "reject",
    "dispatch",
    "sign",
    "progress",
    "reply",
    "return",
    "close",
    "merge",
    "deadline",
    "request_info",
    "approve",
    "complete",
)
OPEN311 = ("discovery.json", "discovery.xml", "services.json", "requests.json")


# -- the app under test -------------------------------------------------------------------------------------


@dataclass
class Site:
    app: Litestar
    tokens: dict[str, list[str]]
    """Each actor's session tokens: the first in use, the others in reserve for when fuzzing ends a session."""


def demo_app(folder: Path) -> Site:
    """The Changping reference app (every plugin) on a fresh SQLite file, its demo data, and signed-in callers."""
    newsplus = Newsplus(demo_settings(str(folder / "fuzz.sqlite3")))
    app = create_app(newsplus=newsplus)
    newsplus.serving = False  # no background loops: the fuzzer's requests are all that runs

    async def seed_and_sign_in() -> dict[str, list[str]]:
        async with running(app):
            with district_scope(newsplus.districts.primary):
                for step in newsplus.collect("register_demo_data"):
                    if step.__name__ != "seed_history":  # 1,670 old inquiries add time, not routes
                        await step(newsplus)
                residents = []
                for phone in RESIDENTS:
                    await auth.send_login_code(newsplus, phone, address="setup")
                    code = [c for p, c in sms_codes(app) if p == phone][-1]
                    residents.append((await auth.login_with_code(newsplus, phone, code, address="setup"))[0])
                # The fuzzer may take the admin role from the demo's admin (an admin may), so a second one waits.
                await accounts.create_staff(newsplus, "admin2", "changping-demo", roles=("admin",))
                admins = [
                    (await auth.login_with_password(newsplus, name, "changping-demo", address="setup"))[0]
                    for name in ("admin", "admin", "admin", "admin2", "admin2", "admin2")
                ]
        return {"anonymous": [], "resident": residents, "admin": admins}

    return Site(app=app, tokens=asyncio.run(seed_and_sign_in()))


# -- what the fuzzer saw --------------------------------------------------------------------------------------


@dataclass
class Finding:
    check: str
    operation: str
    status: int
    title: str
    detail: str
    request: str
    origin: str = ""


@dataclass
class Run:
    actor: str
    operations: list[str] = field(default_factory=list)
    cases: Counter = field(default_factory=Counter)
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    findings: list[Finding] = field(default_factory=list)
    renewed: list[str] = field(default_factory=list)
    unsatisfiable: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def answered_only(self, codes: set[int]) -> set[str]:
        """Operations every fuzzed request of which got one of these codes."""
        return {op for op, statuses in self.statuses.items() if statuses and set(statuses) <= codes}

    def examples(self, *checks: str, skip: tuple[str, ...] = ()) -> list[Finding]:
        """One finding per check, operation and status, to reproduce."""
        seen, kept = set(), []
        for finding in self.findings:
            key = (finding.check, finding.operation, finding.status)
            if finding.check in checks and finding.operation not in skip and key not in seen:
                seen.add(key)
                kept.append(finding)
        return kept

    def summary(self) -> dict[str, Any]:
        failures: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        for finding in self.findings:
            failures[finding.check][finding.operation][finding.status] += 1
        return {
            "operations": len(self.operations),
            "cases": dict(self.cases),
            "seconds": round(sum(self.seconds.values()), 1),
            "slowest": dict(sorted(self.seconds.items(), key=lambda item: -item[1])[:5]),
            "statuses": dict(sorted(sum(self.statuses.values(), Counter()).items())),
            "failures": {
                check: {op: dict(sorted(statuses.items())) for op, statuses in sorted(ops.items())}
                for check, ops in sorted(failures.items())
            },
            "server_errors": [
                {"operation": f.operation, "status": f.status, "request": f.request, "origin": f.origin}
                for f in self.examples("not_a_server_error")
            ],
            "sessions_renewed_after": self.renewed,
            "negative_mode_unsatisfiable": self.unsatisfiable,
        }


class ServerLog(logging.Handler):
    """Keeps the tracebacks the app logs for unexpected failures, to say where a 5xx came from."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def origin(self) -> str:
        """Where the latest logged failure was raised: our innermost frame, the exception and its message."""
        if not self.records:
            return "nothing logged"
        record = self.records[-1]
        if not record.exc_info or record.exc_info[1] is None:
            return record.getMessage()
        exc = record.exc_info[1]
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if "/src/newsplus" in f.filename or "/examples/" in f.filename] or frames
        where = f"{ours[-1].filename.split('/src/')[-1]}:{ours[-1].lineno} in {ours[-1].name}" if ours else "?"
        return f"{type(exc).__name__}: {exc} (raised at {where})"


# -- real values for path parameters ---------------------------------------------------------------------


class Pool:
    """Slugs, tokens and ids seen in the API's answers, so fuzzed paths also reach rows that exist."""

    KEYS = ("slug", "token", "id", "number", "category", "code", "service_code", "service_request_id", "role")

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = defaultdict(list)

    def record(self, document: Any, depth: int = 0) -> None:
        if depth > 6:
            return
        if isinstance(document, list):
            for item in document[:30]:
                self.record(item, depth + 1)
        elif isinstance(document, dict):
            for key, value in document.items():
                if isinstance(value, (dict, list)):
                    self.record(value, depth + 1)
                elif (key in self.KEYS or key.endswith("_id")) and isinstance(value, (str, int)) and value != "":
                    known = self.values[key]
                    if value not in known and len(known) < 60:
                        known.append(value)

    def choices(self, name: str, schema: dict[str, Any]) -> list[Any]:
        """Known values for a path parameter of this name and type."""
        if name == "action":
            return list(ACTIONS)
        if name == "name":
            seen = [v for k in ("service_code", "service_request_id", "token") for v in self.values[k]]
            return [*OPEN311, *(f"{v}.json" for v in seen)]
        keys = {
            "slug": ("slug",),
            "token": ("token",),
            "category": ("category", "code", "slug"),
            "resource": ("slug",),
            "role": ("role",),
            "number": ("number",),
        }.get(name, (name, "id") if name.endswith("_id") else ())
        wanted = int if schema.get("type") == "integer" else str
        return sorted({v for k in keys for v in self.values[k] if type(v) is wanted}, key=str)


# -- the fuzzer ------------------------------------------------------------------------------------------------


def negatable(operation: Any) -> bool:
    """Whether negative cases exist: a body, or a parameter whose schema a value can break (not a bare string)."""
    if len(operation.body):
        return True
    for parameter in operation.iter_parameters():
        schema = parameter.definition.get("schema", {})
        if parameter.definition.get("in") == "query" and parameter.is_required:
            return True
        if schema.get("type", "object") != "string" or {"format", "pattern", "enum", "minLength"} & set(schema):
            return True
    return False


class Fuzzer:
    """Drives schemathesis: one Hypothesis run per operation and generation mode, each answer checked."""

    def __init__(self, site: Site, schema: Any, log: ServerLog) -> None:
        self.site, self.schema, self.log, self.pool = site, schema, log, Pool()
        everything = sorted(
            (result.ok() for result in schema.get_all_operations()),
            key=lambda op: LAST.index(op.label) + 1 if op.label in LAST else 0,
        )
        self.api = [op for op in everything if op.path.startswith(API)]
        self.pages = [op for op in everything if not op.path.startswith(API)]
        self.me = schema["/api/v1/me"]["GET"]
        self.csrf = self._csrf_token()

    def _csrf_token(self) -> str:
        """The CSRF cookie a browser gets with its first page, sent back as the header forms would carry."""
        home = self.schema["/"]["GET"].Case().call()
        cookies = [c for c in home.headers.get("set-cookie", []) if c.startswith("newsplus_csrf=")]
        return cookies[0].split(";")[0].split("=", 1)[1]

    def credentials(self, actor: str, page: bool) -> dict[str, Any]:
        """What the actor sends: a bearer token to the API; to pages the session and CSRF cookies of a browser."""
        tokens = self.site.tokens[actor]
        if not page:
            return {"headers": {"Authorization": f"Bearer {tokens[0]}"} if tokens else {}}
        cookies = {"newsplus_csrf": self.csrf, **({"newsplus_session": tokens[0]} if tokens else {})}
        return {"headers": {"Accept": "text/html", "x-csrftoken": self.csrf}, "cookies": cookies}

    def signed_in(self, actor: str) -> bool:
        """Whether the actor's token still works (and the admin is still an admin)."""
        answer = self.me.Case().call(**self.credentials(actor, page=False))
        return answer.status_code == 200 and (actor != "admin" or "admin" in answer.json()["roles"])

    def warm_up(self) -> None:
        """Read every list the API offers to a resident and an admin once, so the pool holds real keys."""
        for actor in ("admin", "resident"):
            for operation in self.api:
                if operation.method == "get" and not any(p.is_required for p in operation.iter_parameters()):
                    answer = operation.Case().call(**self.credentials(actor, page=False), timeout=1)
                    if answer.status_code == 200 and "json" in answer.headers.get("content-type", [""])[0]:
                        self.pool.record(answer.json())

    def run(self, actor: str, operations: list[Any], page: bool = False) -> Run:
        run = Run(actor)
        if actor != "anonymous":
            self.renew(actor, "an earlier run", run)
        for operation in operations:
            started = time.monotonic()
            run.operations.append(operation.label)
            # A form's fields are all text on the wire: pages get positive cases only.
            modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if negatable(operation) and not page else [])
            for mode in modes:
                try:
                    self.fuzz(operation, mode, actor, run, page)
                except Unsatisfiable:
                    run.unsatisfiable.append(operation.label)
            if actor != "anonymous" and (operation.label in LAST or run.statuses[operation.label].keys() & {401, 403}):
                self.renew(actor, operation.label, run)
            run.seconds[operation.label] = round(time.monotonic() - started, 2)
        return run

    def renew(self, actor: str, label: str, run: Run) -> None:
        """If fuzzing ended the actor's session (or powers), carry on with a reserve token."""
        while not self.signed_in(actor):
            run.renewed.append(label)
            self.site.tokens[actor].pop(0)
            assert self.site.tokens[actor], f"{actor} ran out of reserve sessions after {label}"

    def fuzz(self, operation: Any, mode: GenerationMode, actor: str, run: Run, page: bool) -> None:
        strategy = operation.as_strategy(generation_mode=mode)
        parameters = {p.name: p.definition.get("schema", {}) for p in operation.path_parameters}

        @given(data=st.data())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=SEED is None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        def one_case(data: st.DataObject) -> None:
            case = data.draw(strategy, label="case")
            if parameters and data.draw(st.booleans(), label="known values"):
                for name, schema in parameters.items():
                    known = self.pool.choices(name, schema)
                    if known:
                        case.path_parameters[name] = data.draw(st.sampled_from(known), label=name)
            self.send(case, operation, mode, actor, run, page)

        if SEED is not None:
            one_case = seed(int(SEED))(one_case)
        one_case()

    def send(self, case: Any, operation: Any, mode: GenerationMode, actor: str, run: Run, page: bool) -> None:
        credentials = self.credentials(actor, page)
        run.cases[mode.value] += 1
        self.log.records.clear()
        try:
            # An event stream stays open: what it sent in its first second is its answer.
            response = case.call(**credentials, timeout=1 if operation.label == STREAM else 30)
        except Exception as exc:  # the app broke off instead of answering: a server error all the same
            run.findings.append(
                Finding(
                    "not_a_server_error",
                    operation.label,
                    0,
                    "no answer",
                    repr(exc),
                    case.as_curl_command(headers=credentials["headers"]),
                    self.log.origin(),
                )
            )
            return
        run.statuses[operation.label][response.status_code] += 1
        if response.status_code < 300 and "json" in response.headers.get("content-type", [""])[0]:
            try:
                self.pool.record(response.json())
            except ValueError:
                pass
        # Pages are for browsers: what matters there is that no address breaks them.
        for name, check in CHECKS.items() if not page else [("not_a_server_error", not_a_server_error)]:
            try:
                case.validate_response(response, checks=[check], headers=credentials["headers"])
            except FailureGroup as group:
                for failure in group.exceptions:
                    run.findings.append(
                        Finding(
                            check=name,
                            operation=operation.label,
                            status=response.status_code,
                            title=failure.title,
                            detail=f"{failure.message}\n{response.content[:300].decode(errors='replace')}",
                            request=case.as_curl_command(headers=credentials["headers"]),
                            origin=self.log.origin() if response.status_code >= 500 else "",
                        )
                    )


# -- fixtures ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzer]:
    """The demo app served in-process to schemathesis, its schema loaded from /schema/openapi.json."""
    with pytest.MonkeyPatch.context() as patch:
        # Light Argon2 for the demo's staff and the staff the fuzzer creates (as the light_passwords fixture does).
        patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        site = demo_app(tmp_path_factory.mktemp("fuzz"))
        log = ServerLog()
        logging.getLogger("newsplus").addHandler(log)
        try:
            fuzzer = Fuzzer(site, schemathesis.openapi.from_asgi("/schema/openapi.json", site.app), log)
            fuzzer.warm_up()
            yield fuzzer
        finally:
            logging.getLogger("newsplus").removeHandler(log)
            shutdown_lifespans()


RUNS: dict[str, dict[str, Run]] = {"api": {}, "pages": {}}


def report(fuzzer: Fuzzer, part: str, actor: str) -> None:
    """Print this run's figures; write every run's so far to NEWSPLUS_FUZZ_SUMMARY."""
    print(f"\nschemathesis, {part} as {actor}:", json.dumps(RUNS[part][actor].summary(), ensure_ascii=False, indent=1))
    if SUMMARY:
        document = {
            "examples_per_operation_and_mode": EXAMPLES,
            "seed": SEED,
            "operations": {"api": len(fuzzer.api), "pages": len(fuzzer.pages)},
            "pool": {k: len(v) for k, v in fuzzer.pool.values.items() if v},
            **{p: {a: r.summary() for a, r in runs.items()} for p, runs in RUNS.items()},
        }
        Path(SUMMARY).write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.fixture(scope="module", params=ACTORS)
def fuzzed(request: pytest.FixtureRequest, fuzzer: Fuzzer) -> Run:
    """Every JSON API operation (and Open311) fuzzed as this actor, once per module."""
    if request.param not in RUNS["api"]:
        RUNS["api"][request.param] = fuzzer.run(request.param, fuzzer.api)
        report(fuzzer, "api", request.param)
    return RUNS["api"][request.param]


@pytest.fixture(scope="module", params=ACTORS)
def fuzzed_pages(request: pytest.FixtureRequest, fuzzer: Fuzzer) -> Run:
    """Every page (GET, and form POSTs with the CSRF token a browser has) fuzzed as this actor."""
    if request.param not in RUNS["pages"]:
        RUNS["pages"][request.param] = fuzzer.run(request.param, fuzzer.pages, page=True)
        report(fuzzer, "pages", request.param)
    return RUNS["pages"][request.param]


def described(findings: list[Finding], limit: int = 30) -> str:
    return "\n\n".join(
        f"{f.check} {f.operation} -> {f.status}: {f.title}\n{f.request}\n{f.detail[:500]}"
        + (f"\norigin: {f.origin}" if f.origin else "")
        for f in findings[:limit]
    )


# -- the API -----------------------------------------------------------------------------------------------------

LOGINS = {"POST /api/v1/auth/login/code", "POST /api/v1/auth/login/password"}  # 401 for wrong codes and passwords


def test_fuzzing_reaches_every_operation_and_gets_past_sign_in(fuzzed: Run, fuzzer: Fuzzer) -> None:
    assert len(fuzzed.operations) == len(fuzzer.api) > 150
    assert fuzzed.cases["positive"] >= len(fuzzer.api)
    assert {op for op, statuses in fuzzed.statuses.items() if statuses} == set(fuzzed.operations)
    if fuzzed.actor == "anonymous":
        assert "GET /api/v1/me" in fuzzed.answered_only({401})
        assert fuzzed.statuses["GET /api/v1/activities"][200] >= 1
    elif fuzzed.actor == "resident":  # signed in: only the desk turns the resident away
        assert fuzzed.answered_only({401}) <= LOGINS
        assert fuzzed.statuses["GET /api/v1/services/applications/mine"][200] >= 1
        assert set(fuzzed.statuses["GET /api/v1/wenzheng/queue"]) == {403}
    else:  # the admin reaches every handler, the desk's too (the 问政 callback wants the platform's signature)
        refused = {"POST /api/v1/wenzheng/callback", "DELETE /api/v1/me"}  # staff are removed by an administrator
        assert fuzzed.answered_only({401, 403}) <= LOGINS | refused
        assert fuzzed.statuses["GET /api/v1/wenzheng/queue"][200] >= 1


def test_no_fuzzed_request_makes_the_server_fail(fuzzed: Run) -> None:
    errors = fuzzed.examples("not_a_server_error")
    assert not errors, described(errors)


def test_every_answer_has_the_documented_content_type_and_shape(fuzzed: Run) -> None:
    mismatches = fuzzed.examples(
        "content_type_conformance", "response_schema_conformance", skip=tuple(KNOWN_MISMATCHES)
    )
    assert not mismatches, described(mismatches)


def test_the_only_undocumented_status_codes_are_the_error_answers_every_route_can_give(fuzzed: Run) -> None:
    unexpected = [f for f in fuzzed.examples("status_code_conformance") if f.status not in ERRORS]
    assert not unexpected, described(unexpected)


def test_every_status_code_the_api_answers_with_is_documented(fuzzed: Run) -> None:
    undocumented = fuzzed.examples("status_code_conformance")
    assert not undocumented, described(undocumented)


# -- pages -------------------------------------------------------------------------------------------------------


def test_no_fuzzed_page_address_or_form_makes_the_server_fail(fuzzed_pages: Run, fuzzer: Fuzzer) -> None:
    assert len(fuzzed_pages.operations) == len(fuzzer.pages) > 100
    errors = fuzzed_pages.examples("not_a_server_error")
    assert not errors, described(errors)


# -- what the fuzzer found, pinned -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi(fuzzer: Fuzzer) -> dict[str, Any]:
    return fuzzer.schema.raw_schema


def test_the_notification_stream_is_documented_as_an_event_stream(openapi: dict[str, Any]) -> None:
    documented = openapi["paths"]["/api/v1/me/notifications/stream"]["get"]["responses"]["200"]["content"]
    assert list(documented) == ["text/event-stream"]


def test_answers_without_a_body_are_documented_without_one(openapi: dict[str, Any]) -> None:
    with_body = [
        f"{method.upper()} {path}"
        for path, methods in openapi["paths"].items()
        for method, operation in methods.items()
        if isinstance(operation, dict) and operation.get("responses", {}).get("204", {}).get("content")
    ]
    assert not with_body


def test_open311_is_left_to_its_own_specification(openapi: dict[str, Any]) -> None:
    # GeoReport v2 defines its answers (JSON or XML by the address, its own errors); the Open311 suite checks them.
    assert not [path for path in openapi["paths"] if path.startswith("/open311/")]
