"""``newsplus jobs``: list the scheduled jobs with their last run, or run one by hand."""

from __future__ import annotations

import asyncio
import os

import click

from newsplus import db
from newsplus.cli import console
from newsplus.settings import load_settings


def _newsplus():
    from newsplus.runtime import Newsplus

    return Newsplus(load_settings(os.environ.get("NEWSPLUS_CONFIG")))


async def _open(newsplus, work):
    """Open the database and the district directory (not the background loops), run ``work``, close."""
    await newsplus.open_database()
    try:
        await newsplus.districts.load()
        return await work()
    finally:
        await db.close_pool(newsplus.engine)


@click.group(invoke_without_command=True)
@click.pass_context
def jobs(context: click.Context) -> None:
    """List scheduled jobs and their last run (``newsplus jobs run NAME`` runs one now)."""
    if context.invoked_subcommand is not None:
        return
    newsplus = _newsplus()
    last = asyncio.run(_open(newsplus, newsplus.scheduler.last_runs))
    from rich.table import Table

    table = Table("job", "schedule", "per district", "last run (UTC)", "result")
    for job in newsplus.scheduler.jobs.values():
        run = last.get(job.name)
        started = f"{run['started_at']:%Y-%m-%d %H:%M:%S}" if run else "never"
        result = "—" if not run else ("failed" if run["error"] else "ok" if run["finished_at"] else "running")
        table.add_row(job.name, job.schedule, "yes" if job.per_district else "no", started, result)
    console().print(table)


@jobs.command("run")
@click.argument("name")
def run_job(name: str) -> None:
    """Run one job now, whatever its schedule."""
    newsplus = _newsplus()
    if name not in newsplus.scheduler.jobs:
        raise click.ClickException(
            f"unknown job {name!r}; jobs: {', '.join(sorted(newsplus.scheduler.jobs)) or 'none'}"
        )
    error = asyncio.run(_open(newsplus, lambda: newsplus.scheduler.run_now(name)))
    if error:
        raise click.ClickException(f"job {name} failed:\n{error}")
    console().print(f"Ran {name}.")
