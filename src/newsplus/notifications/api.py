"""The notifications API: the inbox and its stream, preferences, pop-ups, broadcasts and webhooks."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from litestar import Request, Router, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_204_NO_CONTENT

from newsplus.districts.scope import current_district
from newsplus.errors import InvalidInput
from newsplus.notifications import inbox, popups, webhooks
from newsplus.notifications.audience import check_audience, count_recipients, tags_of
from newsplus.notifications.preferences import Preferences, load_preferences, save_preferences
from newsplus.notifications.schemas import (
    AudienceIn,
    BroadcastIn,
    Clicked,
    MarkRead,
    PopupIn,
    Reach,
    Sent,
    Unread,
    WebhookIn,
)
from newsplus.notifications.tables import Notification, SendLog
from newsplus.runtime import NewsplusDep
from newsplus.users.access import CurrentUser, requires, signed_in

BROADCAST = requires("notifications.broadcast")
POPUP = requires("notifications.popup")
WEBHOOKS = requires("notifications.webhooks")
KEEPALIVE_SECONDS = 15.0


@get("/me/notifications", guards=[signed_in])
async def my_inbox(
    request: Request, cursor: FromQuery[str | None] = None, limit: FromQuery[int] = 20
) -> dict[str, Any]:
    """The caller's inbox, newest first (``next`` is the cursor of the following page), and the unread count."""
    return await inbox.inbox(request.user, cursor=cursor, limit=limit)


@get("/me/notifications/unread", guards=[signed_in])
async def my_unread(request: Request) -> Unread:
    """How many inbox items are unread (the badge)."""
    return Unread(unread=await inbox.unread_count(request.user))


@post("/me/notifications/read", guards=[signed_in], status_code=HTTP_204_NO_CONTENT)
async def read(request: Request, data: JSONBody[MarkRead]) -> None:
    """Mark one item, or everything, read."""
    if data.all:
        await inbox.mark_all_read(request.user)
    elif data.kind and data.id is not None:
        await inbox.mark_read(request.user, data.kind, data.id)
    else:
        raise InvalidInput("Say which item to mark read, or all", extra={"field": "id"})


