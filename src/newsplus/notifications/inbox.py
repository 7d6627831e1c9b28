"""The inbox: personal notifications and broadcasts merged newest first, unread counts, marking read.

A personal notification is one row for one user. A broadcast is one row for its whole audience, matched
to each reader when they open their inbox; the only per-user row is written when the user reads it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus import db
from newsplus.clock import now
from newsplus.errors import InvalidInput, NotFound
from newsplus.events.outbox import Event, publish, publish_many
from newsplus.notifications.audience import Audience, check_audience, count_recipients, meant_for, reaches_anyone
from newsplus.notifications.tables import Broadcast, BroadcastRead, Notification
from newsplus.users.access import CurrentUser
from newsplus.users.tables import User
from newsplus.web.links import check_link

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = [
    "BroadcastCreated",
    "NotificationCreated",
    "broadcast",
    "inbox",
    "mark_all_read",
    "mark_read",
    "notify",
    "notify_many",
    "unread_count",
]

PRIORITIES = ("high", "normal", "low")
# Readers told in one transaction by notify_many: each batch is one multi-row insert, within both engines' limits
# on a statement's parameters.
NOTIFY_BATCH = 500
BROADCAST_HORIZON = timedelta(days=90)  # older broadcasts leave the inbox


class NotificationCreated(Event, frozen=True, tag="notifications.notification_created"):
    """A personal notification was written (the SSE stream and SMS/e-mail follow from it)."""

    notification_id: int
    user_id: int
    title: str
    category: str
    priority: str


class BroadcastCreated(Event, frozen=True, tag="notifications.broadcast_created"):
    """A broadcast was sent to an audience."""

    broadcast_id: int
    title: str


async def notify(
    newsplus: Newsplus,
    user_id: int,
    title: str,
    *,
    body: str = "",
    link: str = "",
    category: str = "system",
    priority: str = "normal",
) -> int:
    """Put a notification in one user's inbox; SSE, e-mail and SMS follow after commit. Return its id (0 when
    the account was deleted or disabled: news that arrives after an account's deletion is dropped)."""
    written = await notify_many(newsplus, [user_id], title, body=body, link=link, category=category, priority=priority)
    return written.get(user_id, 0)


async def notify_many(
    newsplus: Newsplus,
    user_ids: Iterable[int],
    title: str,
    *,
    body: str = "",
    link: str = "",
    category: str = "system",
    priority: str = "normal",
) -> dict[int, int]:
    """Put the same notification in each of these users' inboxes, written together (a few statements for
    ``NOTIFY_BATCH`` readers, not a few per reader); return the new ids by user. Deleted and disabled accounts
    are left out, and a user named twice is told once."""
    if priority not in PRIORITIES:
        raise InvalidInput("Unknown priority {priority}", priority=priority)
    link = check_link(link)
    wanted = list(dict.fromkeys(user_ids))
    written: dict[int, int] = {}
    for start in range(0, len(wanted), NOTIFY_BATCH):
        batch = wanted[start : start + NOTIFY_BATCH]
        async with db.transaction():
            active = await User.select(User.id).where(User.id.is_in(batch) & (User.is_active == True))  # noqa: E712
            found = {r["id"] for r in active}
            told = [user_id for user_id in batch if user_id in found]
            moment = now()
            rows = [
                Notification(
                    user=user_id,
                    title=title[:200],
                    body=body,
                    link=link,
                    category=category,
                    priority=priority,
                    created_at=moment,
                )
                for user_id in told
            ]
            if not rows:
                continue
            await Notification.insert(*rows).returning(Notification.id)
            events = [
                NotificationCreated(
                    notification_id=row.id, user_id=user_id, title=row.title, category=category, priority=priority
                )
                for user_id, row in zip(told, rows, strict=True)
            ]
            await publish_many(newsplus, events)
        written.update((event.user_id, event.notification_id) for event in events)
    return written


