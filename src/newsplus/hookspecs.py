"""Every core hook of newsplus: one typed spec and one docstring each.

Hooks are called with keyword arguments; an implementation may take fewer arguments than the spec.
A hook that returns an awaitable is awaited by the core where the docstring says so.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    import jinja2
    from litestar import Request
    from litestar.config.app import AppConfig
    from litestar.types import ControllerRouterHandler

    from newsplus.content.distribution import DistributionChannel
    from newsplus.content.schemas import FeedItem
    from newsplus.events.jobs import Job
    from newsplus.events.outbox import Event
    from newsplus.notifications.channels import Channel
    from newsplus.notifications.preferences import NotificationCategory
    from newsplus.runtime import Newsplus
    from newsplus.types import DemoData, HomeTile, MenuItem, Permission, Role
    from newsplus.users.access import CurrentUser

hookspec = pluggy.HookspecMarker("newsplus")
hookimpl = pluggy.HookimplMarker("newsplus")


# ---------------------------------------------------------------------------------------------------------
# Plugin manager
# ---------------------------------------------------------------------------------------------------------


@hookspec(historic=True)
def addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add a plugin's own hookspecs (prefixed with its name) with ``pluginmanager.add_hookspecs``."""


# ---------------------------------------------------------------------------------------------------------
# Registration: called once while the app is built
# ---------------------------------------------------------------------------------------------------------


@hookspec
def register_settings() -> dict[str, type]:
    """Return ``{plugin_name: SettingsStruct}``; the ``[plugins.<name>]`` table is validated by it."""


@hookspec
def register_piccolo_apps() -> list[str]:
    """Return import paths of piccolo apps (``"newsplus_wenzheng.piccolo_app"``) whose tables are used."""


@hookspec
def register_routes(newsplus: Newsplus) -> list[ControllerRouterHandler]:
    """Return litestar route handlers, controllers or routers to mount on the app."""


@hookspec
def register_permissions() -> list[Permission]:
    """Return the permissions a plugin checks, named ``<plugin>.<verb>``."""


@hookspec
def register_roles() -> list[Role]:
    """Return roles, or permissions added to existing roles (roles of one name are merged)."""


@hookspec
def register_notification_channels(newsplus: Newsplus) -> list[Channel]:
    """Return notification channels (SMS, email …); plugins' are tried before the core's, first success wins."""


@hookspec
def register_notification_categories() -> list[NotificationCategory]:
    """Return the kinds of notification a plugin sends, each with its priority and default channels."""


@hookspec
def register_distribution_channels(newsplus: Newsplus) -> list[DistributionChannel]:
    """Return targets a published article goes to (a district's own CMS, a WeChat account …)."""


@hookspec
def register_events() -> list[type[Event]]:
    """Return the plugin's domain event types (Event subclasses tagged ``<plugin>.<past_tense>``)."""


@hookspec
def register_jobs(newsplus: Newsplus) -> list[Job]:
    """Return scheduled jobs (every N seconds, cron, or once at a time), run by exactly one worker."""


@hookspec
def register_commands() -> list[click.Command]:
    """Return click commands added to the ``newsplus`` command line."""


@hookspec
def register_demo_data() -> list[DemoData]:
    """Return coroutine functions ``async def seed(newsplus)`` that write demo data for a district."""


# ---------------------------------------------------------------------------------------------------------
# Configuration: mutate what is passed in
# ---------------------------------------------------------------------------------------------------------


@hookspec
def prepare_jinja2_environment(env: jinja2.Environment, newsplus: Newsplus) -> None:
    """Add filters, globals or extensions to the Jinja environment before it is used."""


@hookspec
def configure_app(app_config: AppConfig, newsplus: Newsplus) -> None:
    """Adjust litestar's AppConfig (middleware, exception handlers, stores) before the app is made."""


# ---------------------------------------------------------------------------------------------------------
# Life cycle
# ---------------------------------------------------------------------------------------------------------


@hookspec
def startup(newsplus: Newsplus) -> Awaitable[None] | None:
    """Run when the app starts (after the database is open); may return an awaitable."""


@hookspec
def shutdown(newsplus: Newsplus) -> Awaitable[None] | None:
    """Run when the app stops (before the database is closed); may return an awaitable."""


@hookspec
def handle_event(event: Event, newsplus: Newsplus) -> Awaitable[None] | None:
    """React to a committed domain event (at least once: use ``event.key`` to ignore repeats)."""


@hookspec
def user_data(newsplus: Newsplus, user: CurrentUser) -> Awaitable[dict[str, Any]] | dict[str, Any] | None:
    """Return ``{section: data}`` of what a plugin holds about a user, for the user's own data export."""


@hookspec
def handle_user_deleted(newsplus: Newsplus, user: CurrentUser) -> Awaitable[None] | None:
    """Erase or anonymise what a plugin holds about a user who is deleting their account."""


# ---------------------------------------------------------------------------------------------------------
# Per request
# ---------------------------------------------------------------------------------------------------------


@hookspec
def home_tiles(request: Request, user: CurrentUser | None) -> list[HomeTile]:
    """Return tiles for the H5 home page as seen by this user."""


@hookspec
def menu_items(request: Request, user: CurrentUser | None) -> list[MenuItem]:
    """Return navigation entries; desk entries carrying a permission show only to users who have it."""


@hookspec(firstresult=True)
def render_feed_item(item: FeedItem, request: Request) -> str | None:
    """Return the HTML of one feed entry on H5 pages (the first answer wins), or None to leave it to others."""


@hookspec
def extra_template_vars(request: Request, template: str) -> dict[str, Any] | None:
    """Return extra variables for a page template."""


@hookspec
def may_read_file(newsplus: Newsplus, user: CurrentUser | None, path: str) -> Awaitable[bool | None] | bool | None:
    """Say whether this caller may read a private file (one stored with ``private=True``).

    True admits, False refuses, None means the file is not this plugin's; unless one admits, nobody may."""
