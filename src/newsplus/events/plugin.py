"""The events core plugin: the outbox tables, the delivery loop, the job scheduler and their desk page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from newsplus.events import api
from newsplus.events.jobs import Job, prune
from newsplus.events.settings import EventsSettings
from newsplus.hookspecs import hookimpl
from newsplus.types import MenuItem, Permission, Role

if TYPE_CHECKING:
    from litestar import Request

    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser

name = "events"


@hookimpl
def register_settings() -> dict[str, type]:
    """``[plugins.events]``: background delivery and scheduling."""
    return {"events": EventsSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    """The outbox, deliveries and job runs."""
    return ["newsplus.events.piccolo_app"]


@hookimpl
def register_routes(newsplus: Newsplus) -> list[Any]:
    """The delivery log API and desk page."""
    return list(api.ROUTES)


@hookimpl
def register_permissions() -> list[Permission]:
    """Watching and retrying deliveries."""
    return [Permission(name="events.monitor", label="See the delivery log and retry failed deliveries")]


@hookimpl
def register_roles() -> list[Role]:
    """Administrators watch deliveries (they hold every permission anyway)."""
    return [Role(name="admin", permissions=("events.monitor",))]


@hookimpl
def register_jobs() -> list[Job]:
    """Forget old delivered events and job runs once a day."""
    return [Job(name="events.prune", run=prune, cron="30 3 * * *", description="Forget old events and job runs")]


@hookimpl
def register_commands() -> list[click.Command]:
    """``newsplus jobs``."""
    from newsplus.events.commands import jobs

    return [jobs]


@hookimpl
def menu_items(request: Request, user: CurrentUser | None) -> list[MenuItem]:
    """The delivery log in the desk."""
    return [MenuItem(label="Event deliveries", url="/desk/events", area="desk", order=950, permission="events.monitor")]


@hookimpl
def startup(newsplus: Newsplus):
    """Start delivering events and running jobs in this process (unless background is off)."""

    async def start() -> None:  # awaited after the districts are loaded
        settings = newsplus.plugin_settings["events"]
        if settings.background and newsplus.serving:
            newsplus.dispatcher.start(settings.poll_seconds)
            newsplus.scheduler.start(settings.tick_seconds)

    return start()


@hookimpl
def shutdown(newsplus: Newsplus):
    """Stop both loops before the database closes."""

    async def stop() -> None:
        await newsplus.dispatcher.stop()
        await newsplus.scheduler.stop()

    return stop()
