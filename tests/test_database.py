"""The database layer on SQLite and PostgreSQL: the same migrations, WAL, refusing an out-of-date database,
indexes built with ``create_index``, transactions that roll back, and plugin apps migrated after the core.

Tables and indexes are checked with the database's own driver (sqlite3, asyncpg), not through piccolo.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from newsplus import db
from newsplus.app import create_app
from newsplus.districts.scope import district_scope
from newsplus.runtime import Newsplus
from newsplus.settings import settings_from_dict
from newsplus.testing import make_app, running
from newsplus.users.tables import Department
from notes_plugin import plugin as notes

CORE_TABLES = {
    "districts_district",
    "users_user",
    "users_grant",
    "users_session",
    "users_department",
    "users_verification_code",
}


# -- helpers: talk to the database directly --------------------------------------------------------------


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


async def fetch(url: str, sql: str, *args: Any) -> list[tuple]:
    """Rows of a query; write ``?`` for parameters on both engines."""
    if is_sqlite(url):
        conn = sqlite3.connect(sqlite_path(url))
        try:
            with conn:  # commits, or rolls back on error
                return conn.execute(sql, args).fetchall()
        finally:
            conn.close()
    import asyncpg

    for number in range(1, len(args) + 1):
        sql = sql.replace("?", f"${number}", 1)
    connection = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await connection.fetch(sql, *args)]
    finally:
        await connection.close()


async def execute(url: str, sql: str, *args: Any) -> None:
    await fetch(url, sql, *args)


async def table_names(url: str) -> set[str]:
    if is_sqlite(url):
        rows = await fetch(url, "SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = await fetch(
            url, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    return {name for (name,) in rows}


async def index_names(url: str, table: str) -> set[str]:
    if is_sqlite(url):
        rows = await fetch(url, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", table)
    else:
        rows = await fetch(
            url, "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?", table
        )
    return {name for (name,) in rows}


async def rejected(url: str, sql: str, *args: Any) -> bool:
    """Whether the statement is refused as a unique-constraint violation."""
    try:
        await execute(url, sql, *args)
    except Exception as exc:
        assert db.is_unique_violation(exc), f"refused for another reason: {exc!r}"
        return True
    return False


def settings_on(url: str, **database: Any):
    return settings_from_dict({"database": {"url": url, **database}, "site": {"secret": "s"}}, environ={})


# -- the same migrations on both engines -----------------------------------------------------------------


async def test_migrations_create_the_core_tables(newsplus_database_url: str) -> None:
    async with running(make_app(database_url=newsplus_database_url)):
        pass
    assert await table_names(newsplus_database_url) >= CORE_TABLES


async def test_one_phone_per_district_but_the_same_phone_in_another(newsplus_database_url: str) -> None:
    async with running(make_app(database_url=newsplus_database_url)):
        pass
    await execute(
        newsplus_database_url, "INSERT INTO districts_district (slug, name) VALUES ('d1', 'One'), ('d2', 'Two')"
    )
    found = await fetch(
        newsplus_database_url, "SELECT id FROM districts_district WHERE slug IN ('d1', 'd2') ORDER BY slug"
    )
    one, two = [i for (i,) in found]
    insert = "INSERT INTO users_user (district, phone, kind) VALUES (?, ?, 'resident')"

    assert not await rejected(newsplus_database_url, insert, one, "13800138000")
    assert await rejected(newsplus_database_url, insert, one, "13800138000")
    assert not await rejected(newsplus_database_url, insert, two, "13800138000")
    # staff have no phone: any number of them in one district
    staff = "INSERT INTO users_user (district, username, kind) VALUES (?, ?, 'staff')"
    assert not await rejected(newsplus_database_url, staff, one, "a")
    assert not await rejected(newsplus_database_url, staff, one, "b")
    assert await rejected(newsplus_database_url, staff, one, "a")

    phones = await fetch(
        newsplus_database_url, "SELECT district, phone FROM users_user WHERE phone > '' ORDER BY district"
    )
    assert phones == [(one, "13800138000"), (two, "13800138000")]


def test_sqlite_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "data" / "site.sqlite3"
    db.engine_from_url(f"sqlite:///{path}")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_relative_sqlite_path_is_taken_from_the_settings_folder(tmp_path: Path) -> None:
    engine = db.engine_from_url("sqlite:///data/site.sqlite3", root=tmp_path)
    assert Path(engine.path) == tmp_path / "data" / "site.sqlite3"
    assert (tmp_path / "data" / "site.sqlite3").is_file()


@pytest.mark.parametrize(
    "url", ["mysql://root@localhost/db", "sqlite://", "sqlite:///:memory:"], ids=["mysql", "no-path", "memory"]
)
def test_an_unusable_database_url_names_the_setting(url: str) -> None:
    with pytest.raises(db.DatabaseError, match=r"^database\.url: "):
        db.engine_from_url(url)


# -- pending migrations ----------------------------------------------------------------------------------


async def test_an_app_on_an_unmigrated_database_refuses_to_start(newsplus_database_url: str) -> None:
    newsplus = Newsplus(settings_on(newsplus_database_url))
    app = create_app(newsplus=newsplus)
    try:
        with pytest.raises(db.DatabaseError, match=r"not up to date: run `newsplus migrate`"):
            async with running(app):
                pytest.fail("the app started on a database that is behind")
        assert not {"users_user", "districts_district"} & await table_names(newsplus_database_url)

        assert await newsplus.migrate()  # what `newsplus migrate` does
    finally:
        if db.is_postgres(newsplus.engine):
            await newsplus.engine.close_connection_pool()
    async with running(create_app(newsplus=Newsplus(settings_on(newsplus_database_url)))) as started:
        assert started.districts.primary is not None


async def test_a_newsplus_checked_before_serving_does_not_check_its_migrations_again(
    newsplus_database_url: str, monkeypatch
) -> None:
    newsplus = Newsplus(settings_on(newsplus_database_url))
    await newsplus.migrate()
    looks = []
    real = db.pending_migrations

    async def counted(registry):
        looks.append(registry)
        return await real(registry)

    monkeypatch.setattr(db, "pending_migrations", counted)
    # `newsplus serve` with one worker checks before building the app, then serves that app on the same Newsplus.
    await newsplus.open_database()
    await newsplus.ensure_migrated()
    await db.close_pool(newsplus.engine)
    async with running(create_app(newsplus=newsplus)) as started:
        assert started.districts.primary is not None
    assert len(looks) == 1


# -- create_index ----------------------------------------------------------------------------------------


async def test_create_index_builds_composite_and_expression_indexes(newsplus_database_url: str) -> None:
    db.activate(db.engine_from_url(newsplus_database_url), [])
    await execute(
        newsplus_database_url,
        'CREATE TABLE "t_item" (id INTEGER PRIMARY KEY, district INTEGER NOT NULL, department INTEGER, name TEXT)',
    )
    composite = db.create_index("t_item", ["district", "name"])
    expression = db.create_index(
        "t_item", ["district", "coalesce(department, 0)", "name"], unique=True, name="t_item_dept_name_uniq"
    )
    for step in (composite, expression, expression):  # a second run changes nothing
        await step()
    indexes = await index_names(newsplus_database_url, "t_item")
    assert "t_item_dept_name_uniq" in indexes
    assert len(indexes - {i for i in indexes if "pkey" in i or i.startswith("sqlite_autoindex")}) == 2

    insert = "INSERT INTO t_item (id, district, department, name) VALUES (?, ?, ?, ?)"
    assert not await rejected(newsplus_database_url, insert, 1, 1, None, "a")
    assert await rejected(newsplus_database_url, insert, 2, 1, None, "a")  # NULL department counts as one department
    assert not await rejected(newsplus_database_url, insert, 3, 1, 7, "a")
    assert await rejected(newsplus_database_url, insert, 4, 1, 7, "a")
    assert not await rejected(newsplus_database_url, insert, 5, 2, None, "a")
    assert not await rejected(newsplus_database_url, insert, 6, 1, None, "b")
    # the plain composite index does not make rows unique
    assert not await rejected(newsplus_database_url, insert, 7, 1, 8, "a")
    assert len(await fetch(newsplus_database_url, "SELECT id FROM t_item")) == 5


async def test_core_migrations_create_the_per_district_indexes(newsplus_database_url: str) -> None:
    async with running(make_app(database_url=newsplus_database_url)):
        pass
    user_indexes = await index_names(newsplus_database_url, "users_user")
    assert any("phone" in name and "district" in name for name in user_indexes), user_indexes
    assert any("username" in name and "district" in name for name in user_indexes), user_indexes


# -- transactions ----------------------------------------------------------------------------------------


async def test_transaction_rolls_back_on_error(newsplus_database_url: str) -> None:
    async with running(make_app(database_url=newsplus_database_url)) as newsplus:
        with district_scope(newsplus.districts.primary):
            with pytest.raises(RuntimeError, match="boom"):
                async with db.transaction():
                    await Department(name="半途而废").save()
                    assert await Department.exists().where(Department.name == "半途而废")  # seen inside
                    raise RuntimeError("boom")
            assert not await Department.exists().where(Department.name == "半途而废")

            async with db.transaction():
                await Department(name="区教委").save()
            assert await Department.exists().where(Department.name == "区教委")
    names = await fetch(newsplus_database_url, "SELECT name FROM users_department")
    assert names == [("区教委",)]


async def test_sqlite_transactions_take_turns(tmp_path: Path) -> None:
    """Fifty requests each reading a count and writing the next one at once: on SQLite none fails, none is
    lost, and each sees the writes before it (a transaction holds the write lock from its start)."""
    url = f"sqlite:///{tmp_path / 'turns.sqlite3'}"
    async with running(make_app(database_url=url)) as newsplus:
        with district_scope(newsplus.districts.primary):

            async def add_one(n: int) -> None:
                async with db.transaction():
                    count = await Department.count().where(Department.name.like("科室%"))
                    await asyncio.sleep(0)  # let the others run between the read and the write
                    await Department(name=f"科室{count + 1}", code=f"n{n}").save()

            await asyncio.wait_for(asyncio.gather(*(add_one(n) for n in range(50))), timeout=60)
    names = {name for (name,) in await fetch(url, "SELECT name FROM users_department")}
    assert names == {f"科室{i}" for i in range(1, 51)}  # each saw all the writes before it


async def test_a_failed_transaction_does_not_hold_up_the_next(newsplus_database_url: str) -> None:
    async with running(make_app(database_url=newsplus_database_url)) as newsplus:
        with district_scope(newsplus.districts.primary):
            for _ in range(3):
                with pytest.raises(RuntimeError):
                    async with db.transaction():
                        await Department(name="半途").save()
                        raise RuntimeError("boom")
            async with asyncio.timeout(10):
                async with db.transaction():
                    await Department(name="区卫健委").save()
    assert await fetch(newsplus_database_url, "SELECT name FROM users_department") == [("区卫健委",)]


async def test_a_writing_statement_outside_a_transaction_waits_for_the_writers_turn(tmp_path: Path) -> None:
    """A single UPDATE (as the event dispatcher sends) while a long transaction writes: it waits its turn and
    lands after the commit, instead of meeting SQLite's lock and failing once the busy timeout runs out."""
    from piccolo.engine.sqlite import TransactionType
    from piccolo.querystring import QueryString

    from newsplus.sqlite_pool import PooledSQLiteEngine

    path = tmp_path / "turn.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as setup:
        setup.execute("CREATE TABLE t (x INTEGER)")
        setup.commit()
    engine = PooledSQLiteEngine(str(path), timeout=0.05)
    order: list[str] = []

    async def long_writer() -> None:
        async with engine.transaction(TransactionType.immediate):
            await engine.run_querystring(QueryString("INSERT INTO t VALUES (1)"))
            await asyncio.sleep(0.3)  # six times the busy timeout
        order.append("committed")

    async def single_update() -> None:
        await asyncio.sleep(0.05)  # the transaction has begun
        await engine.run_querystring(QueryString("UPDATE t SET x = x + 10"))
        order.append("updated")

    async with asyncio.timeout(10):
        await asyncio.gather(long_writer(), single_update())
        assert await engine.run_querystring(QueryString("SELECT x FROM t")) == [{"x": 11}]
    engine.close_lanes()
    assert order == ["committed", "updated"]


