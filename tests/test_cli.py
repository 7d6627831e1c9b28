"""The ``newsplus`` command as a deployer uses it: plugins, migrate, createuser, serve, seed, demo, and the
one-sentence errors it gives for bad settings and unreachable databases.

Most commands run in-process through click's CliRunner; ``serve`` and ``demo`` run as real processes
where a server must answer HTTP.
"""

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
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import uvicorn
from click.testing import CliRunner, Result
from litestar.testing import TestClient

from newsplus import create_app
from newsplus.cli import cli
from newsplus.runtime import Newsplus
from newsplus.settings import load_settings
from newsplus.testing import process_tree

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
NEWSPLUS = Path(sys.executable).parent / "newsplus"
CORE_PLUGINS = ["districts", "events", "users", "web", "notifications", "content"]
INSTALLED_PLUGINS = ["activities", "govinfo", "services", "wenzheng"]
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/test"
PASSWORD = "correct-horse-battery"


# -- helpers ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NEWSPLUS_* override from the caller's shell leaks in, and none a command sets leaks out."""
    monkeypatch.setenv("NEWSPLUS_CONFIG", "unused")
    for key in list(os.environ):
        if key.startswith("NEWSPLUS_") and key not in {"NEWSPLUS_TEST_POSTGRES", "NEWSPLUS_REQUIRE_POSTGRES"}:
            monkeypatch.delenv(key)


def write_config(folder: Path, text: str, name: str = "newsplus.toml", *, secret: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if secret and "secret" not in text:  # every real deployment sets one; `serve` refuses to run without
        text = (
            text.replace("[site]\n", '[site]\nsecret = "test-secret"\n', 1)
            if "[site]\n" in text
            else (text + '\n[site]\nsecret = "test-secret"\n')
        )
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def sqlite_config(folder: Path, extra: str = "") -> Path:
    return write_config(folder, f'[database]\nurl = "sqlite:///db.sqlite3"\n{extra}')


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_ok(result: Result) -> str:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}\n{result.exception!r}"
    return result.output


def assert_clean_failure(result: Result, *fragments: str) -> str:
    """Exit code != 0, no traceback, one ``Error: …`` line containing every fragment; return that line."""
    output = result.output
    assert result.exit_code != 0, output
    # An exception click did not turn into a message would print a traceback in a real terminal.
    assert isinstance(result.exception, SystemExit), f"unhandled {result.exception!r}; output: {output}"
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, output
    for fragment in fragments:
        assert fragment in errors[0], f"{fragment!r} not in {errors[0]!r}"
    return errors[0]


