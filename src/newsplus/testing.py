"""The test kit: ``make_app(plugins=[...])`` on a fresh database, and pytest fixtures (a pytest11 plugin).

Every test that takes the ``newsplus_database_url`` fixture (directly or through ``newsplus_app``) runs twice: on a
fresh SQLite file and on a fresh PostgreSQL schema. PostgreSQL comes from ``NEWSPLUS_TEST_POSTGRES``
(default ``postgresql://postgres@127.0.0.1:5432/test``); when it cannot be reached those runs are skipped
with the reason shown, unless ``NEWSPLUS_REQUIRE_POSTGRES=1`` (CI), where they fail instead.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import secrets
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from litestar import Litestar

from newsplus.app import create_app
from newsplus.runtime import Newsplus
from newsplus.settings import Settings, settings_from_dict

__all__ = [
    "HTML",
    "bearer",
    "browse_as",
    "call",
    "http_scope",
    "login_resident",
    "login_staff",
    "make_app",
    "make_settings",
    "page_text",
    "postgres_schema",
    "process_tree",
    "running",
    "serving",
    "sms_codes",
    "submit_form",
    "view",
]

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def make_settings(database_url: str, plugins: Sequence[str] = (), settings: dict[str, Any] | None = None) -> Settings:
    """Settings for a test app: the given database (migrated on start) and any other settings tables."""
    raw: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in (settings or {}).items()}
    raw.setdefault("site", {}).setdefault("secret", "test-secret-" + secrets.token_hex(8))
    raw["site"].setdefault("media", tempfile.mkdtemp(prefix="newsplus-media-"))
    raw.setdefault("database", {}).update(url=database_url, auto_migrate=True)
    plugin_tables = raw.pop("plugins", {})
    # Tests deliver events and run jobs by hand (deliver_pending, run_due) unless they ask for the loops.
    plugin_tables.setdefault("events", {}).setdefault("background", False)
    plugin_tables.setdefault("content", {}).setdefault("view_flush_seconds", 0)
    raw["plugins"] = {"enabled": list(plugins), **plugin_tables}
    return settings_from_dict(raw, environ={})


def make_app(
    plugins: Sequence[Any] = (), *, database_url: str | None = None, settings: dict[str, Any] | None = None
) -> Litestar:
    """An app with exactly these plugins (names or modules) on a database migrated at start-up.

    Without ``database_url`` a fresh SQLite file in a temporary folder is used. ``settings`` holds settings
    tables as in newsplus.toml: ``{"site": {"name": "x"}, "plugins": {"wenzheng": {...}}}``.
    """
    if database_url is None:
        database_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='newsplus-')) / 'test.sqlite3'}"
    names = [p for p in plugins if isinstance(p, str)]
    return create_app(newsplus=Newsplus(make_settings(database_url, names, settings), list(plugins)))


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[Newsplus]:
    """Run an app's start-up and shut-down around a block, in the current event loop."""
    newsplus: Newsplus = app.state.newsplus
    for hook in app.on_startup:
        await hook()
    try:
        yield newsplus
    finally:
        for hook in app.on_shutdown:
            await hook()


async def query_plans(folder: Path, *queries: Callable[[], Any], plugins: Sequence[Any] = ()) -> list[str]:
    """SQLite's plan (``EXPLAIN QUERY PLAN``, one line) for each query ``queries`` make in the primary district
    of a migrated app: for tests that a query reads the index meant for it, not every row."""
    from newsplus.districts.scope import district_scope

    path = folder / "plan.sqlite3"
    async with running(make_app(plugins, database_url=f"sqlite:///{path}")) as newsplus:
        with district_scope(newsplus.districts.primary):
            compiled = [make().querystrings[0].compile_string("sqlite") for make in queries]
    with sqlite3.connect(path) as connection:
        return [
            " ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", args)) for sql, args in compiled
        ]


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (from /proc), such as a server's workers."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def sms_codes(app: Litestar) -> list[tuple[str, str]]:
    """(phone, code) of every SMS the development channel has sent, oldest first."""
    found = []
    for channel in app.state.newsplus.channels:
        for message in getattr(channel, "sent", ()):
            match = re.search(r"验证码\s*(\d+)", message.body)
            if match:
                found.append((message.to, match.group(1)))
    return found


def http_scope(method: str, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The ASGI scope of one HTTP request to ``path``, for tests that drive the app by hand (a client that goes
    away, an answer that never ends)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 80),
        "state": {},
    }