async def _stream(newsplus: Any, user: CurrentUser, last_id: int | None) -> AsyncIterator[ServerSentEventMessage]:
    district = current_district()
    subscription = newsplus.stream.subscribe(district.id, user, await tags_of(user.id))
    try:
        if last_id is not None:  # what the client missed while it was away
            missed = (
                await Notification.select(Notification.id, Notification.title, Notification.category)
                .where((Notification.user == user.id) & (Notification.id > last_id))
                .order_by(Notification.id)
                .limit(100)
            )
            for row in missed:
                yield ServerSentEventMessage(event="notification", id=row["id"], data=inbox.payload(row).decode())
        yield ServerSentEventMessage(comment="ready", data=None)
        while True:
            try:
                message = await asyncio.wait_for(subscription.queue.get(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive", data=None)
                continue
            kind = message["type"]
            yield ServerSentEventMessage(event=kind, id=message.get("id"), data=inbox.payload(message["item"]).decode())
    finally:
        newsplus.stream.unsubscribe(district.id, subscription)


def last_event_id(header: str | None) -> int | None:
    """The notification id a reconnecting client last saw; anything that is not a plausible id is ignored."""
    value = (header or "").strip()
    if value.isascii() and value.isdecimal() and len(value) <= 10 and int(value) < 2**31:
        return int(value)
    return None


@get("/me/notifications/stream", guards=[signed_in], media_type="text/event-stream")
async def stream(request: Request, newsplus: NewsplusDep) -> ServerSentEvent:
    """Server-sent events: each new notification (``id`` is its id) and broadcast, as it is created."""
    return ServerSentEvent(_stream(newsplus, request.user, last_event_id(request.headers.get("last-event-id"))))


@get("/me/notification-preferences", guards=[signed_in])
async def my_preferences(request: Request, newsplus: NewsplusDep) -> dict[str, Any]:
    """The caller's preferences, and the categories they can set."""
    categories = [
        {"name": c.name, "label": c.label, "priority": c.priority} for c in newsplus.notification_categories.values()
    ]
    return {"preferences": await load_preferences(newsplus, request.user.id), "categories": categories}


@put("/me/notification-preferences", guards=[signed_in])
async def set_my_preferences(request: Request, data: JSONBody[Preferences], newsplus: NewsplusDep) -> Preferences:
    """Set per-category modes for SMS and e-mail, quiet hours and the e-mail address."""
    return await save_preferences(newsplus, request.user.id, data)


@get("/me/popups", guards=[signed_in])
async def my_popups(request: Request, newsplus: NewsplusDep) -> list[dict[str, Any]]:
    """The pop-ups due for the caller now (asking records them as shown)."""
    return await popups.due_popups(newsplus, request.user)


@post("/me/popups/{popup_id:int}/dismiss", guards=[signed_in], status_code=HTTP_204_NO_CONTENT)
async def dismiss_popup(request: Request, popup_id: FromPath[int], newsplus: NewsplusDep) -> None:
    """Record that the caller closed a pop-up."""
    await popups.record_action(newsplus, request.user, popup_id, "dismissed")


@post("/me/popups/{popup_id:int}/click", guards=[signed_in], status_code=200)
async def click_popup(request: Request, popup_id: FromPath[int], newsplus: NewsplusDep) -> Clicked:
    """Record that the caller opened a pop-up's link; answer with the link."""
    return Clicked(link=await popups.record_action(newsplus, request.user, popup_id, "clicked"))


@post("/notifications/audience", guards=[BROADCAST], status_code=200)
async def preview_audience(data: JSONBody[AudienceIn], newsplus: NewsplusDep) -> Reach:
    """How many people an audience reaches, before anything is sent."""
    await check_audience(data.audience, newsplus.roles)
    return Reach(recipients=await count_recipients(data.audience))


@post("/notifications/broadcasts", guards=[BROADCAST], status_code=201)
async def send_broadcast(request: Request, data: JSONBody[BroadcastIn], newsplus: NewsplusDep) -> Sent:
    """Send a message to an audience (refused when it matches nobody)."""
    broadcast_id = await inbox.broadcast(
        newsplus,
        data.audience,
        data.title,
        body=data.body,
        link=data.link,
        category=data.category,
        created_by=request.user.id,
        expires_at=data.expires_at,
    )
    return Sent(id=broadcast_id)


@post("/notifications/popups", guards=[POPUP], status_code=201)
async def schedule_popup(request: Request, data: JSONBody[PopupIn], newsplus: NewsplusDep) -> Sent:
    """Schedule a pop-up (refused when the window ends before it starts or the audience is empty)."""
    popup_id = await popups.create_popup(
        newsplus,
        title=data.title,
        body=data.body,
        image=data.image,
        link=data.link,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        audience=data.audience,
        frequency=data.frequency,
        priority=data.priority,
        created_by=request.user.id,
    )
    return Sent(id=popup_id)


@get("/notifications/popups", guards=[POPUP])
async def list_popups() -> list[dict[str, Any]]:
    """Pop-ups with how many people saw, dismissed and clicked each."""
    return await popups.list_popups()


@get("/notifications/webhooks", guards=[WEBHOOKS])
async def list_hooks() -> list[dict[str, Any]]:
    """The district's webhooks."""
    return await webhooks.list_webhooks()


@post("/notifications/webhooks", guards=[WEBHOOKS], status_code=201)
async def add_hook(newsplus: NewsplusDep, data: JSONBody[WebhookIn]) -> dict[str, Any]:
    """Register a webhook; the answer carries its secret, shown this once."""
    created = await webhooks.create_webhook(data.url, data.events, data.description)
    newsplus.dispatcher.forget_targets()
    return created


@delete("/notifications/webhooks/{webhook_id:int}", guards=[WEBHOOKS], status_code=HTTP_204_NO_CONTENT)
async def remove_hook(newsplus: NewsplusDep, webhook_id: FromPath[int]) -> None:
    """Stop sending to a webhook."""
    await webhooks.remove_webhook(webhook_id)
    newsplus.dispatcher.forget_targets()


@get("/notifications/send-log", guards=[requires("events.monitor")])
async def send_log(status: FromQuery[str | None] = None) -> list[dict[str, Any]]:
    """Recent SMS and e-mail sends of the district, newest first (``?status=failed``)."""
    query = SendLog.select().order_by(SendLog.id, ascending=False).limit(200)
    return await (query.where(SendLog.status == status) if status else query)


router = Router(
    path="/api/v1",
    tags=["notifications"],
    route_handlers=[
        my_inbox,
        my_unread,
        read,
        stream,
        my_preferences,
        set_my_preferences,
        my_popups,
        dismiss_popup,
        click_popup,
        preview_audience,
        send_broadcast,
        schedule_popup,
        list_popups,
        list_hooks,
        add_hook,
        remove_hook,
        send_log,
    ],
)