async def test_a_long_statement_in_a_writing_transaction_leaves_the_event_loop_free(tmp_path: Path) -> None:
    """Short inserts of a writing transaction run on the loop's own thread; a statement that may take long (an
    INSERT … SELECT over many rows) goes to the connection's thread, so other requests go on meanwhile; and a
    rolled-back transaction leaves neither behind."""
    from piccolo.engine.sqlite import TransactionType
    from piccolo.querystring import QueryString

    from newsplus.sqlite_pool import PooledSQLiteEngine

    path = tmp_path / "long.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as setup:
        setup.execute("CREATE TABLE t (x INTEGER)")
        setup.commit()
    engine = PooledSQLiteEngine(str(path))
    many = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000) SELECT i FROM n"
    ticks: list[float] = []

    async def ticking() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    async def long_write(commit: bool) -> None:
        async with engine.transaction(TransactionType.immediate) as transaction:
            await engine.run_querystring(QueryString("INSERT INTO t VALUES (-1)"))
            await engine.run_querystring(QueryString(f"INSERT INTO t (x) {many}"))
            await engine.run_querystring(QueryString("INSERT INTO t VALUES (-2)"))
            if not commit:
                await transaction.rollback()

    async with asyncio.timeout(60):
        ticker = asyncio.create_task(ticking())
        await asyncio.sleep(0.02)
        began = time.perf_counter()
        await long_write(commit=False)
        await long_write(commit=True)
        took = time.perf_counter() - began
        ticker.cancel()
        during = [t for t in ticks if t >= began]
        rows = await engine.run_querystring(QueryString("SELECT count(*) AS n, min(x) AS low FROM t"))
    engine.close_lanes()
    assert rows == [{"n": 400002, "low": -2}]  # the rolled-back rows are gone, the committed ones all there
    assert took > 0.05 and len(during) >= took / 0.005 / 4  # the loop kept ticking while the rows were written


