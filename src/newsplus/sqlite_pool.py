"""SQLite with kept connections: piccolo's SQLite engine opens a new connection, and a new thread, for every
query and every transaction (about a millisecond each, and several per request). Here each connection lives
in a *lane*, a thread of its own that keeps it open.

- A query outside a transaction takes one of ``QUERY_LANES`` lanes for one round trip, waiting its turn
  when all are busy: more threads than cores would only queue on the interpreter lock.
- A reading transaction borrows a lane of its own for its whole length, opened when none is idle, and up to
  ``KEEP_IDLE`` are kept.
- Writing transactions (``BEGIN IMMEDIATE``, as ``newsplus.transaction()`` opens) take turns on an asyncio lock
  before they begin, and so does a single writing statement outside a transaction (the event dispatcher's
  claims, say). SQLite lets one writer in at a time anyway; without the lock the others would wait in its
  busy handler, which polls by sleeping 1, 2, 5, … 100 ms, so under load most of an intake's time was sleep.
  Workers in other processes still meet at SQLite's lock.
- All writes of a worker use one lane, whose page cache stays valid between them, and inside a writing
  transaction a short statement (see ``SHORT``) runs on the event loop's own thread rather than the lane's.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

__all__ = ["SHORT", "PooledSQLiteEngine"]

QUERY_LANES = 4
KEEP_IDLE = 16
# piccolo sends this before every query in a transaction; a lane's connection set it once when it opened.
FOREIGN_KEYS = "PRAGMA foreign_keys = 1"
# Inside a writing transaction a short statement runs on the event loop's own thread: a trip to the lane's
# thread and back costs more than the statement (the thread waits for the interpreter lock while the loop
# runs Python), and the writers' turn is held all the while. Anything longer goes to the lane, so a big
# statement never stalls the loop.
SHORT = "/* short */ "
SHORT_ARGS = 200
READING = re.compile(r"\s*(?:/\*.*?\*/\s*)?(SELECT|PRAGMA|EXPLAIN|VALUES)\b", re.IGNORECASE)


class _Lane:
    """One SQLite connection and the one thread that uses it."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsplus-sqlite")
        self._connect = connect
        self._connection: sqlite3.Connection | None = None

    async def call(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``work(connection)`` on the lane's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._run, work)

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


class _Rows:
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


class _Statement:
    """A statement under way: awaited, or used as ``async with`` as piccolo does."""

    def __init__(self, pending: Any) -> None:
        self._pending = pending

    def __await__(self) -> Any:
        return self._pending.__await__()

    async def __aenter__(self) -> _Rows:
        return await self._pending

    async def __aexit__(self, *_: object) -> bool:
        return False


class _BorrowedConnection:
    """A lane lent to one transaction; closing it hands the lane back (rolling back anything left open).

    Every trip to the lane's thread waits for the event loop to come round again, and a writing transaction
    holds the writers' turn all along, so trips are saved: ``BEGIN`` travels with the first statement, and a
    transaction that ended with ``COMMIT`` or ``ROLLBACK`` needs no further look at the connection.
    """

    row_factory: Any = None  # piccolo sets it; a lane's rows are dicts already

    def __init__(self, engine: PooledSQLiteEngine, lane: _Lane, turn: asyncio.Lock | None) -> None:
        self._engine = engine
        self._lane = lane
        self._turn = turn
        self._begin: str | None = None
        self._ended = False

    def execute(self, query: str, args: Any = None) -> _Statement:
        """Run one statement on the lane."""
        if query == FOREIGN_KEYS:
            return _Statement(_done())
        if query.startswith("BEGIN"):
            self._begin = query
            return _Statement(_done())
        begin, self._begin = self._begin, None
        return _Statement(self._run(begin, query, args or []))

    async def _run(self, begin: str | None, query: str, args: Any) -> _Rows:
        ending = query in ("COMMIT", "ROLLBACK")
        if begin is not None and ending:  # nothing ran: nothing to end
            self._ended = True
            return _Rows([], None)
        # Not BEGIN: it may wait for another process's write lock, and must not stall the loop meanwhile.
        if self._turn is not None and begin is None and _short(query, args):
            rows = _statement(self._lane.connection(), query, args, begin)
        else:
            rows = await self._lane.call(lambda c: _statement(c, query, args, begin))
        self._ended = ending
        return rows

    async def close(self) -> None:
        """Give the lane back to the engine, and the writers' turn to the next one."""
        try:
            await self._engine._give_back(self._lane, maybe_open=not self._ended)
        finally:
            if self._turn is not None:
                self._turn.release()
                self._turn = None


def _short(query: str, args: Any) -> bool:
    """Whether a statement touches a bounded handful of rows: an INSERT of values, or one marked ``SHORT``."""
    return len(args) <= SHORT_ARGS and (
        query.startswith(SHORT) or (query.startswith("INSERT") and "SELECT" not in query)
    )


async def _done() -> _Rows:
    return _Rows([], None)


def _statement(connection: sqlite3.Connection, query: str, args: Any, begin: str | None = None) -> _Rows:
    if begin is not None:
        connection.execute(begin)
    elif query == "ROLLBACK" and not connection.in_transaction:  # BEGIN itself failed: nothing to undo
        return _Rows([], None)
    cursor = connection.execute(query, args)
    try:
        return _Rows(cursor.fetchall(), cursor.lastrowid)
    finally:
        cursor.close()


class _PooledTransaction(SQLiteTransaction):
    """piccolo's SQLite transaction on a borrowed lane instead of a new connection."""

    async def get_connection(self) -> _BorrowedConnection:
        """Borrow a lane for the whole transaction; a writing one first waits for its turn."""
        engine: PooledSQLiteEngine = self.engine  # type: ignore[assignment]
        turn = None
        if self.transaction_type is not TransactionType.deferred:
            turn = engine._writers()
            await turn.acquire()
        try:
            lane = engine._writer_lane() if turn is not None else await engine._borrow()
            return _BorrowedConnection(engine, lane, turn)
        except BaseException:
            if turn is not None:
                turn.release()
            raise

    async def __aenter__(self) -> SQLiteTransaction:
        """Begin, handing the lane (and the turn) back if BEGIN itself fails."""
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            await self.begin()
        except BaseException:
            await self.connection.close()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self


class PooledSQLiteEngine(SQLiteEngine):
    """piccolo's SQLite engine, keeping its connections open in lanes (see the module's docstring)."""

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._idle: list[_Lane] = []
        self._query_lanes: list[_Lane] = []
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._writer_turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock, _Lane] | None = None

    def _turn(self) -> asyncio.Semaphore:
        """The semaphore sharing the query lanes, one per event loop (a worker runs one; tests run several)."""
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Semaphore(QUERY_LANES))
        return self._turns[1]

    def _writers(self) -> asyncio.Lock:
        """The lock writing transactions take turns on, one per event loop."""
        return self._writing()[1]

    def _writer_lane(self) -> _Lane:
        """The lane every write of this event loop runs on, one at a time (its holder has the writers' turn).

        Writes take turns anyway; one connection for all of them keeps its page cache, which SQLite keeps
        valid while no other connection has written, so a write rarely reads the B-tree's pages again.
        """
        return self._writing()[2]

    def _writing(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Lock, _Lane]:
        loop = asyncio.get_running_loop()
        if self._writer_turns is None or self._writer_turns[0] is not loop:
            if self._writer_turns is not None:
                self._writer_turns[2].close()
            self._writer_turns = (loop, asyncio.Lock(), _Lane(self._connect))
        return self._writer_turns

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(**self.connection_kwargs, check_same_thread=False)
        connection.row_factory = dict_factory
        connection.execute(FOREIGN_KEYS)
        return connection

    async def _borrow(self) -> _Lane:
        return self._idle.pop() if self._idle else _Lane(self._connect)

    async def _give_back(self, lane: _Lane, maybe_open: bool = False) -> None:
        # A transaction that failed while committing or rolling back must not leave its lane inside one.
        if maybe_open:
            await lane.call(lambda c: c.in_transaction and c.execute("ROLLBACK"))
        if self._writer_turns is not None and lane is self._writer_turns[2]:
            return
        if len(self._idle) < KEEP_IDLE:
            self._idle.append(lane)
        else:
            lane.close()

    def close_lanes(self) -> None:
        """Close every idle connection (at shut-down)."""
        while self._idle:
            self._idle.pop().close()
        while self._query_lanes:
            self._query_lanes.pop().close()
        if self._writer_turns is not None:
            self._writer_turns[2].close()
            self._writer_turns = None

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        if query_type == "insert" and self.get_version_sync() < 3.35:  # no RETURNING before 3.35
            return await super()._run_in_new_connection(query, args, query_type, table)
        if not READING.match(query):
            async with self._writers():
                return (await self._writer_lane().call(lambda c: _statement(c, query, args or []))).rows
        async with self._turn():
            lane = self._query_lanes.pop() if self._query_lanes else _Lane(self._connect)
            try:
                return (await lane.call(lambda c: _statement(c, query, args or []))).rows
            finally:
                self._query_lanes.append(lane)

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        """A transaction on a borrowed lane."""
        return _PooledTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)
