"""The pieces SQLite's kept connections are made of: a *lane* (one connection and the one thread that uses it),
a statement run on it, and what it returned, shaped as piccolo reads an aiosqlite cursor."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["FOREIGN_KEYS", "SHORT", "Lane", "Rows", "Statement", "done", "is_short", "run_statement"]

# piccolo sends this before every query in a transaction; a lane's connection set it once when it opened.
FOREIGN_KEYS = "PRAGMA foreign_keys = 1"
# A short statement runs on the event loop's own thread: inside a writing transaction, and a read marked
# ``SHORT`` outside one. A trip to a lane's thread and back costs more than such a statement (the thread waits
# for the interpreter lock while the loop runs Python; a signed-in intake spent a tenth of its instructions on
# its session lookup's trip), and inside a write the writers' turn is held all the while. Anything longer goes
# to a lane, so a big statement never stalls the loop. Mark a read ``SHORT`` only when an index takes it to a
# bounded handful of rows: the session of a token, the holders of a role, a batch of rows by id.
SHORT = "/* short */ "
SHORT_ARGS = 200


class Lane:
    """One SQLite connection and the one thread that uses it."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsplus-sqlite")
        self._connect = connect
        self._connection: sqlite3.Connection | None = None

    async def call(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``work(connection)`` on the lane's thread."""
        return await self.submit(work)

    def submit(self, work: Callable[[sqlite3.Connection], Any]) -> asyncio.Future[Any]:
        """Start ``work(connection)`` on the lane's thread; the future is its outcome."""
        return asyncio.get_running_loop().run_in_executor(self._thread, self._run, work)

    def _run(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        return work(self.connection())

    def connection(self) -> sqlite3.Connection:
        """The lane's connection, opened on first use."""
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def close(self) -> None:
        """Close the connection and let the thread end."""

        def shut() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        self._thread.submit(shut)
        self._thread.shutdown(wait=False)


class Rows:
    """What a statement returned, shaped like the aiosqlite cursor piccolo reads."""

    def __init__(self, rows: list[dict[str, Any]], lastrowid: int | None) -> None:
        self.rows = rows
        self.lastrowid = lastrowid

    async def fetchall(self) -> list[dict[str, Any]]:
        """Every row."""
        return self.rows

    async def fetchone(self) -> dict[str, Any] | None:
        """The first row, if any."""
        return self.rows[0] if self.rows else None


class Statement:
    """A statement under way: awaited, or used as ``async with`` as piccolo does."""

    def __init__(self, pending: Any) -> None:
        self._pending = pending

    def __await__(self) -> Any:
        return self._pending.__await__()

    async def __aenter__(self) -> Rows:
        return await self._pending

    async def __aexit__(self, *_: object) -> bool:
        return False


async def done() -> Rows:
    """No rows: what a statement that needed no trip to the database returns."""
    return Rows([], None)


def is_short(query: str, args: Any) -> bool:
    """Whether a statement touches a bounded handful of rows: an INSERT of values, or one marked ``SHORT``."""
    return len(args) <= SHORT_ARGS and (
        query.startswith(SHORT) or (query.startswith("INSERT") and "SELECT" not in query)
    )


def run_statement(connection: sqlite3.Connection, query: str, args: Any, begin: str | None = None) -> Rows:
    """Run one statement (after ``begin``, when given) and fetch all it returns."""
    if begin is not None:
        connection.execute(begin)
    elif query == "ROLLBACK" and not connection.in_transaction:  # BEGIN itself failed: nothing to undo
        return Rows([], None)
    cursor = connection.execute(query, args)
    try:
        return Rows(cursor.fetchall(), cursor.lastrowid)
    finally:
        cursor.close()