def run_process(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real ``newsplus`` script, as a user runs it in a shell."""
    return subprocess.run(
        [str(NEWSPLUS), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=process_env(env),
        cwd=cwd or ROOT,
    )


def process_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSPLUS_")}
    env.update(extra or {})
    return env


def one_line_failure(done: subprocess.CompletedProcess) -> str:
    output = (done.stdout + done.stderr).strip()
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{output}"
    return lines[0]


def table_rows(output: str) -> dict[str, list[str]]:
    """The rows of a rich table, keyed by the first cell."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) > 1 and cells[0]:
            rows[cells[0]] = cells[1:]
    return rows


def sqlite_rows(path: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def postgres_rows(url: str, sql: str) -> list[tuple]:
    import asyncpg

    async def fetch() -> list[tuple]:
        connection = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await connection.fetch(sql)]
        finally:
            await connection.close()

    return asyncio.run(fetch())


def rows(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite:///"):
        return sqlite_rows(Path(url.removeprefix("sqlite:///")), sql)
    return postgres_rows(url, sql)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.status, response.headers.get("content-type", ""), response.read().decode("utf-8")


def wait_until_healthy(process: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            status, _, body = get(port, "/healthz")
            if status == 200 and json.loads(body) == {"status": "ok"}:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"no healthy answer within {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen) -> int:
    """SIGTERM, and the server must be gone within 20 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        pytest.fail("the server did not exit within 20 s of SIGTERM")


def start_server(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(NEWSPLUS), *args], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=process_env(env)
        )


@pytest.fixture
def servers() -> Iterator[list[subprocess.Popen]]:
    """Processes started by a test; any still running at the end are stopped."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def no_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sure an in-process ``serve`` never blocks the test by really serving."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve went on to start the server")

    monkeypatch.setattr(uvicorn, "run", refuse)


# -- plugins ---------------------------------------------------------------------------------------------


def test_plugins_lists_core_and_installed_plugins_with_versions(tmp_path: Path) -> None:
    output = assert_ok(run("plugins", "--config", tmp_path / "absent.toml"))
    table = table_rows(output)
    for name in CORE_PLUGINS:
        assert table[name][0] == "0.1.0", output
        assert table[name][-1] == "core", output
    for name in INSTALLED_PLUGINS:
        assert table[name] == ["0.1.0", f"newsplus-{name}", "installed"], output


def test_plugins_marks_the_enabled_plugins(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'plugins = ["wenzheng"]\n[database]\nurl = "sqlite:///db.sqlite3"\n')
    table = table_rows(assert_ok(run("plugins", "--config", config)))
    assert table["wenzheng"][-1] == "enabled"
    for name in ["activities", "govinfo", "services"]:
        assert table[name][-1] == "installed"
    for name in CORE_PLUGINS:
        assert table[name][-1] == "core"


# -- migrate ---------------------------------------------------------------------------------------------


def test_migrate_applies_every_migration_once(tmp_path: Path, newsplus_database_url: str) -> None:
    config = write_config(tmp_path, f'[database]\nurl = "{newsplus_database_url}"\n')
    first = assert_ok(run("migrate", "--config", config))
    count = int(re.search(r"Applied (\d+) migration\(s\)", first).group(1))
    assert count >= 3, first  # districts' and users' migrations at least
    assert f"{count}/{count}" in first  # the progress bar reached its end
    recorded = rows(newsplus_database_url, "SELECT app_name FROM migration")
    assert len(recorded) == count
    assert {"districts", "users"} <= {app for (app,) in recorded}

    second = assert_ok(run("migrate", "--config", config))
    assert "Applied 0 migration(s)" in second
    assert len(rows(newsplus_database_url, "SELECT app_name FROM migration")) == count


def test_migrate_puts_a_relative_sqlite_file_beside_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sqlite_config(tmp_path / "site")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert_ok(run("migrate", "--config", config))
    assert (tmp_path / "site" / "db.sqlite3").is_file()
    assert not (elsewhere / "db.sqlite3").exists()


# -- errors: one sentence, no traceback ------------------------------------------------------------------

BAD_SETTINGS = {
    "invalid-toml": ('[site\nname = "x"\n', ["invalid TOML"]),
    "unknown-plugin": ('plugins = ["nosuch"]\n', ["'nosuch'", *INSTALLED_PLUGINS]),
    "site.debug-type": ('[site]\ndebug = "maybe"\n', ["site.debug", "bool"]),
    "database.pool_max-type": ('[database]\npool_max = "ten"\n', ["database.pool_max", "int"]),
    "unknown-table": ('[sight]\nname = "x"\n', ["sight"]),
    "unreachable-database": (f'[database]\nurl = "{UNREACHABLE}"\n', ["cannot reach the database"]),
}


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_migrate_reports_bad_settings_in_one_sentence(tmp_path: Path, case: str) -> None:
    text, fragments = BAD_SETTINGS[case]
    config = write_config(tmp_path, text)
    assert_clean_failure(run("migrate", "--config", config), *fragments)


def test_missing_settings_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "newsplus.toml"
    assert_clean_failure(run("migrate", "--config", missing), "not found", "newsplus.toml")


@pytest.mark.parametrize(
    "command", [["seed"], ["serve"], ["createuser", "someone", "--password", PASSWORD]], ids=lambda c: c[0]
)
def test_other_commands_report_an_unreachable_database_in_one_sentence(
    tmp_path: Path, command: list[str], no_serving: None
) -> None:
    config = write_config(tmp_path, f'[database]\nurl = "{UNREACHABLE}"\n')
    assert_clean_failure(run(*command, "--config", config), "cannot reach the database")


@pytest.mark.parametrize("command", ["migrate", "seed"])
def test_unreachable_database_prints_one_line_in_a_real_shell(tmp_path: Path, command: str) -> None:
    """What a user sees in the terminal: one line, no warning noise, no traceback."""
    config = write_config(tmp_path, f'[database]\nurl = "{UNREACHABLE}"\n')
    line = one_line_failure(run_process(command, "--config", str(config), cwd=tmp_path))
    assert "cannot reach the database" in line


def test_bad_settings_named_by_environment_are_reported_once(tmp_path: Path) -> None:
    """NEWSPLUS_CONFIG pointing at a broken file: the problem is said once, not once per lookup."""
    config = write_config(tmp_path, "[site\n")
    line = one_line_failure(run_process("migrate", env={"NEWSPLUS_CONFIG": str(config)}, cwd=tmp_path))
    assert "invalid TOML" in line


# -- createuser ------------------------------------------------------------------------------------------


def login(client: TestClient, username: str, password: str):
    return client.post("/api/v1/auth/login/password", json={"username": username, "password": password})


def test_createuser_makes_a_staff_account_that_can_sign_in(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path)
    assert_ok(run("migrate", "--config", config))
    output = assert_ok(run("createuser", "boss", "--password", PASSWORD, "--name", "老板", "--config", config))
    assert "boss" in output

    with TestClient(create_app(load_settings(config))) as client:
        assert login(client, "boss", "wrong-password").status_code == 401
        signed_in = login(client, "boss", PASSWORD)
        assert signed_in.status_code == 200, signed_in.text
        me = signed_in.json()["user"]
        assert me["kind"] == "staff"
        assert me["display_name"] == "老板"
        assert me["roles"] == ["admin"]


def test_createuser_gives_a_role_within_a_department(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path)
    assert_ok(run("migrate", "--config", config))
    assert_ok(run("createuser", "boss", "--password", PASSWORD, "--config", config))
    with TestClient(create_app(load_settings(config))) as client:
        token = login(client, "boss", PASSWORD).json()["token"]
        created = client.post(
            "/api/v1/departments", json={"name": "区城市管理委"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201, created.text
        department_id = created.json()["id"]

    output = assert_ok(
        run(
            "createuser",
            "handler",
            "--role",
            "department_handler",
            "--department",
            "区城市管理委",
            "--password",
            PASSWORD,
            "--config",
            config,
        )
    )
    assert "department_handler" in output
    with TestClient(create_app(load_settings(config))) as client:
        signed_in = login(client, "handler", PASSWORD)
        assert signed_in.status_code == 200, signed_in.text
        me = signed_in.json()["user"]
        assert me["roles"] == ["department_handler"]
        assert me["departments"] == [department_id]


def test_createuser_refuses_unknown_role_department_and_taken_username(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path)
    assert_ok(run("migrate", "--config", config))
    common = ["--password", PASSWORD, "--config", str(config)]
    assert_clean_failure(run("createuser", "x", "--role", "wizard", *common), "wizard")
    assert_clean_failure(
        run("createuser", "y", "--role", "editor", "--department", "不存在的局", *common), "不存在的局"
    )
    assert_ok(run("createuser", "boss", "--password", PASSWORD, "--config", config))
    assert_clean_failure(run("createuser", "boss", "--password", PASSWORD, "--config", config), "boss")
    # none of the refused accounts was written
    names = sqlite_rows(tmp_path / "db.sqlite3", "SELECT username FROM users_user ORDER BY id")
    assert names == [("boss",)]


# -- serve -----------------------------------------------------------------------------------------------


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Path, no_serving: None) -> None:
    config = sqlite_config(tmp_path)
    line = assert_clean_failure(run("serve", "--config", config), "not up to date", "run `newsplus migrate`")
    assert "Traceback" not in line


def test_serve_refuses_to_run_without_a_shared_secret(tmp_path: Path, no_serving: None) -> None:
    config = write_config(tmp_path, '[database]\nurl = "sqlite:///db.sqlite3"\n', secret=False)
    assert_clean_failure(run("serve", "--config", config), "site.secret is not set")
    debug = write_config(
        tmp_path / "debug", '[site]\ndebug = true\n[database]\nurl = "sqlite:///db.sqlite3"\n', secret=False
    )
    assert_clean_failure(run("serve", "--config", debug), "not up to date")  # debug mode may do without


def test_serve_answers_healthz_once_migrated(tmp_path: Path, servers: list) -> None:
    config = sqlite_config(tmp_path)
    assert_ok(run("migrate", "--config", config))
    port = free_port()
    log = tmp_path / "serve.log"
    process = start_server(["serve", "--config", str(config), "--port", str(port)], log)
    servers.append(process)
    wait_until_healthy(process, port, log)
    stop(process)


def _connections_held(port: int, pids: list[int]) -> dict[int, int]:
    """Established connections to ``port``, counted by the process holding each (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # ESTABLISHED, server side
                inodes.add(f"socket:[{fields[9]}]")
    held = {}
    for pid in pids:
        links = []
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    links.append(os.readlink(fd))
        held[pid] = sum(link in inodes for link in links)
    return held


@pytest.mark.skipif(sys.platform != "linux", reason="workers listen for themselves (SO_REUSEPORT) on Linux only")
def test_serve_with_two_workers_spreads_a_burst_of_connections_over_both(tmp_path: Path, servers: list) -> None:
    """Forty connections opened at once (a proxy filling its pool, say): both workers take a share, where with
    one shared socket the first worker to wake took them all and kept them."""
    config = sqlite_config(tmp_path)
    assert_ok(run("migrate", "--config", config))
    port = free_port()
    log = tmp_path / "serve.log"
    process = start_server(["serve", "--config", str(config), "--port", str(port), "--workers", "2"], log)
    servers.append(process)
    wait_until_healthy(process, port, log)
    deadline = time.monotonic() + 60  # one worker answered; wait for the other to listen too
    while log.read_text().count("Application startup complete") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    connections = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
    try:
        for connection in connections:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for connection in connections:
            assert connection.recv(1024).startswith(b"HTTP/1.1 200")
        held = _connections_held(port, process_tree(process.pid))
    finally:
        for connection in connections:
            connection.close()
    shares = sorted(n for n in held.values() if n)
    assert sum(shares) == 40
    assert len(shares) == 2 and shares[0] >= 8, held  # by the connections' addresses: 20 ± 3 each
    assert "with 2 workers, each listening itself" in log.read_text()
    assert stop(process) == 0


STARTUP_PROBE = """
import sys
from newsplus.cli import cli  # what `newsplus serve` imports before it builds the app
from newsplus.app import create_app
from newsplus.settings import load_settings
app = create_app(load_settings(sys.argv[1]))
loaded = [name for name in ("rich", "PIL", "segno", "black", "yaml", "babel") if name in sys.modules]
print(" ".join(sorted(name for name in loaded if type(sys.modules[name]).__name__ != "_Deferred")), end="")
handlers = {h for methods in app.route_handler_method_map.values() for h in methods.values()}
postponed = {  # handlers whose annotations litestar would compile and evaluate one by one
    f"{h.fn.__module__}.{h.fn.__name__}"
    for h in handlers
    if h.fn.__module__.startswith(("newsplus", "changping"))
    and any(isinstance(a, str) for a in h.fn.__annotations__.values())
}
print(" ".join(sorted(postponed)))
"""


def test_serving_every_plugin_leaves_command_and_upload_libraries_unloaded(tmp_path: Path) -> None:
    """Start-up with every plugin goes without rich (tables for commands), Pillow (uploads), segno (QR codes),
    black (piccolo's migration files), yaml (litestar's YAML schema) or Babel (the catalogues, read when a
    language is first asked for): each loads when first used, and they cost a tenth of a second of every start.
    Route modules do without ``from __future__ import annotations``: litestar would evaluate each handler's
    string annotations at start-up, about 20 ms with every plugin."""
    plugins = ", ".join(f'"{name}"' for name in INSTALLED_PLUGINS)
    config = sqlite_config(tmp_path, f"[plugins]\nenabled = [{plugins}]\n")
    done = subprocess.run(
        [sys.executable, "-c", STARTUP_PROBE, str(config)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


WORKER_START = """
import contextlib, gc, os, sys  # contextlib: newsplus.startup imports it before it can hold the collector
passes = []  # from the moment newsplus can hold the collector (finding and opening its package comes before)
gc.callbacks.append(lambda phase, info: phase == "start" and "newsplus.startup" in sys.modules and passes.append(1))
import newsplus
from newsplus.app import app_from_env
os.environ["NEWSPLUS_CONFIG"] = sys.argv[1]
app_from_env()
print(len(passes), gc.isenabled(), gc.get_freeze_count() > 100_000)
"""


def test_a_worker_starts_without_a_garbage_collection_pass(tmp_path: Path) -> None:
    """Importing newsplus and building a worker's app with every plugin runs no collection at all: what start-up
    builds lives as long as the worker and is frozen before the collector resumes. Without that, the first pass
    afterwards walked all of it (about 50 ms after the import and 30–45 ms after building the app)."""
    plugins = ", ".join(f'"{name}"' for name in INSTALLED_PLUGINS)
    config = sqlite_config(tmp_path, f"[plugins]\nenabled = [{plugins}]\n")
    done = subprocess.run(
        [sys.executable, "-c", WORKER_START, str(config)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "True", "True"]


def test_a_module_newsplus_defers_loads_in_full_when_first_used() -> None:
    """``yaml`` is deferred at import (newsplus.deferred); a program using it gets the whole module."""
    code = "import newsplus, yaml; print(yaml.safe_dump({'区': 1}, allow_unicode=True).strip(), yaml.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "区: 1 yaml"


# -- plugin commands and demo data -----------------------------------------------------------------------


def notes_config(folder: Path) -> Path:
    # tests/ is on pytest's pythonpath, so notes_plugin imports as a deployment's own module.
    return write_config(
        folder, '[database]\nurl = "sqlite:///db.sqlite3"\n[plugins]\nmodules = ["notes_plugin.plugin"]\n'
    )


def test_register_commands_adds_plugin_commands(tmp_path: Path) -> None:
    config = notes_config(tmp_path)
    commands = Newsplus(load_settings(config)).collect("register_commands")
    assert [c.name for c in commands] == ["jobs", "notes-count"]  # the core events plugin adds `jobs`
    group = click.Group("newsplus", commands={**cli.commands, **{c.name: c for c in commands}})
    result = CliRunner().invoke(group, ["notes-count"])
    assert_ok(result)
    assert result.output.strip() == "notes: ok"


def test_plugin_commands_appear_in_the_newsplus_command(tmp_path: Path) -> None:
    config = notes_config(tmp_path)
    env = {"NEWSPLUS_CONFIG": str(config), "PYTHONPATH": str(TESTS)}
    listed = run_process("--help", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "notes-count" in listed.stdout
    ran = run_process("notes-count", env=env, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "notes: ok"


def test_register_demo_data_seeds_through_the_cli(tmp_path: Path) -> None:
    config = notes_config(tmp_path)
    assert_ok(run("migrate", "--config", config))
    output = assert_ok(run("seed", "--config", config))
    assert "notes: 1 demo note" in output
    with TestClient(create_app(load_settings(config))) as client:
        notes = client.get("/api/v1/notes")
        assert notes.status_code == 200
        assert [n["body"] for n in notes.json()] == ["第一条示例笔记"]


def test_makemigrations_names_the_enabled_apps_for_an_unknown_app(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path)
    assert_clean_failure(run("makemigrations", "nosuch", "--config", config), "'nosuch'", "districts", "users")


# -- demo ------------------------------------------------------------------------------------------------


def departments_named(port: int, name: str) -> int:
    def walk(nodes: list[dict]) -> int:
        return sum((node["name"] == name) + walk(node.get("children", [])) for node in nodes)

    status, _, body = get(port, "/api/v1/departments")
    assert status == 200
    return walk(json.loads(body))


def test_demo_serves_changping_and_reuses_its_database(tmp_path: Path, servers: list) -> None:
    db_file = tmp_path / "demo" / "demo.sqlite3"
    accounts = db_file.parent / "demo-accounts.txt"
    log = tmp_path / "demo.log"

    # first start: creates and seeds the database, writes the accounts file, serves
    port = free_port()
    process = start_server(["demo", "--port", str(port), "--db", str(db_file)], log)
    servers.append(process)
    wait_until_healthy(process, port, log)
    status, content_type, html = get(port, "/")
    assert status == 200
    assert content_type.startswith("text/html")
    assert "北京昌平" in html
    assert db_file.is_file()
    listed = accounts.read_text(encoding="utf-8")
    assert re.search(r"^\s*admin\s+admin\b", listed, re.MULTILINE), listed
    assert "changping-demo" in listed
    assert departments_named(port, "区委宣传部") == 1
    stop(process)

    # second start on the same file: no new seeding, same data
    port = free_port()
    process = start_server(["demo", "--port", str(port), "--db", str(db_file)], log)
    servers.append(process)
    wait_until_healthy(process, port, log)
    assert departments_named(port, "区委宣传部") == 1
    assert accounts.read_text(encoding="utf-8") == listed
    stop(process)
    users = sqlite_rows(db_file, "SELECT count(*) FROM users_user WHERE username = 'admin'")
    assert users == [(1,)]
