"""Delivering the outbox: each delivery is claimed by one worker, run in its district, retried with back-off.

A delivery's target names who receives it: ``plugin:<name>`` calls that plugin's ``handle_event``; other
kinds (``webhook:<id>``) are added by core plugins with ``add_target_kind``. A failing delivery is retried
after 5 s, 10 s, 20 s … (at most an hour apart) and marked failed after ``max_attempts``; failed ones are
listed in the desk and can be retried by hand.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import os
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from newsplus.clock import now
from newsplus.db import is_postgres
from newsplus.districts.scope import CurrentDistrict, all_districts, current_district_id, district_scope
from newsplus.events.background import Background
from newsplus.events.outbox import Event, decode_event
from newsplus.events.tables import Delivery
from newsplus.plugins import maybe_await
from newsplus.sqlite_lanes import SHORT

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = ["Dispatcher", "TargetKind"]

logger = logging.getLogger("newsplus.events")

BATCH = 10  # deliveries claimed at once
TARGETS_SECONDS = 1.0  # how long a worker keeps the list of who receives an event

DUE = "status = 'pending' AND next_attempt_at <= {} AND (claimed_until IS NULL OR claimed_until < {})"


def _claim_sql(status: str) -> str:
    """The claim: the oldest due first, in the order of the (status, next_attempt_at) index, so it reads ten rows
    however long the backlog (``SHORT``: on SQLite it runs on the loop's thread); the outer conditions check that
    no other worker claimed a row first."""
    due = DUE.removeprefix("status")
    return (
        SHORT + "UPDATE events_delivery SET claimed_until = {}, claim_token = {}, attempts = attempts + 1 WHERE id IN "
        f"(SELECT id FROM events_delivery WHERE {DUE} ORDER BY next_attempt_at, id LIMIT {{}}) AND {status}{due} "
        "RETURNING id"
    )


# On SQLite the outer status is written ``+status``, SQLite's way of keeping a term off an index: without
# statistics it would walk every due row of that index instead of looking the ten ids up, on the writers' turn.
CLAIM = {"postgres": _claim_sql("status"), "sqlite": _claim_sql("+status")}
CLAIMED = (
    SHORT + 'SELECT d.id, d.target, d.attempts, d.district, t.slug AS "district.slug", t.name AS "district.name", '
    'e.name AS "event.name", e.payload AS "event.payload" FROM events_delivery d '
    "JOIN events_event e ON e.id = d.event JOIN districts_district t ON t.id = d.district "
    "WHERE d.id IN ({marks}) AND d.claim_token = {{}} ORDER BY d.id"
)

TargetKind = Callable[[str, Event, "Newsplus"], Awaitable[Any]]
"""Delivers an event to one target of a kind; ``(target_id, event, newsplus)``; raises to retry."""


class Dispatcher:
    """Claims due deliveries and runs them; one per process, looping in the background when started."""

    def __init__(self, newsplus: Newsplus, *, max_attempts: int = 10, claim_seconds: int = 300) -> None:
        self.newsplus = newsplus
        self.max_attempts = max_attempts
        self.claim = timedelta(seconds=claim_seconds)
        # A whole batch finishes well inside its claim, so no other worker takes a row over mid-batch.
        self.timeout = claim_seconds / (BATCH + 2)
        self.kinds: dict[str, TargetKind] = {"plugin": self._to_plugin}
        self.subscribers: list[Callable[[str], Awaitable[list[str]]]] = []
        self.worker = f"{os.getpid()}-{id(self)}"
        self._wake = asyncio.Event()
        self._background = Background()
        self._handlers = {impl.plugin_name: impl for impl in newsplus.pm.hook.handle_event.get_hookimpls()}
        self._targets: dict[tuple[int | None, str], tuple[float, list[str]]] = {}

    # -- targets -----------------------------------------------------------------------------------------

    def add_target_kind(
        self, kind: str, deliver: TargetKind, subscribed: Callable[[str], list[str]] | None = None
    ) -> None:
        """Teach the dispatcher a kind of target; ``subscribed(event_name)`` lists targets to add on publish."""
        self.kinds[kind] = deliver
        if subscribed is not None:
            self.subscribers.append(subscribed)

    async def targets_for(self, name: str) -> list[str]:
        """Who receives a newly published event: every handle_event plugin, then subscribed targets.

        The answer is kept for ``TARGETS_SECONDS`` per district and event: publishing happens inside the
        publisher's transaction, and on SQLite every other writer of the worker waits while that is open.
        A webhook added on another worker receives events from at most that long later.
        """
        key = (current_district_id(), name)
        kept = self._targets.get(key)
        if kept is not None and time.monotonic() - kept[0] < TARGETS_SECONDS:
            return list(kept[1])
        targets = [
            f"plugin:{plugin}"
            for plugin, impl in self._handlers.items()
            if any(fnmatch.fnmatchcase(name, p) for p in getattr(impl.function, "newsplus_events", ("*",)))
        ]
        for subscribed in self.subscribers:
            targets += await subscribed(name)
        self._targets[key] = (time.monotonic(), targets)
        return list(targets)

    def forget_targets(self) -> None:
        """Ask the subscribers again on the next publish (after a webhook was added or removed here)."""
        self._targets.clear()

    async def _to_plugin(self, plugin: str, event: Event, newsplus: Newsplus) -> None:
        impl = self._handlers.get(plugin)
        if impl is not None:  # a plugin that was disabled since: nothing to do
            await maybe_await(
                impl.function(**{k: v for k, v in {"event": event, "newsplus": newsplus}.items() if k in impl.argnames})
            )

    # -- delivery ----------------------------------------------------------------------------------------

    async def _claim(self, limit: int) -> tuple[str, list[dict[str, Any]]]:
        moment, token = now(), uuid.uuid4().hex
        # The conditional update is the claim: a row another worker claimed first no longer matches. The
        # attempt counts now, so a delivery that kills its worker still runs out of attempts. Written as SQL
        # because the dispatcher runs it after every event: piccolo took longer to compose it than to run it.
        claim = CLAIM["postgres" if is_postgres(Delivery._meta.db) else "sqlite"]
        claimed = await Delivery.raw(claim, moment + self.claim, token, moment, moment, limit, moment, moment)
        if not claimed:
            return token, []
        ids = [c["id"] for c in claimed]
        rows = await Delivery.raw(CLAIMED.format(marks=", ".join("{}" for _ in ids)), *ids, token)
        return token, rows

    async def _finish(self, ids: list[int], token: str, values: dict[str, Any]) -> None:
        # Only the holder of the claim may record the outcome (a lapsed claim may have been taken over). Written
        # as SQL, as the claim is: it runs after every batch, and piccolo took longer to compose it than to run it.
        # A batch is at most BATCH rows, by key: short enough for the loop's thread on SQLite.
        sets = ", ".join(f"{column} = {{}}" for column in values)
        marks = ", ".join("{}" for _ in ids)
        with all_districts():
            await Delivery.raw(
                f"{SHORT}UPDATE events_delivery SET {sets}, claimed_until = NULL, claim_token = NULL "
                f"WHERE id IN ({marks}) AND claim_token = {{}}",
                *values.values(),
                *ids,
                token,
            )

    async def _run(self, row: dict[str, Any], token: str) -> bool:
        """Deliver one claimed row; a failure is recorded here, a success by the caller with the batch's."""
        district = CurrentDistrict(id=row["district"], slug=row["district.slug"], name=row["district.name"])
        kind, _, target = row["target"].partition(":")
        attempts = row["attempts"]
        try:
            with district_scope(district):
                event = decode_event(self.newsplus, row["event.name"], row["event.payload"])
                deliver = self.kinds.get(kind)
                if deliver is None:
                    raise LookupError(f"no target kind {kind!r}")
                await asyncio.wait_for(deliver(target, event, self.newsplus), timeout=self.timeout)
        except Exception as exc:  # any failure is retried; the error is kept for the desk
            error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
            failed = attempts >= self.max_attempts
            delay = timedelta(seconds=min(5 * 2 ** (attempts - 1), 3600))
            logger.warning("delivery %s to %s failed (attempt %s): %s", row["id"], row["target"], attempts, error)
            await self._finish(
                [row["id"]],
                token,
                {"status": "failed" if failed else "pending", "last_error": error, "next_attempt_at": now() + delay},
            )
            return False
        return True

    async def deliver_pending(self, limit: int = BATCH) -> int:
        """Deliver what is due now (one batch); return how many deliveries succeeded."""
        token, rows = await self._claim(limit)
        done = []
        try:
            for row in rows:
                if await self._run(row, token):
                    done.append(row["id"])
        finally:  # the successes of a batch are recorded together, even when the batch is cut short
            if done:
                await self._finish(done, token, {"status": "done", "done_at": now()})
        return len(done)

    async def retry(self, delivery_id: int) -> None:
        """Put a failed delivery back in the queue (from the desk)."""
        await Delivery.update(
            {Delivery.status: "pending", Delivery.attempts: 0, Delivery.next_attempt_at: now()}
        ).where((Delivery.id == delivery_id) & (Delivery.status == "failed"))
        self.wake()

    # -- background loop ---------------------------------------------------------------------------------

    def wake(self) -> None:
        """Look for due deliveries now rather than at the next poll."""
        self._wake.set()

    def start(self, poll_seconds: float) -> None:
        """Run the delivery loop in the background of this process."""
        self._background.start(self._loop(poll_seconds), name="newsplus-events")

    async def stop(self) -> None:
        """Stop the loop after its current batch (one cut short by the grace period runs again later)."""
        self._wake.set()
        await self._background.stop()

    async def _loop(self, poll_seconds: float) -> None:
        stopping = self._background.stopping
        while not stopping.is_set():
            self._wake.clear()  # a publish during the batch below wakes the next round at once
            try:
                if await self.deliver_pending():
                    continue
            except Exception:  # the database may be briefly unavailable; keep the loop alive
                logger.exception("event delivery loop failed; retrying")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=poll_seconds)
                await asyncio.sleep(0.05)  # let the publishing transaction commit
            except TimeoutError:
                pass


async def event_log(status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Recent deliveries of the current district, newest first, for the desk."""
    query = (
        Delivery.select(
            Delivery.id,
            Delivery.target,
            Delivery.status,
            Delivery.attempts,
            Delivery.next_attempt_at,
            Delivery.last_error,
            Delivery.done_at,
            Delivery.event.name,
            Delivery.event.created_at,
        )
        .order_by(Delivery.id, ascending=False)
        .limit(limit)
    )
    if status:
        query = query.where(Delivery.status == status)
    return await query
