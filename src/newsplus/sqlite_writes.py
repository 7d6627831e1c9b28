"""SQLite writes of one worker, committed in groups.

A durable ``COMMIT`` waits for the disk (about a millisecond here), and SQLite lets one writer in at a time, so
writes committed one by one can never pass a thousand a second, however little else they do. Here the writes of
a worker take turns on one kept connection (its *lane*) inside one SQLite transaction, each in a savepoint of
its own:

- a write that ends well releases its savepoint and waits; one that fails rolls back to its savepoint, and the
  others' rows stay;
- the transaction is committed by the write that ends with no other writer waiting for the turn, or, when
  writers keep coming, by a *flusher* queued behind the ones waiting when the first write ended, or by whoever
  next holds the turn once the first waiting write has waited ``GROUP_WAIT``;
- only then does any of them return, so a write is on disk before its caller goes on (and before a reply
  says it was saved);
- if the ``COMMIT`` fails, or SQLite ends the whole transaction after an error, every write of the group
  fails with that error.

Reading transactions and single reads use other connections (``newsplus.sqlite_pool``) and see a write once
its group is committed, as they would see any other commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
import time
from typing import Any

from piccolo.engine.exceptions import TransactionError

from newsplus.sqlite_lanes import FOREIGN_KEYS, Lane, Rows, Statement, done, is_short, run_statement

__all__ = ["GROUP_WAIT", "WRITERS_LOCK", "ProcessLock", "WriteGroup", "WritingConnection"]

log = logging.getLogger(__name__)

SAVEPOINT = "newsplus_write"
WRITERS_LOCK = "-writers.lock"  # the lock file's name: the database's, and this
# How long a written-and-released write may wait for the group's COMMIT while others keep taking the turn.
GROUP_WAIT = 0.010


class ProcessLock:
    """A lock on a file beside the database, taken on the lane before ``BEGIN IMMEDIATE``.

    Workers in other processes meet at SQLite's write lock, whose busy handler polls by sleeping 1, 2, 5, … 100
    ms, so a worker that found the lock taken slept on long after it was free. Here a worker looks again every
    ``POLL`` seconds (on the lane's thread, not the loop's), and after the connection's busy timeout fails as
    SQLite would.
    """

    # Each look wakes the lane's thread, which takes the interpreter lock from the loop: two workers under
    # intake load wrote 988-1,162/s looking every 0.05 ms, 1,060-1,214/s every 0.2 ms, and 1,098-1,458/s every
    # 0.5 to 2 ms (bench data set, 10 s runs taken in turn).
    POLL = 0.0005

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None
        self._unusable = False
        self.held = False

    def acquire(self) -> None:
        """Wait for the lock, up to the timeout (on the lane's thread)."""
        deadline = time.monotonic() + self.timeout
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                raise sqlite3.OperationalError("database is locked")
            time.sleep(self.POLL)

    def try_acquire(self) -> bool:
        """Take the lock if no other process holds it now; without a usable file, leave it to SQLite's lock."""
        if self._fd is None:
            if self._unusable:
                return True
            self._fd = self._open()
            if self._fd is None:
                self._unusable = True
                return True
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.held = True
        return True

    def _open(self) -> int | None:
        """The lock file, made like SQLite makes its -wal and -shm files: with the database's permissions, and
        its owner when root makes it (a `newsplus migrate` run as root must not lock the server out). One that
        cannot be opened at all leaves the turns to SQLite's own lock, as before."""
        database = self.path.removesuffix(WRITERS_LOCK)
        try:
            status = os.stat(database)
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL)
            except FileExistsError:
                return os.open(self.path, os.O_RDWR)
            os.fchmod(fd, status.st_mode & 0o666)  # the database's, whatever the umask
            if os.geteuid() == 0:
                os.fchown(fd, status.st_uid, status.st_gid)
            return fd
        except OSError:
            with contextlib.suppress(OSError):
                return os.open(self.path, os.O_RDONLY)  # flock needs no write access
        log.warning("cannot open %s: writers of other processes meet at SQLite's lock only", self.path)
        return None

    def release(self) -> None:
        """Let the other processes' writers in."""
        if self.held and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self.held = False

    def close(self) -> None:
        """Release the lock and close its file."""
        self.release()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


