"""SQLite writes committed in groups (``newsplus.sqlite_writes``): many concurrent writes share one COMMIT, each
returns only once it is on disk, a failed write takes none of the others with it, a failed COMMIT fails every
write it held, and workers in other processes take turns on a lock file without leaving it held.

A short read outside a transaction runs on the loop's own thread, and waits on a lane while SQLite is locked.

The database is checked through a separate sqlite3 connection, as another process would see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from piccolo.engine.sqlite import TransactionType
from piccolo.querystring import QueryString

from newsplus.sqlite_lanes import SHORT
from newsplus.sqlite_pool import PooledSQLiteEngine


def _database(tmp_path: Path, schema: str = "CREATE TABLE t (x INTEGER UNIQUE)") -> Path:
    path = tmp_path / "writes.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.executescript(schema)
    return path


def _seen(path: Path, query: str = "SELECT x FROM t ORDER BY x") -> list[int]:
    """What another connection (another process, say) finds committed."""
    with contextlib.closing(sqlite3.connect(path)) as other:
        return [row[0] for row in other.execute(query)]


def _commits(engine: PooledSQLiteEngine) -> list[str]:
    """COMMITs the worker's writing connection sends from now on."""
    sent: list[str] = []
    engine._write_group().lane.connection().set_trace_callback(
        lambda sql: sent.append(sql) if sql.startswith("COMMIT") else None
    )
    return sent


async def _write(engine: PooledSQLiteEngine, *values: int) -> None:
    async with engine.transaction(TransactionType.immediate):
        for value in values:
            await engine.run_querystring(QueryString("INSERT INTO t VALUES ({})", value))


async def _waits_for(outsider: sqlite3.Connection, work: Coroutine[Any, Any, Any]) -> Any:
    """Run ``work`` while ``outsider`` holds SQLite's lock: the loop keeps ticking meanwhile, the work waits until
    the outsider commits, then it ends; its result."""
    ticks = 0

    async def other_requests() -> None:
        nonlocal ticks
        for _ in range(10):
            await asyncio.sleep(0.01)
            ticks += 1

    async def outsider_finishes() -> None:
        await asyncio.sleep(0.5)
        assert ticks == 10 and not task.done()  # the loop went on while the work waited
        outsider.execute("COMMIT")

    async with asyncio.timeout(30):
        task = asyncio.create_task(work)
        await asyncio.gather(other_requests(), outsider_finishes())
        return await task


async def test_concurrent_writes_share_commits_and_each_returns_once_on_disk(tmp_path: Path) -> None:
    path = _database(tmp_path)
    engine = PooledSQLiteEngine(str(path))
    commits = _commits(engine)
    unseen_on_return: list[int] = []

    async def write_and_look(n: int) -> None:
        await _write(engine, n)
        if n not in _seen(path):
            unseen_on_return.append(n)

    async with asyncio.timeout(30):
        await asyncio.gather(*(write_and_look(n) for n in range(60)))
    engine.close_lanes()
    assert _seen(path) == list(range(60))
    assert unseen_on_return == []  # every write was committed before its transaction returned
    assert 1 <= len(commits) < 60  # fewer disk flushes than writes


async def test_a_failed_write_takes_none_of_its_group_with_it(tmp_path: Path) -> None:
    """Writes that raise, and a write whose INSERT breaks a unique index, are undone alone; the ones around
    them in the same group are kept, and a reading statement inside a write sees the group's earlier rows."""
    path = _database(tmp_path)
    engine = PooledSQLiteEngine(str(path))
    seen_inside: list[int] = []

    async def write(n: int) -> None:
        if n % 3 == 1:
            with pytest.raises(RuntimeError):
                async with engine.transaction(TransactionType.immediate):
                    await engine.run_querystring(QueryString("INSERT INTO t VALUES ({})", n))
                    raise RuntimeError("changed its mind")
        elif n % 3 == 2:
            with pytest.raises(sqlite3.IntegrityError):
                await _write(engine, 1000 + n, 0)  # 0 is taken by the first write
        else:
            async with engine.transaction(TransactionType.immediate):
                await engine.run_querystring(QueryString("INSERT INTO t VALUES ({})", n))
                rows = await engine.run_querystring(QueryString("SELECT count(*) AS n FROM t"))
                seen_inside.append(rows[0]["n"])

    async with asyncio.timeout(30):
        await write(0)
        await asyncio.gather(*(write(n) for n in range(3, 45)))
    engine.close_lanes()
    assert _seen(path) == list(range(0, 45, 3))
    assert sorted(seen_inside) == list(range(1, 16))  # each saw the kept rows written before it


