"""Scheduled jobs: every N seconds, on a cron schedule (in the site's time zone), or once at a time.

Each run of a job has a slot (the scheduled moment it stands for). A worker runs a slot only after
inserting its ``(job, slot)`` row; the unique index lets exactly one of several workers win, on SQLite and
PostgreSQL alike. A slot older than the job's grace period is skipped rather than caught up, so a restart
after a long stop does not fire a burst of stale runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import msgspec
from cronsim import CronSim, CronSimError

from newsplus import db
from newsplus.clock import now
from newsplus.districts.scope import all_districts, district_scope
from newsplus.events.background import Background
from newsplus.events.tables import Delivery, EventRecord, JobRun

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = ["Job", "Scheduler"]

logger = logging.getLogger("newsplus.jobs")


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """A job a plugin registers: ``run(newsplus)`` on a schedule, per district unless said otherwise."""

    name: str
    run: Callable[[Newsplus], Awaitable[Any]]
    every: timedelta | None = None
    cron: str | None = None
    at: datetime | None = None
    per_district: bool = True
    grace: timedelta = timedelta(hours=1)
    description: str = ""

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.every, self.cron, self.at)) != 1:
            raise ValueError(f"job {self.name!r}: give exactly one of every=, cron= or at=")
        if self.every is not None and self.every < timedelta(seconds=1):
            raise ValueError(f"job {self.name!r}: every= must be at least one second")
        if self.cron is not None:
            try:
                CronSim(self.cron, datetime(2000, 1, 1))
            except CronSimError as exc:
                raise ValueError(f"job {self.name!r}: invalid cron expression {self.cron!r}: {exc}") from None

    @property
    def schedule(self) -> str:
        """The schedule in words, for ``newsplus jobs``."""
        if self.every is not None:
            return f"every {int(self.every.total_seconds())} s"
        return f"cron {self.cron}" if self.cron is not None else f"once at {self.at:%Y-%m-%d %H:%M} UTC"

    def latest_slot(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """The most recent scheduled moment at or before ``moment`` (UTC), or None if there is none yet."""
        if self.every is not None:
            step = int(self.every.total_seconds())
            return datetime.fromtimestamp(int(moment.timestamp()) // step * step, UTC)
        if self.at is not None:
            at = self.at if self.at.tzinfo else self.at.replace(tzinfo=UTC)
            return at if at <= moment else None
        local = moment.astimezone(zone).replace(tzinfo=None, microsecond=0) + timedelta(seconds=1)
        previous = next(CronSim(self.cron or "", local, reverse=True))
        return previous.replace(tzinfo=zone).astimezone(UTC)


class Scheduler:
    """Runs due jobs: ``run_due()`` once (tests, ``newsplus jobs``) or in a background loop."""

    def __init__(self, newsplus: Newsplus, jobs: list[Job]) -> None:
        names = [job.name for job in jobs]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"job names must be unique; registered twice: {', '.join(sorted(duplicates))}")
        self.newsplus = newsplus
        self.jobs = {job.name: job for job in jobs}
        self.zone = ZoneInfo(newsplus.settings.site.timezone)
        self._background = Background()

    async def _claim(self, job: Job, slot: str) -> int | None:
        try:
            with all_districts():
                row = JobRun(job=job.name, slot=slot, started_at=now())
                await row.save()
            return row.id
        except Exception as exc:
            if db.is_unique_violation(exc):
                return None  # another worker has this slot
            raise

    async def _execute(self, job: Job, run_id: int) -> None:
        errors = []
        districts = list(self.newsplus.districts.by_slug.values()) if job.per_district else [None]
        for district in districts:  # one district's failure does not keep the job from the others
            try:
                with district_scope(district) if district else all_districts():
                    await job.run(self.newsplus)
            except Exception as exc:  # recorded, and the next slot runs as usual
                where = f"[{district.slug}] " if district else ""
                errors.append(where + "".join(traceback.format_exception(exc))[-2000:])
                logger.error("job %s failed %s: %s", job.name, where, exc)
        with all_districts():
            await JobRun.update({JobRun.finished_at: now(), JobRun.error: "\n".join(errors)[-8000:]}).where(
                JobRun.id == run_id
            )

    async def run_due(self) -> list[str]:
        """Run every job whose latest slot is due and unclaimed; return the names of those this worker ran."""
        moment, ran = now(), []
        for job in self.jobs.values():
            slot = job.latest_slot(moment, self.zone)
            if slot is None or moment - slot > job.grace:
                continue
            run_id = await self._claim(job, slot.isoformat())
            if run_id is not None:
                await self._execute(job, run_id)
                ran.append(job.name)
        return ran

    async def run_now(self, name: str) -> str:
        """Run one job at once, whatever its schedule (``newsplus jobs run NAME``); return its error, if any."""
        job = self.jobs.get(name)
        if job is None:
            raise KeyError(f"unknown job {name!r}; jobs: {', '.join(sorted(self.jobs)) or 'none'}")
        run_id = await self._claim(job, f"manual:{now().isoformat()}")
        assert run_id is not None
        await self._execute(job, run_id)
        with all_districts():
            return (await JobRun.select(JobRun.error).where(JobRun.id == run_id).first())["error"]

    async def last_runs(self) -> dict[str, dict[str, Any]]:
        """The latest run of each job (for ``newsplus jobs``)."""
        with all_districts():
            rows = await JobRun.select().order_by(JobRun.id, ascending=False).limit(1000)
        latest: dict[str, dict[str, Any]] = {}
        for row in rows:
            latest.setdefault(row["job"], row)
        return latest

    def start(self, tick_seconds: float) -> None:
        """Run due jobs every tick in the background of this process."""
        self._background.start(self._loop(tick_seconds), name="newsplus-jobs")

    async def stop(self) -> None:
        """Stop the background loop."""
        await self._background.stop()

    async def _loop(self, tick_seconds: float) -> None:
        stopping = self._background.stopping
        while not stopping.is_set():
            try:
                await self.run_due()
            except Exception:  # keep scheduling even if one tick hit a database hiccup
                logger.exception("job scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=tick_seconds)


async def prune(newsplus: Newsplus) -> None:
    """Job: forget delivered events and finished job runs older than ``[plugins.events] keep_days``."""
    cutoff = now() - timedelta(days=newsplus.plugin_settings["events"].keep_days)
    await Delivery.delete().where((Delivery.status == "done") & (Delivery.done_at < cutoff))
    open_events = Delivery.select(Delivery.event).where(Delivery.status != "done")
    await EventRecord.delete().where((EventRecord.created_at < cutoff) & EventRecord.id.not_in(open_events))
    with all_districts():
        await JobRun.delete().where((JobRun.started_at < cutoff) & JobRun.finished_at.is_not_null())