async def _through(future: asyncio.Future[Any]) -> Any:
    """Await work on the lane that must end before the writers' turn passes on, even if the caller is cancelled."""
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


class WriteGroup:
    """The writers' turn of one event loop, its lane, and the writes waiting for one ``COMMIT``."""

    def __init__(self, lane: Lane, lock: ProcessLock) -> None:
        self.lane = lane
        self.lock = lock
        self.turn = asyncio.Lock()
        self.queued = 0  # writers (and the flusher) waiting for the turn
        self.open = False  # BEGIN IMMEDIATE ran on the lane; COMMIT has not
        self.waiting: list[asyncio.Future[None]] = []
        self.since = 0.0  # when the first of them ended
        self.flusher: asyncio.Task[None] | None = None

    async def acquire(self) -> None:
        """Wait for the writers' turn."""
        self.queued += 1
        try:
            await self.turn.acquire()
        finally:
            self.queued -= 1

    async def single(self, query: str, args: Any) -> Rows:
        """One writing statement outside a transaction, as a write of its own (it waits for its group's COMMIT)."""
        await self.acquire()
        if not self.open and not self.queued:  # nobody to share a COMMIT with: one trip, committing itself
            try:
                return await _through(self.lane.submit(lambda c: self._alone(c, query, args)))
            finally:
                self.turn.release()
        writing = WritingConnection(self)
        try:
            rows = await writing.run(query, args)
        except BaseException:
            await writing.end(commit=False)
            raise
        await writing.end(commit=True)
        return rows

    async def enter(self) -> None:
        """Start a write (its holder has the turn): open the group's transaction if needed, then its savepoint."""
        if self._overdue():
            await self._commit_in_turn()
        if not self.open:
            await self._open()
        self.lane.connection().execute(f"SAVEPOINT {SAVEPOINT}")

    async def _open(self) -> None:
        """BEGIN IMMEDIATE: right here when no other process writes, else on the lane, where waiting for another
        process does not stall the loop. (The trip to the lane and back held the lock 0.5-1 ms longer.)"""
        if not (self.lock.try_acquire() and self._begin_now(self.lane.connection())):
            await _through(self.lane.submit(self._begin))

    def _begin_now(self, connection: sqlite3.Connection) -> bool:
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # a writer outside newsplus holds SQLite's own lock: wait on the lane
            self.lock.release()
            return False
        finally:
            connection.execute(f"PRAGMA busy_timeout = {int(self.lock.timeout * 1000)}")
        self.open = True
        return True

    def _begin(self, connection: sqlite3.Connection) -> None:
        self.lock.acquire()
        try:
            connection.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        self.open = True

    def _alone(self, connection: sqlite3.Connection, query: str, args: Any) -> Rows:
        self.lock.acquire()
        try:
            return run_statement(connection, query, args)
        finally:
            self.lock.release()

    def join(self) -> asyncio.Future[None]:
        """Wait, with the group, for the COMMIT of a write that ended well."""
        loop = asyncio.get_running_loop()
        if not self.waiting:
            self.since = loop.time()
        waiting = loop.create_future()
        self.waiting.append(waiting)
        return waiting

    def lost(self, error: BaseException) -> None:
        """After a failed statement: if SQLite ended the whole transaction, the group's writes are lost with it."""
        if self.open and not self.lane.connection().in_transaction:
            self.open = False
            self.lock.release()
            self._tell(self._take(), error)

    async def hand_on(self) -> None:
        """End the current holder's turn: commit the group now if nobody waits, otherwise leave it to them."""
        try:
            if self.open and (not self.queued or self._overdue()):
                await self._commit_in_turn()
            elif self.open and self.flusher is None:
                self.flusher = asyncio.get_running_loop().create_task(self._flush())
        finally:
            self.turn.release()

    async def _flush(self) -> None:
        await self.acquire()
        self.flusher = None
        try:
            if self.open:
                await self._commit_in_turn()
        finally:
            self.turn.release()

    def _overdue(self) -> bool:
        return bool(self.waiting) and asyncio.get_running_loop().time() - self.since > GROUP_WAIT

    def _take(self) -> list[asyncio.Future[None]]:
        waiting, self.waiting = self.waiting, []
        return waiting

    async def _commit_in_turn(self) -> None:
        """COMMIT (or roll back a group with nothing to keep) and tell the waiting writes; the turn stays held
        until it is done, even if the caller is cancelled meanwhile."""
        waiting = self._take()
        keep = bool(waiting)
        self.open = False

        def finish(connection: sqlite3.Connection) -> None:
            try:
                if keep:
                    connection.execute("COMMIT")
            finally:
                try:
                    if connection.in_transaction:  # nothing kept, or COMMIT failed (a full disk, say)
                        connection.execute("ROLLBACK")
                finally:
                    self.lock.release()

        work = self.lane.submit(finish)
        work.add_done_callback(lambda w: self._tell(waiting, None if w.cancelled() else w.exception()))
        with contextlib.suppress(Exception):  # the waiting writes carry it
            await _through(work)

    @staticmethod
    def _tell(waiting: list[asyncio.Future[None]], error: BaseException | None) -> None:
        for future in waiting:
            if not future.done():
                future.set_exception(error) if error is not None else future.set_result(None)