async def test_single_writing_statements_join_the_group_and_land(tmp_path: Path) -> None:
    """Writing statements outside a transaction (the event dispatcher's claims, a row's save()) are writes too."""
    path = _database(tmp_path)
    engine = PooledSQLiteEngine(str(path))
    async with asyncio.timeout(30):
        await asyncio.gather(
            *(engine.run_querystring(QueryString("INSERT INTO t VALUES ({})", n)) for n in range(20)),
            *(_write(engine, n) for n in range(20, 40)),
        )
        with pytest.raises(sqlite3.IntegrityError):
            await engine.run_querystring(QueryString("INSERT INTO t VALUES (5)"))
        await engine.run_querystring(QueryString("UPDATE t SET x = x + 100 WHERE x < 20"))
    engine.close_lanes()
    assert _seen(path) == list(range(20, 40)) + list(range(100, 120))


async def test_a_failed_commit_fails_every_write_it_held_and_the_next_ones_go_on(tmp_path: Path) -> None:
    """A deferred foreign key is checked only at COMMIT: one write breaking it makes its group's COMMIT fail.
    Every write of that group then fails with SQLite's error, none of their rows is kept, and later writes
    commit as usual."""
    path = _database(
        tmp_path,
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE t (x INTEGER UNIQUE, parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);"
        "INSERT INTO parent VALUES (1);",
    )
    engine = PooledSQLiteEngine(str(path))
    group = engine._write_group()
    outcomes: dict[int, str] = {}

    async def write(n: int, parent: int) -> None:
        try:
            async with engine.transaction(TransactionType.immediate):
                await engine.run_querystring(QueryString("INSERT INTO t VALUES ({}, {})", n, parent))
                await asyncio.sleep(0)
            outcomes[n] = "kept"
        except sqlite3.IntegrityError as error:
            outcomes[n] = str(error)

    async with asyncio.timeout(30):
        await group.acquire()  # hold the turn so that all six queue up and end in one group
        writes = [asyncio.create_task(write(n, 99 if n == 3 else 1)) for n in range(6)]
        await asyncio.sleep(0.05)
        group.turn.release()
        await asyncio.gather(*writes)
        await write(10, 1)
    engine.close_lanes()
    assert outcomes.pop(10) == "kept"
    assert set(outcomes.values()) == {"FOREIGN KEY constraint failed"}
    assert _seen(path) == [10]


async def test_workers_of_other_processes_take_turns_and_a_write_that_gives_up_leaves_no_lock(tmp_path: Path) -> None:
    """Two engines on one file stand for two worker processes (each has its own lock file descriptor).
    While one writes, the other's write waits and then lands; one that waits past its timeout fails as SQLite
    would, and neither worker is left locked out afterwards."""
    path = _database(tmp_path)
    first = PooledSQLiteEngine(str(path), timeout=5)
    second = PooledSQLiteEngine(str(path), timeout=0.05)
    patient = PooledSQLiteEngine(str(path), timeout=5)

    async def long_write(value: int) -> None:
        async with first.transaction(TransactionType.immediate):
            await first.run_querystring(QueryString("INSERT INTO t VALUES ({})", value))
            await asyncio.sleep(0.4)

    async def late(engine: PooledSQLiteEngine, value: int) -> None:
        await asyncio.sleep(0.1)  # the long write holds the lock by now
        await _write(engine, value)

    async with asyncio.timeout(30):
        await asyncio.gather(long_write(1), late(patient, 2))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await asyncio.gather(long_write(3), late(second, 4))
        await asyncio.sleep(0.1)  # the lane that gave up gets in, finds nothing to write and lets go
        await _write(first, 5)
        await _write(second, 6)
        await _write(patient, 7)
    for engine in (first, second, patient):
        engine.close_lanes()
    assert _seen(path) == [1, 2, 3, 5, 6, 7]