def call(client: Any, function: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    """Run an async function in a TestClient's event loop, inside the site's district (to set up data)."""
    from newsplus.districts.scope import district_scope

    newsplus: Newsplus = client.app.state.newsplus

    async def scoped() -> Any:
        with district_scope(newsplus.districts.primary):
            return await function(*args, **kwargs)

    return client.blocking_portal.call(scoped)


def login_staff(
    client: Any,
    username: str = "staff",
    *,
    roles: Sequence[str] = ("admin",),
    department: int | None = None,
    password: str = "correct-horse-battery",
) -> str:
    """Create a staff account with these roles, sign it in over the API; return its bearer token."""
    from newsplus.users.accounts import create_staff

    call(client, create_staff, client.app.state.newsplus, username, password, roles=tuple(roles), department=department)
    response = client.post("/api/v1/auth/login/password", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def login_resident(client: Any, phone: str = "13800138000") -> str:
    """Sign a resident in with a code over the API (creating the account); return the bearer token."""
    sent = client.post("/api/v1/auth/code", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    code = [c for p, c in sms_codes(client.app) if p == phone][-1]
    response = client.post("/api/v1/auth/login/code", json={"phone": phone, "code": code})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


# -- pages, as a browser uses them ---------------------------------------------------------------------

HTML = {"Accept": "text/html", "Accept-Language": "en"}
"""Headers of a browser asking for a page (in English, so tests can read the words)."""


def browse_as(client: Any, token: str | None) -> None:
    """Browse with this session cookie (None: anonymously)."""
    if token is None:
        client.cookies.delete("newsplus_session")
    else:
        client.cookies.set("newsplus_session", token)


def view(client: Any, url: str, token: str | None = None, status: int = 200) -> str:
    """GET a page as a browser does and return its HTML, checking its status."""
    browse_as(client, token)
    response = client.get(url, headers=HTML)
    assert response.status_code == status, (url, response.status_code, response.text[:3000])
    return response.text


def submit_form(
    client: Any, url: str, data: dict, token: str | None = None, *, files: Any = None, follow: bool = True
) -> Any:
    """POST a form with the CSRF token every page's forms carry (the home page sets the cookie first)."""
    browse_as(client, token)
    if not client.cookies.get("newsplus_csrf"):
        client.get("/", headers=HTML)
    data = {**data, "_csrf_token": client.cookies.get("newsplus_csrf")}
    return client.post(url, data=data, files=files, headers=HTML, follow_redirects=follow)


def page_text(page: str) -> str:
    """The text a person reads on a page: tags dropped, entities decoded, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S))
    return re.sub(r"\s+", " ", html.unescape(without_tags)).strip()


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[str]:
    """Serve an app over real HTTP on a free local port for the block; yield its base address."""
    import socket

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


# -- PostgreSQL ------------------------------------------------------------------------------------------

_reachable: dict[str, str | None] = {}


def _postgres_problem(url: str) -> str | None:
    if url not in _reachable:

        async def probe() -> None:
            import asyncpg

            connection = await asyncio.wait_for(asyncpg.connect(url), timeout=5)
            await connection.close()

        try:
            asyncio.run(probe())
            _reachable[url] = None
        except Exception as exc:  # any failure to connect is a reason to skip
            _reachable[url] = f"PostgreSQL not reachable at {url}: {exc.__class__.__name__}: {exc}"
    return _reachable[url]


@asynccontextmanager
async def postgres_schema(url: str) -> AsyncIterator[str]:
    """A fresh schema in the PostgreSQL database at ``url``; yields a URL that uses it, then drops it."""
    import asyncpg

    schema = f"t_{secrets.token_hex(6)}"
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
        parts = urlsplit(url)
        query = "&".join(filter(None, [parts.query, f"search_path={schema}"]))
        yield urlunsplit(parts._replace(query=query))
    finally:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()


# -- pytest fixtures -------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def newsplus_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: an SQLite file, then a PostgreSQL schema (skipped with a reason when unreachable)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    url = os.environ.get("NEWSPLUS_TEST_POSTGRES", DEFAULT_POSTGRES)
    problem = _postgres_problem(url)
    if problem:
        if os.environ.get("NEWSPLUS_REQUIRE_POSTGRES") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    manager = postgres_schema(url)
    loop = asyncio.new_event_loop()
    try:
        yield loop.run_until_complete(manager.__aenter__())
    finally:
        loop.run_until_complete(manager.__aexit__(None, None, None))
        loop.close()


@pytest.fixture
def light_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords with light Argon2 parameters in this test (the real ones cost ~0.3 s per account)."""
    from argon2 import PasswordHasher

    from newsplus.users import auth

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def newsplus_app(newsplus_database_url: str):
    """A factory: ``newsplus_app([plugins], settings={...})`` builds an app on this test's database."""

    def factory(plugins: Sequence[Any] = (), settings: dict[str, Any] | None = None) -> Litestar:
        return make_app(plugins, database_url=newsplus_database_url, settings=settings)

    return factory
