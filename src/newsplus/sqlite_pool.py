"""SQLite with kept connections: piccolo's SQLite engine opens a new connection, and a new thread, for every
query and every transaction (about a millisecond each, and several per request). Here each connection lives
in a *lane* (``newsplus.sqlite_lanes``), a thread of its own that keeps it open.

- A short read outside a transaction (one marked ``SHORT``, see ``newsplus.sqlite_lanes``) runs on the event
  loop's own thread, on a connection kept for that loop.
- Any other query outside a transaction takes one of ``QUERY_LANES`` lanes for one round trip, waiting its turn
  when all are busy: more threads than cores would only queue on the interpreter lock.
- A reading transaction borrows a lane of its own for its whole length, opened when none is idle, and up to
  ``KEEP_IDLE`` are kept.
- Writes (transactions that ``newsplus.transaction()`` opens, and single writing statements outside one, such
  as the event dispatcher's claims) take turns on one lane per worker and are committed in groups
  (``newsplus.sqlite_writes``). SQLite lets one writer in at a time anyway; without the turns the others would
  wait in its busy handler, which polls by sleeping 1, 2, 5, … 100 ms. Workers in other processes still meet at
  SQLite's lock.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import weakref
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from newsplus.sqlite_lanes import FOREIGN_KEYS, SHORT, Lane, Rows, Statement, done, run_statement
from newsplus.sqlite_writes import WRITERS_LOCK, ProcessLock, WriteGroup, WritingConnection

__all__ = ["PooledSQLiteEngine"]

QUERY_LANES = 4
KEEP_IDLE = 16
READING = re.compile(r"\s*(?:/\*.*?\*/\s*)?(SELECT|PRAGMA|EXPLAIN|VALUES)\b", re.IGNORECASE)


class _ReadingConnection:
    """A lane lent to one reading transaction; closing it hands the lane back (rolling back anything left open).

    Every trip to the lane's thread waits for the event loop to come round again, so trips are saved: ``BEGIN``
    travels with the first statement, and a transaction that ended with ``COMMIT`` or ``ROLLBACK`` needs no
    further look at the connection.
    """

    row_factory: Any = None  # piccolo sets it; a lane's rows are dicts already

    def __init__(self, engine: PooledSQLiteEngine, lane: Lane) -> None:
        self._engine = engine
        self._lane = lane
        self._begin: str | None = None
        self._ended = False

    def execute(self, query: str, args: Any = None) -> Statement:
        """Run one statement on the lane."""
        if query == FOREIGN_KEYS:
            return Statement(done())
        if query.startswith("BEGIN"):
            self._begin = query
            return Statement(done())
        begin, self._begin = self._begin, None
        return Statement(self._run(begin, query, args or []))

    async def _run(self, begin: str | None, query: str, args: Any) -> Rows:
        ending = query in ("COMMIT", "ROLLBACK")
        if begin is not None and ending:  # nothing ran: nothing to end
            self._ended = True
            return Rows([], None)
        rows = await self._lane.call(lambda c: run_statement(c, query, args, begin))
        self._ended = ending
        return rows

    async def close(self) -> None:
        """Give the lane back to the engine."""
        await self._engine._give_back(self._lane, maybe_open=not self._ended)


class _PooledTransaction(SQLiteTransaction):
    """piccolo's SQLite transaction on a kept lane instead of a new connection."""

    async def get_connection(self) -> _ReadingConnection | WritingConnection:
        """A writing transaction waits for the writers' turn; a reading one borrows a lane of its own."""
        engine: PooledSQLiteEngine = self.engine  # type: ignore[assignment]
        if self.transaction_type is TransactionType.deferred:
            return _ReadingConnection(engine, await engine._borrow())
        group = engine._write_group()
        await group.acquire()
        return WritingConnection(group)

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
        self._idle: list[Lane] = []
        self._query_lanes: list[Lane] = []
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._writes: tuple[asyncio.AbstractEventLoop, WriteGroup] | None = None
        self._on_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, sqlite3.Connection] = (
            weakref.WeakKeyDictionary()
        )

    def _turn(self) -> asyncio.Semaphore:
        """The semaphore sharing the query lanes, one per event loop (a worker runs one; tests run several)."""
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Semaphore(QUERY_LANES))
        return self._turns[1]

    def _write_group(self) -> WriteGroup:
        """The writers' turn and lane of this event loop.

        Writes take turns anyway; one connection for all of them keeps its page cache, which SQLite keeps
        valid while no other connection has written, so a write rarely reads the B-tree's pages again.
        """
        loop = asyncio.get_running_loop()
        if self._writes is None or self._writes[0] is not loop:
            self._close_writes()
            lock = ProcessLock(self.path + WRITERS_LOCK, self.connection_kwargs.get("timeout", 5.0))
            self._writes = (loop, WriteGroup(Lane(self._connect_writing), lock))
        return self._writes[1]

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(**self.connection_kwargs, check_same_thread=False)
        connection.row_factory = dict_factory
        connection.execute(FOREIGN_KEYS)
        return connection

    def _connect_writing(self) -> sqlite3.Connection:
        # Every write is a savepoint, and an insert into a table with unique indexes keeps a statement journal:
        # SQLite writes both to a temporary file by default. In memory, an intake's four inserts took 240 µs
        # of the loop's time instead of 420. They hold a few pages of the current write, not the whole group.
        connection = self._connect()
        connection.execute("PRAGMA temp_store = MEMORY")
        return connection

    async def _borrow(self) -> Lane:
        return self._idle.pop() if self._idle else Lane(self._connect)

    async def _give_back(self, lane: Lane, maybe_open: bool = False) -> None:
        # A transaction that failed while committing or rolling back must not leave its lane inside one.
        if maybe_open:
            await lane.call(lambda c: c.in_transaction and c.execute("ROLLBACK"))
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
        for connection in self._on_loop.values():
            connection.close()
        self._on_loop.clear()
        self._close_writes()

    def _close_writes(self) -> None:
        if self._writes is not None:
            group = self._writes[1]
            group.lane.close()
            group.lock.close()
            self._writes = None

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        if query_type == "insert" and self.get_version_sync() < 3.35:  # no RETURNING before 3.35
            return await super()._run_in_new_connection(query, args, query_type, table)
        if not READING.match(query):
            return (await self._write_group().single(query, args or [])).rows
        if query.startswith(SHORT):
            rows = self._read_on_loop(query, args or [])
            if rows is not None:
                return rows
        async with self._turn():
            lane = self._query_lanes.pop() if self._query_lanes else Lane(self._connect)
            try:
                return (await lane.call(lambda c: run_statement(c, query, args or []))).rows
            finally:
                self._query_lanes.append(lane)

    def _read_on_loop(self, query: str, args: list[Any]) -> list[dict[str, Any]] | None:
        """A short read right here on the loop's thread, or None when SQLite is busy (the caller then takes a lane,
        where waiting does not stall the loop)."""
        loop = asyncio.get_running_loop()
        connection = self._on_loop.get(loop)
        if connection is None:
            connection = self._on_loop[loop] = self._connect()
            connection.execute("PRAGMA busy_timeout = 0")
        try:
            return run_statement(connection, query, args).rows
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                return None
            raise

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        """A transaction on a kept lane."""
        return _PooledTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)