async def test_a_transaction_that_cannot_begin_fails_and_frees_the_writers_turn(tmp_path: Path) -> None:
    """Another process holding SQLite's write lock past the timeout: the transaction fails with SQLite's
    error, nothing is left half-open, and the next transaction of this worker goes ahead."""
    from piccolo.engine.sqlite import TransactionType
    from piccolo.querystring import QueryString

    from newsplus.sqlite_pool import PooledSQLiteEngine

    path = tmp_path / "busy.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as setup:
        setup.execute("CREATE TABLE t (x INTEGER)")
        setup.commit()
    engine = PooledSQLiteEngine(str(path), timeout=0.05)
    other_process = sqlite3.connect(path, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            async with engine.transaction(TransactionType.immediate):
                await engine.run_querystring(QueryString("INSERT INTO t VALUES (1)"))
    finally:
        other_process.execute("ROLLBACK")
        other_process.close()
    async with asyncio.timeout(5), engine.transaction(TransactionType.immediate):
        await engine.run_querystring(QueryString("INSERT INTO t VALUES (2)"))
    engine.close_lanes()
    with contextlib.closing(sqlite3.connect(path)) as check:
        assert check.execute("SELECT x FROM t").fetchall() == [(2,)]


def test_migration_ids_read_from_the_files_are_the_ones_piccolo_imports(tmp_path: Path) -> None:
    """Starting a server reads the ids without importing the migrations; they must be the very same."""
    settings = settings_from_dict(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'ids.sqlite3'}"},
            "site": {"secret": "s"},
            "plugins": {"enabled": ["wenzheng", "services", "activities", "govinfo"]},
        },
        environ={},
    )
    registry = Newsplus(settings).registry
    assert len(registry.app_configs) >= 8
    for app_config in registry.app_configs.values():
        assert db._migration_ids(app_config) == sorted(db._migration_modules(app_config)), app_config.app_name


# -- plugin apps -----------------------------------------------------------------------------------------


async def test_a_plugins_app_is_migrated_after_the_core_apps(newsplus_database_url: str) -> None:
    async with running(make_app([notes], database_url=newsplus_database_url)):
        pass
    applied = await fetch(newsplus_database_url, "SELECT id, app_name FROM migration ORDER BY id")
    order = list(dict.fromkeys(app for _, app in applied))
    assert order == ["districts", "events", "users", "notifications", "content", "notes"]
    ids = [i for i, _ in applied]
    assert ids == sorted(set(ids))
    assert "notes_note" in await table_names(newsplus_database_url)