class WritingConnection:
    """A write's view of the lane, as piccolo's transaction uses it: its own savepoint in the group's transaction;
    ``COMMIT`` waits for the group's, and the turn passes on as the write ends."""

    row_factory: Any = None  # piccolo sets it; a lane's rows are dicts already

    def __init__(self, group: WriteGroup) -> None:
        self._group = group
        self._inside = False
        self._ended = False

    def execute(self, query: str, args: Any = None) -> Statement:
        """Run one statement of the write."""
        if query == FOREIGN_KEYS or query.startswith("BEGIN"):
            return Statement(done())  # the connection keeps foreign keys on; the write begins with its first statement
        if query in ("COMMIT", "ROLLBACK"):
            return Statement(self.end(commit=query == "COMMIT"))
        return Statement(self.run(query, args or []))

    async def run(self, query: str, args: Any) -> Rows:
        """One statement inside the write's savepoint: a short one on the loop's thread, others on the lane."""
        if self._ended:
            raise TransactionError("this transaction has ended")
        group = self._group
        if not self._inside:
            await group.enter()
            self._inside = True
        try:
            if is_short(query, args):
                return run_statement(group.lane.connection(), query, args)
            return await group.lane.call(lambda c: run_statement(c, query, args))
        except sqlite3.Error as error:
            group.lost(error)
            raise

    async def end(self, commit: bool) -> Rows:
        """Keep the write (waiting for its group's COMMIT) or undo it, and pass the turn on."""
        if self._ended:
            return Rows([], None)
        self._ended = True
        group, waiting = self._group, None
        try:
            if self._inside and group.open:
                connection = group.lane.connection()
                if commit:
                    connection.execute(f"RELEASE {SAVEPOINT}")
                    waiting = group.join()
                else:
                    connection.execute(f"ROLLBACK TO {SAVEPOINT}")
                    connection.execute(f"RELEASE {SAVEPOINT}")
            elif self._inside and commit:
                raise TransactionError("the transaction was lost after an error; nothing of it was written")
        except sqlite3.Error as error:
            group.lost(error)
            raise
        finally:
            await group.hand_on()
        if waiting is not None:
            await waiting
        return Rows([], None)

    async def close(self) -> None:
        """Undo whatever was left open (a transaction that failed to end), passing the turn on."""
        if not self._ended:
            await self.end(commit=False)