async def broadcast(
    newsplus: Newsplus,
    audience: Audience,
    title: str,
    *,
    body: str = "",
    link: str = "",
    category: str = "system",
    created_by: int | None = None,
    expires_at: datetime | None = None,
) -> int:
    """Send one message to an audience: one row however large it is, so sending to a million takes as long as
    to a thousand. Return its id; how many it reached is counted afterwards (``count_reach``)."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput("A title is required", extra={"field": "title"})
    link = check_link(link)
    await check_audience(audience, newsplus.roles)
    if not await reaches_anyone(audience):
        raise InvalidInput("This audience matches nobody; nothing was sent", extra={"field": "audience"})
    async with db.transaction():
        row = Broadcast(
            title=title[:200],
            body=body,
            link=link,
            category=category,
            audience=audience.encode(),
            recipients=0,
            created_by=created_by,
            created_at=now(),
            expires_at=expires_at,
        )
        await row.save()
        await publish(newsplus, BroadcastCreated(broadcast_id=row.id, title=row.title), actor=created_by)
    return row.id


async def count_reach(broadcast_id: int) -> int:
    """Count and record how many people a sent broadcast reaches (its row in the send log shows it)."""
    row = await Broadcast.select(Broadcast.audience).where(Broadcast.id == broadcast_id).first()
    if row is None:
        return 0
    recipients = await count_recipients(Audience.decode(row["audience"]))
    await Broadcast.update({Broadcast.recipients: recipients}).where(Broadcast.id == broadcast_id)
    return recipients


async def _broadcasts_for(user: CurrentUser, since: datetime) -> list[dict[str, Any]]:
    rows = (
        await Broadcast.select(
            Broadcast.id,
            Broadcast.title,
            Broadcast.body,
            Broadcast.link,
            Broadcast.category,
            Broadcast.audience,
            Broadcast.created_at,
            Broadcast.expires_at,
        )
        .where(Broadcast.created_at >= since)
        .order_by(Broadcast.id, ascending=False)
        .limit(500)
    )
    moment = now()
    rows = [r for r in rows if r["expires_at"] is None or r["expires_at"] > moment]
    return await meant_for(user, rows)


async def _read_broadcasts(user_id: int, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    rows = await BroadcastRead.select(BroadcastRead.broadcast).where(
        (BroadcastRead.user == user_id) & BroadcastRead.broadcast.is_in(ids)
    )
    return {r["broadcast"] for r in rows}


def _cursor(item: dict[str, Any]) -> str:
    raw = f"{item['created_at'].isoformat()}|{item['kind']}|{item['id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _parse_cursor(cursor: str) -> tuple[datetime, str, int]:
    try:
        moment, kind, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        when = datetime.fromisoformat(moment)
        return (when if when.tzinfo else when.replace(tzinfo=UTC)), kind, int(ident)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The cursor is not valid; start from the first page", extra={"field": "cursor"}) from None


async def inbox(user: CurrentUser, *, cursor: str | None = None, limit: int = 20) -> dict[str, Any]:
    """A page of the user's inbox, newest first, with the cursor of the next page."""
    limit = max(1, min(limit, 100))
    before = _parse_cursor(cursor) if cursor else None
    query = (
        Notification.select(
            Notification.id,
            Notification.title,
            Notification.body,
            Notification.link,
            Notification.category,
            Notification.priority,
            Notification.created_at,
            Notification.read_at,
        )
        .where(Notification.user == user.id)
        .order_by(Notification.created_at, ascending=False)
        .order_by(Notification.id, ascending=False)
        .limit(limit + 1)
    )
    if before:
        moment, kind, ident = before
        after = Notification.created_at < moment
        if kind == "notification":  # at the same moment notifications sort before broadcasts
            after = after | ((Notification.created_at == moment) & (Notification.id < ident))
        query = query.where(after)
    personal = [{**r, "kind": "notification"} for r in await query]
    since = now() - BROADCAST_HORIZON
    shared = await _broadcasts_for(user, since)
    read = await _read_broadcasts(user.id, [b["id"] for b in shared])
    shared = [
        {
            **{k: v for k, v in b.items() if k not in ("audience", "expires_at")},
            "kind": "broadcast",
            "priority": "normal",
            "read_at": None if b["id"] not in read else b["created_at"],
        }
        for b in shared
    ]
    unread = sum(1 for b in shared if b["read_at"] is None)
    unread += await Notification.count().where((Notification.user == user.id) & Notification.read_at.is_null())
    items = sorted(personal + shared, key=lambda i: (i["created_at"], i["kind"], i["id"]), reverse=True)
    if before:
        items = [i for i in items if (i["created_at"], i["kind"], i["id"]) < before]
    page, more = items[:limit], len(items) > limit
    for item in page:
        item["read"] = item.pop("read_at") is not None
    return {"items": page, "next": _cursor(page[-1]) if more and page else None, "unread": unread}


async def unread_count(user: CurrentUser) -> int:
    """Unread personal notifications plus unread broadcasts meant for the user."""
    personal = await Notification.count().where((Notification.user == user.id) & Notification.read_at.is_null())
    shared = await _broadcasts_for(user, now() - BROADCAST_HORIZON)
    read = await _read_broadcasts(user.id, [b["id"] for b in shared])
    return personal + len(shared) - len(read)


async def mark_read(user: CurrentUser, kind: str, item_id: int) -> None:
    """Mark one notification or broadcast read (the only time a broadcast writes a per-user row)."""
    if kind == "notification":
        updated = (
            await Notification.update({Notification.read_at: now()})
            .where((Notification.id == item_id) & (Notification.user == user.id))
            .returning(Notification.id)
        )
        if not updated:
            raise NotFound("No such notification")
        return
    if kind != "broadcast":
        raise InvalidInput("Unknown kind {kind}", kind=kind)
    mine = {b["id"] for b in await _broadcasts_for(user, now() - BROADCAST_HORIZON)}
    if item_id not in mine:
        raise NotFound("No such notification")
    if not await _read_broadcasts(user.id, [item_id]):
        try:
            await BroadcastRead.insert(BroadcastRead(broadcast=item_id, user=user.id, read_at=now()))
        except Exception as exc:
            if not db.is_unique_violation(exc):  # read twice at once: once is enough
                raise


async def mark_all_read(user: CurrentUser) -> None:
    """Mark everything in the inbox read."""
    await Notification.update({Notification.read_at: now()}).where(
        (Notification.user == user.id) & Notification.read_at.is_null()
    )
    shared = [b["id"] for b in await _broadcasts_for(user, now() - BROADCAST_HORIZON)]
    unread = set(shared) - await _read_broadcasts(user.id, shared)
    if unread:
        await BroadcastRead.insert(*[BroadcastRead(broadcast=b, user=user.id, read_at=now()) for b in sorted(unread)])


def payload(item: dict[str, Any]) -> bytes:
    """An inbox item as JSON (for the SSE stream)."""
    return msgspec.json.encode(item)
