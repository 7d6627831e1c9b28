"""The notifications core plugin: inbox, broadcasts, pop-ups, preferences, SSE, e-mail, webhooks, SMS."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from newsplus.districts.scope import current_district
from newsplus.events.jobs import Job
from newsplus.events.outbox import Event, handles
from newsplus.hookspecs import hookimpl
from newsplus.notifications import api, pages, privacy_data, webhooks
from newsplus.notifications.channels import Channel, EmailChannel, LogSMSChannel
from newsplus.notifications.delivery import send_digests, send_held, send_outside
from newsplus.notifications.inbox import BroadcastCreated, NotificationCreated, count_reach, unread_count
from newsplus.notifications.popups import due_popups
from newsplus.notifications.preferences import NotificationCategory
from newsplus.notifications.settings import NotificationsSettings
from newsplus.types import MenuItem, Permission, Role

if TYPE_CHECKING:
    from litestar import Request

    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser

name = "notifications"


@hookimpl
def register_settings() -> dict[str, type]:
    """``[plugins.notifications]``: SMTP and the digest schedule."""
    return {"notifications": NotificationsSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    """Inboxes, broadcasts, pop-ups, preferences, webhooks and the send log."""
    return ["newsplus.notifications.piccolo_app"]


@hookimpl
def register_routes(newsplus: Newsplus) -> list[Any]:
    """The API and the pages."""
    return [api.router, *pages.ROUTES]


@hookimpl
def register_permissions() -> list[Permission]:
    """Sending to many people, and wiring district systems in."""
    return [
        Permission(name="notifications.broadcast", label="Send broadcasts to an audience"),
        Permission(name="notifications.popup", label="Schedule pop-ups"),
        Permission(name="notifications.webhooks", label="Manage webhooks to district systems"),
    ]


@hookimpl
def register_roles() -> list[Role]:
    """The chief editor speaks to the whole district."""
    return [Role(name="chief_editor", permissions=("notifications.broadcast", "notifications.popup"))]


@hookimpl
def register_events() -> list[type[Event]]:
    """A notification was written; a broadcast was sent."""
    return [NotificationCreated, BroadcastCreated]


@hookimpl
def register_notification_categories() -> list[NotificationCategory]:
    """The core's own categories."""
    return [
        NotificationCategory(name="account", label="Account and security", priority="high", sms="immediate"),
        NotificationCategory(name="system", label="Service notices", priority="normal"),
    ]


@hookimpl(trylast=True)
def register_notification_channels(newsplus: Newsplus) -> list[Channel]:
    """E-mail when SMTP is configured; the development SMS channel last (dropped when a real one exists)."""
    settings = newsplus.plugin_settings["notifications"]
    return ([EmailChannel(settings)] if settings.smtp_host else []) + [LogSMSChannel()]


@hookimpl
def register_jobs() -> list[Job]:
    """Send what quiet hours held back; send the daily digest."""
    return [
        Job(
            name="notifications.send_held",
            run=send_held,
            every=timedelta(minutes=5),
            description="Send notifications held back by quiet hours",
        ),
        Job(name="notifications.digest", run=send_digests, cron="0 8 * * *", description="Send the daily digest"),
    ]


@hookimpl
@handles("notifications.*")
def handle_event(event: Event, newsplus: Newsplus):
    """Push new notifications and broadcasts to open streams; send notifications by SMS or e-mail."""
    if isinstance(event, NotificationCreated):
        return _notification_created(newsplus, event)
    if isinstance(event, BroadcastCreated):
        return _broadcast_created(newsplus, event)
    return None


async def _broadcast_created(newsplus: Newsplus, event: BroadcastCreated) -> None:
    item = {"id": event.broadcast_id, "title": event.title, "kind": "broadcast"}
    await newsplus.stream.send(
        newsplus,
        {"type": "broadcast", "district": current_district().id, "broadcast": event.broadcast_id, "item": item},
    )
    await count_reach(event.broadcast_id)


async def _notification_created(newsplus: Newsplus, event: NotificationCreated) -> None:
    item = {
        "id": event.notification_id,
        "title": event.title,
        "category": event.category,
        "priority": event.priority,
        "kind": "notification",
    }
    await newsplus.stream.send(
        newsplus,
        {
            "type": "notification",
            "district": current_district().id,
            "user": event.user_id,
            "id": event.notification_id,
            "item": item,
        },
    )
    await send_outside(newsplus, event.notification_id)


@hookimpl
def menu_items(request: Request, user: CurrentUser | None) -> list[MenuItem]:
    """The residents' messages tab and the desk's compose and log pages."""
    return [
        MenuItem(label="Messages", url="/me/notifications", area="h5", icon="bell", order=800),
        MenuItem(
            label="Broadcast",
            url="/desk/notifications/broadcast",
            area="desk",
            order=700,
            permission="notifications.broadcast",
        ),
        MenuItem(
            label="Pop-ups", url="/desk/notifications/popups", area="desk", order=710, permission="notifications.popup"
        ),
        MenuItem(
            label="Delivery log", url="/desk/notifications/log", area="desk", order=940, permission="events.monitor"
        ),
    ]


@hookimpl
def extra_template_vars(request: Request, template: str):
    """The unread badge on every H5 page, and the pop-ups due on the home page."""
    user = request.scope.get("user")
    if user is None or template.startswith(("desk/", "error")) or "/desk/" in template:
        return None

    async def gather() -> dict[str, Any]:
        extra: dict[str, Any] = {"unread": await unread_count(user)}
        if template == "home.html":
            extra["popups"] = await due_popups(request.app.state.newsplus, user, limit=1)
        return extra

    return gather()


@hookimpl
def user_data(newsplus: Newsplus, user: CurrentUser):
    """The e-mail address, quiet hours, preferences and inbox, for the person's data export."""
    return privacy_data.export(user)


@hookimpl
def handle_user_deleted(newsplus: Newsplus, user: CurrentUser):
    """Forget a deleted account's e-mail address, preferences and inbox."""
    return privacy_data.erase(user)


@hookimpl
def startup(newsplus: Newsplus):
    """Let webhooks receive events, and listen for other workers' stream messages."""

    async def start() -> None:
        newsplus.dispatcher.add_target_kind("webhook", webhooks.deliver_webhook, webhooks.subscribed_webhooks)
        newsplus.stream.start(newsplus)

    return start()


@hookimpl
def shutdown(newsplus: Newsplus):
    """Stop listening."""
    return newsplus.stream.stop()
