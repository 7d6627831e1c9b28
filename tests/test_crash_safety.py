"""A real `newsplus serve` killed with SIGKILL or stopped with SIGTERM mid-load keeps every write it acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
NEWSPLUS = Path(sys.executable).parent / "newsplus"  # what `uv run newsplus` runs, without uv re-syncing
RESIDENTS = 12  # each may file 10 inquiries an hour per server process; 12 keep the load up past the signal
SIGNAL_AFTER = 30  # acknowledged writes before the signal is sent
SMS = re.compile(r"\[newsplus sms\] to (\d{11}): .*?验证码 (\d+)")
INQUIRIES = "/api/v1/wenzheng/inquiries"


# -- the deployment --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env() -> dict[str, str]:
    """The caller's environment without NEWSPLUS_* overrides; texts printed as UTF-8."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSPLUS_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


class Deployment:
    """One newsplus.toml on one database, served by real `newsplus serve` processes started one after another."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.url = database_url
        self.config = folder / "newsplus.toml"
        self.config.write_text(
            "\n".join(
                [
                    "[site]",
                    'secret = "crash-safety-secret"',
                    f"media = {json.dumps(str(folder / 'media'))}",
                    "[database]",
                    f"url = {json.dumps(database_url)}",
                    "auto_migrate = true",  # `serve` migrates once before it starts serving
                    "[plugins]",
                    'enabled = ["wenzheng"]',
                    "",
                ]
            ),
            encoding="utf-8",
        )
        self.log = folder / "serve.log"
        self.process: subprocess.Popen | None = None
        self.base = ""

    def start(self) -> str:
        """Start `newsplus serve` in its own process group and wait for /healthz; return the base address."""
        port = free_port()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(NEWSPLUS), "serve", "--config", str(self.config), "--port", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env=server_env(),
                start_new_session=True,
            )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.tail()}")
            with contextlib.suppress(httpx.TransportError):
                answer = httpx.get(f"{self.base}/healthz", timeout=2)
                if answer.status_code == 200 and answer.json() == {"status": "ok"}:
                    return self.base
            time.sleep(0.1)
        pytest.fail(f"no healthy answer within 60 s:\n{self.tail()}")

    def signal_group(self, signum: int) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL the whole process group, as the OOM killer or a pulled plug would."""
        self.signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Whatever is still running at the end of a test is killed."""
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]

    # -- reading the database directly ------------------------------------------------------------------

    def rows(self, sql: str) -> list[tuple]:
        if self.url.startswith("sqlite:///"):
            with contextlib.closing(sqlite3.connect(self.url.removeprefix("sqlite:///"))) as conn:
                return conn.execute(sql).fetchall()
        import asyncpg

        async def fetch() -> list[tuple]:
            connection = await asyncpg.connect(self.url)
            try:  # row-level security shows every district's rows to a connection that says "all"
                await connection.execute("SELECT set_config('newsplus.district', 'all', false)")
                return [tuple(r) for r in await connection.fetch(sql)]
            finally:
                await connection.close()

        return asyncio.run(fetch())


@pytest.fixture
def deployment(tmp_path: Path, newsplus_database_url: str):
    made = Deployment(tmp_path, newsplus_database_url)
    yield made
    made.stop()


@pytest.fixture
def sqlite_deployment(tmp_path: Path):
    """On SQLite only, for what does not depend on the database."""
    made = Deployment(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    yield made
    made.stop()


# -- residents and the load ------------------------------------------------------------------------------


def sign_in_residents(deployment: Deployment, count: int) -> dict[str, str]:
    """Residents sign in as in the app: ask for a code, read it off the SMS log the server prints, send it."""
    tokens = {}
    with httpx.Client(base_url=deployment.base, timeout=30) as http:
        for i in range(count):
            phone = f"139{i:08d}"
            assert http.post("/api/v1/auth/code", json={"phone": phone}).status_code == 202
            deadline = time.monotonic() + 10
            codes: list[str] = []
            while not codes and time.monotonic() < deadline:
                codes = [c for p, c in SMS.findall(deployment.tail(200_000)) if p == phone]
                time.sleep(0.02)
            assert codes, f"no SMS code for {phone} in the server's log"
            answer = http.post("/api/v1/auth/login/code", json={"phone": phone, "code": codes[-1]})
            assert answer.status_code == 200, answer.text
            tokens[phone] = answer.json()["token"]
    return tokens


@dataclass
class Load:
    """What the residents sent in one phase and what the server answered."""

    attempted: dict[str, str] = field(default_factory=dict)  # title -> phone
    acknowledged: dict[str, dict] = field(default_factory=dict)  # title -> {number, token, phone}
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # (title, status, body) other than 201
    cut: list[tuple[str, str]] = field(default_factory=list)  # (title, error) when the connection failed
    finished_after_signal: int = 0  # 201s that arrived after the signal was sent
    signalled_at: float = 0.0


async def file_inquiries(base: str, tokens: dict[str, str], load: Load, tag: str, send_signal, after: int) -> None:
    """Every resident files inquiries one after another (all residents at once) until the server is gone or
    their hourly quota is used; once ``after`` writes were acknowledged, ``send_signal`` is called."""
    reached = asyncio.Event()

    async def resident(http: httpx.AsyncClient, phone: str, token: str) -> None:
        for n in range(9):
            title = f"{tag}-{phone[-2:]}-{n}"
            load.attempted[title] = phone
            body = {
                "kind": "complaint",
                "category": "sanitation",
                "title": title,
                "body": f"{title}：小区门口的垃圾已经堆了三天，请尽快清运。",
                "public": True,
            }
            try:
                answer = await http.post(INQUIRIES, json=body, headers={"Authorization": f"Bearer {token}"})
            except httpx.TransportError as exc:
                load.cut.append((title, f"{type(exc).__name__}: {exc}"))
                return
            if answer.status_code != 201:
                load.refused.append((title, answer.status_code, answer.text[:300]))
                return
            made = answer.json()
            load.acknowledged[title] = {"number": made["number"], "token": made["token"], "phone": phone}
            if load.signalled_at:
                load.finished_after_signal += 1
            if len(load.acknowledged) >= after:
                reached.set()

    async def signaller() -> None:
        await reached.wait()
        load.signalled_at = time.monotonic()
        send_signal()

    limits = httpx.Limits(max_connections=len(tokens))
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        trigger = asyncio.create_task(signaller())
        await asyncio.gather(*(resident(http, phone, token) for phone, token in tokens.items()))
        if not trigger.done():  # the quota ran out before the threshold: a test setup problem
            trigger.cancel()
            pytest.fail(f"only {len(load.acknowledged)} writes acknowledged; refused: {load.refused[:3]}")


# -- what must hold after a restart ----------------------------------------------------------------------


def check_consistent(deployment: Deployment, loads: list[Load]) -> dict[str, int]:
    """The database is sound and holds every acknowledged write, each whole; return the figures of the
    last phase."""
    attempted = {title: phone for load in loads for title, phone in load.attempted.items()}
    acknowledged = {title: made for load in loads for title, made in load.acknowledged.items()}
    if deployment.url.startswith("sqlite:///"):
        assert deployment.rows("PRAGMA integrity_check") == [("ok",)]
        assert deployment.rows("PRAGMA foreign_key_check") == []
    inquiries = deployment.rows("SELECT id, title, number, token, status FROM wenzheng_inquiry")
    by_title = {title: (id_, number, token, status) for id_, title, number, token, status in inquiries}
    assert len(by_title) == len(inquiries), "an inquiry was stored twice"
    missing = sorted(set(acknowledged) - set(by_title))
    assert not missing, f"acknowledged but lost: {missing}"
    for title, made in acknowledged.items():
        _, number, token, _ = by_title[title]
        assert (number, token) == (made["number"], made["token"]), title
    unknown = sorted(set(by_title) - set(attempted))
    assert not unknown, f"stored but never sent: {unknown}"
    assert len({row[1] for row in by_title.values()}) == len(by_title), "one tracking number twice"
    # Each inquiry came with its first timeline entry and its event, or not at all.
    ids = sorted(row[0] for row in by_title.values())
    steps = deployment.rows("SELECT inquiry, action, to_status FROM wenzheng_step")
    assert sorted(s[0] for s in steps) == ids, "a half-written inquiry"
    assert {(s[1], s[2]) for s in steps} <= {("submit", "submitted")}
    assert {row[3] for row in by_title.values()} <= {"submitted"}
    events = deployment.rows("SELECT payload FROM events_event WHERE name = 'wenzheng.inquiry_changed'")
    assert sorted(json.loads(p)["inquiry_id"] for (p,) in events) == ids, "an inquiry without its event"
    orphans = deployment.rows(
        "SELECT count(*) FROM events_delivery d LEFT JOIN events_event e ON e.id = d.event WHERE e.id IS NULL"
    )
    assert orphans == [(0,)]
    last = loads[-1]
    return {
        "sent": len(last.attempted),
        "acknowledged": len(last.acknowledged),
        "found": len(set(last.acknowledged) & set(by_title)),
        "stored though unacknowledged": len((set(last.attempted) - set(last.acknowledged)) & set(by_title)),
        "cut off": len(last.cut),
    }


def check_owners_see_their_writes(base: str, tokens: dict[str, str], loads: list[Load], tag: str) -> Load:
    """Each resident finds each acknowledged inquiry, whole, through the API, and the server takes new ones
    (returned as one more phase)."""
    after = Load()
    with httpx.Client(base_url=base, timeout=30) as http:
        for load in loads:
            for title, made in load.acknowledged.items():
                owner = {"Authorization": f"Bearer {tokens[made['phone']]}"}
                seen = http.get(f"{INQUIRIES}/{made['token']}", headers=owner)
                assert seen.status_code == 200, (title, seen.status_code, seen.text[:300])
                shown = seen.json()
                assert (shown["title"], shown["number"], shown["status"]) == (title, made["number"], "submitted")
                assert [s["action"] for s in shown["timeline"]] == ["submit"]
        for phone, token in tokens.items():
            owner = {"Authorization": f"Bearer {token}"}
            mine = http.get(f"{INQUIRIES}/mine", params={"limit": 50}, headers=owner).json()["items"]
            theirs = {t for load in loads for t, m in load.acknowledged.items() if m["phone"] == phone}
            assert {i["title"] for i in mine} >= theirs
            title = f"{tag}-{phone[-2:]}"
            after.attempted[title] = phone
            again = http.post(
                INQUIRIES,
                json={"kind": "help", "category": "sanitation", "title": title, "body": "服务恢复后再提交一次。"},
                headers=owner,
            )
            assert again.status_code == 201, again.text
            after.acknowledged[title] = {**again.json(), "phone": phone}
    return after


def deliveries_resume(deployment: Deployment, timeout: float = 20) -> list[tuple]:
    """After a restart the event loop delivers what nobody holds a claim on; return what is still waiting."""
    deadline = time.monotonic() + timeout
    while True:
        left = deployment.rows("SELECT id FROM events_delivery WHERE status <> 'done' AND claim_token IS NULL")
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.25)


def report(what: str, figures: dict) -> None:
    print(f"\n[crash-safety] {what}: " + ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)


# -- the tests -------------------------------------------------------------------------------------------


def test_acknowledged_writes_survive_kill_9_and_sigterm_under_load_and_sigterm_exits_within_5_s(
    deployment: Deployment,
) -> None:
    engine = deployment.url.split(":")[0]
    deployment.start()
    tokens = sign_in_residents(deployment, RESIDENTS)
    loads = [Load()]

    # 1. Killed mid-load: every write it acknowledged is there after the restart, each whole.
    kill = lambda: deployment.signal_group(signal.SIGKILL)  # noqa: E731
    asyncio.run(file_inquiries(deployment.base, tokens, loads[-1], "kill", kill, SIGNAL_AFTER))
    deployment.process.wait(timeout=10)
    assert deployment.process.returncode == -signal.SIGKILL
    assert not loads[-1].refused, loads[-1].refused
    assert loads[-1].cut, "the kill came after the load had ended: nothing was in flight"
    deployment.start()
    figures = check_consistent(deployment, loads)
    # Deliveries the killed process had claimed wait for the claim to lapse (5 min), then run again.
    figures["deliveries left claimed"] = len(
        deployment.rows("SELECT id FROM events_delivery WHERE status <> 'done' AND claim_token IS NOT NULL")
    )
    report(f"kill -9 on {engine}", figures)
    assert figures["found"] == figures["acknowledged"] >= SIGNAL_AFTER
    loads.append(check_owners_see_their_writes(deployment.base, tokens, loads, "after-kill"))
    assert deliveries_resume(deployment) == []

    # 2. SIGTERM mid-load: out within 5 s, requests in flight finished or cut off at the connection (never a
    # server error), and every acknowledged write there after the restart.
    loads.append(Load())
    term = lambda: deployment.signal_group(signal.SIGTERM)  # noqa: E731
    asyncio.run(file_inquiries(deployment.base, tokens, loads[-1], "term", term, SIGNAL_AFTER))
    try:
        deployment.process.wait(timeout=max(0.1, 5 - (time.monotonic() - loads[-1].signalled_at)))
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server was still running 5 s after SIGTERM:\n{deployment.tail()}")
    took = time.monotonic() - loads[-1].signalled_at
    log = deployment.tail(20_000).rpartition("Shutting down")[2]
    assert deployment.process.returncode in (0, -signal.SIGTERM), log
    assert "Application shutdown complete" in log and "Traceback" not in log, log
    assert not loads[-1].refused, loads[-1].refused
    cut_cleanly = ("ConnectError", "RemoteProtocolError", "ReadError", "WriteError")
    assert all(error.startswith(cut_cleanly) for _, error in loads[-1].cut), loads[-1].cut
    deployment.start()
    figures = check_consistent(deployment, loads)
    figures |= {"finished after SIGTERM": loads[-1].finished_after_signal, "exit after s": round(took, 2)}
    report(f"SIGTERM on {engine}", figures)
    assert figures["found"] == figures["acknowledged"] >= SIGNAL_AFTER
    loads.append(check_owners_see_their_writes(deployment.base, tokens, loads, "after-term"))
    assert deliveries_resume(deployment) == []


def test_sigterm_with_a_resident_watching_a_live_timeline_exits_within_5_s(sqlite_deployment: Deployment) -> None:
    deployment = sqlite_deployment
    deployment.start()
    [token] = sign_in_residents(deployment, 1).values()

    async def watch_then_terminate() -> float | None:
        """Hold the stream open (as a browser does) and give the server 5 s to go; return how long it took."""
        async with httpx.AsyncClient(base_url=deployment.base, timeout=30) as http:
            headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
            async with http.stream("GET", "/api/v1/me/notifications/stream", headers=headers) as stream:
                assert stream.status_code == 200
                lines = stream.aiter_lines()
                while not (await anext(lines)).startswith(":"):  # the stream's ": ready" comment
                    pass
                started = time.monotonic()
                deployment.signal_group(signal.SIGTERM)
                reading = asyncio.create_task(_drain(lines))  # keep reading, as a browser does
                while time.monotonic() - started < 5:
                    if deployment.process.poll() is not None:
                        reading.cancel()
                        return time.monotonic() - started
                    await asyncio.sleep(0.05)
                reading.cancel()
                return None

    took = asyncio.run(watch_then_terminate())
    assert took is not None, f"the server was still running 5 s after SIGTERM:\n{deployment.tail(1500)}"
    assert "Application shutdown complete" in deployment.tail()


async def _drain(lines) -> None:
    with contextlib.suppress(httpx.TransportError):
        async for _ in lines:
            pass