async def test_a_writer_outside_newsplus_is_waited_for_without_stalling_the_loop(tmp_path: Path) -> None:
    """A write begins on the loop's own thread when no other worker holds the lock file; if a program that
    does not know the lock file (the sqlite3 shell, a backup) holds SQLite's write lock, the write waits for it
    on the lane, and the worker's other requests go on meanwhile."""
    path = _database(tmp_path)
    engine = PooledSQLiteEngine(str(path), timeout=5)
    await _write(engine, 1)  # the lane is open and the fast way has been taken once
    outsider = sqlite3.connect(path, isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    outsider.execute("INSERT INTO t VALUES (2)")
    await _waits_for(outsider, _write(engine, 3))
    outsider.close()
    engine.close_lanes()
    assert _seen(path) == [1, 2, 3]


async def test_a_short_read_runs_on_the_loop_and_waits_on_a_lane_while_sqlite_is_locked(tmp_path: Path) -> None:
    """A read marked SHORT outside a transaction runs on the loop's own thread and sees every committed write; when
    SQLite turns it away (a program holding an exclusive lock, as a rollback journal's writer does while it
    commits), it waits for the lock on a lane, and the worker's other requests go on meanwhile."""
    path = tmp_path / "reads.sqlite3"  # a rollback journal, where a writer's lock keeps readers out
    with contextlib.closing(sqlite3.connect(path)) as setup:
        setup.executescript("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
    engine = PooledSQLiteEngine(str(path), timeout=5)
    short = QueryString(SHORT + "SELECT x FROM t ORDER BY x")
    assert [r["x"] for r in await engine.run_querystring(short)] == [1]
    assert not engine._query_lanes  # no lane was needed
    with contextlib.closing(sqlite3.connect(path)) as other:
        other.execute("INSERT INTO t VALUES (2)")
        other.commit()
    assert [r["x"] for r in await engine.run_querystring(short)] == [1, 2]

    outsider = sqlite3.connect(path, isolation_level=None)
    outsider.execute("BEGIN EXCLUSIVE")
    outsider.execute("INSERT INTO t VALUES (3)")
    assert [r["x"] for r in await _waits_for(outsider, engine.run_querystring(short))] == [1, 2, 3]
    outsider.close()
    engine.close_lanes()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root makes files for another owner")
async def test_the_lock_file_root_makes_belongs_to_the_databases_owner(tmp_path: Path) -> None:
    """A `newsplus migrate` run as root must not lock the server's own user out of the lock file: it is made
    with the database's owner and permissions, as SQLite makes its -wal and -shm files."""
    path = _database(tmp_path)
    os.chown(path, 4321, 4321)
    os.chmod(path, 0o660)
    engine = PooledSQLiteEngine(str(path))
    await _write(engine, 1)
    engine.close_lanes()
    lock = os.stat(f"{path}-writers.lock")
    assert (lock.st_uid, lock.st_gid, lock.st_mode & 0o777) == (4321, 4321, 0o660)
    assert _seen(path) == [1]


async def test_writes_go_on_when_the_lock_file_cannot_be_made(tmp_path: Path) -> None:
    """Something in the lock file's way that cannot be opened for writing (here: a folder of that name) does
    not stop the writes: the lock is taken on it read-only, or left to SQLite's own lock."""
    path = _database(tmp_path)
    os.mkdir(f"{path}-writers.lock")
    engine = PooledSQLiteEngine(str(path))
    await asyncio.gather(*(_write(engine, n) for n in range(5)))
    engine.close_lanes()
    assert _seen(path) == [0, 1, 2, 3, 4]
