"""Reaching people outside the app: each notification goes out by SMS or e-mail as they prefer.

It runs after commit, from the ``notifications.notification_created`` event, so it is retried when a
channel fails; the send log records each attempt, and a channel already used for a notification is not
used again on a retry. Quiet hours hold a notification back (a job sends it when they end); the daily
digest collects what people asked to receive once a day.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from newsplus.clock import now
from newsplus.districts.scope import current_district_id
from newsplus.notifications.channels import DeliveryFailed, Message, deliver
from newsplus.notifications.preferences import (
    EXTERNAL_CHANNELS,
    NotificationCategory,
    Preferences,
    load_preferences,
    preferences_from,
)
from newsplus.notifications.tables import Notification, Preference, SendLog
from newsplus.users.tables import User

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = ["send_digests", "send_held", "send_outside"]


def _category(newsplus: Newsplus, name: str) -> NotificationCategory:
    return newsplus.notification_categories.get(name) or NotificationCategory(name=name, label=name)


async def _addresses(user_id: int, email: str) -> dict[str, str]:
    row = await User.select(User.phone).where(User.id == user_id).first()
    return {"sms": (row or {}).get("phone") or "", "email": email}


# A notification with what decides how it goes out (its reader's phone, contact and choices), in two statements
# written as SQL: they run for every notification, and piccolo's four selects took 1.4-2 ms of CPU between them.
OUTSIDE = (
    'SELECT n."user", n.external, n.category, n.title, n.body, n.link, u.phone, c.id AS contact, c.email, '
    "c.quiet_start, c.quiet_end FROM notifications_notification n "
    'LEFT JOIN users_user u ON u.id = n."user" AND u.district = n.district '
    'LEFT JOIN notifications_contact c ON c."user" = n."user" AND c.district = n.district WHERE n.id = {}'
)
CHOICES = 'SELECT category, channel, mode FROM notifications_preference WHERE "user" = {}'


async def _outside_view(newsplus: Newsplus, notification_id: int) -> tuple[dict[str, Any], Preferences] | None:
    """The notification, and its reader's preferences with their phone as ``row["phone"]``; None if not found."""
    district_id = current_district_id()
    where, args = ("", []) if district_id is None else (" AND n.district = {}", [district_id])
    rows = await Notification.raw(OUTSIDE + where, notification_id, *args)
    if not rows:
        return None
    row = rows[0]
    where = "" if district_id is None else " AND district = {}"
    choices = await Preference.raw(CHOICES + where, row["user"], *args)
    return row, preferences_from(newsplus, choices, row if row["contact"] is not None else None)


async def _log(user_id: int, notification_id: int | None, channel: str, status: str, detail: str = "") -> None:
    await SendLog.insert(
        SendLog(
            user=user_id, notification=notification_id, channel=channel, status=status, detail=detail[:2000], at=now()
        )
    )


async def send_outside(
    newsplus: Newsplus, notification_id: int, *, states: tuple[str, ...] = ("none", "retry")
) -> None:
    """Send one notification by the channels its reader chose; raise if one fails (to be retried)."""
    found = await _outside_view(newsplus, notification_id)
    if found is None or found[0]["external"] not in states:
        return  # already sent, held or collected: a repeated delivery changes nothing
    row, preferences = found
    category = _category(newsplus, row["category"])
    modes = {channel: preferences.mode(category, channel) for channel in EXTERNAL_CHANNELS}
    addresses = {"sms": row["phone"] or "", "email": preferences.email}
    plan = [c for c in EXTERNAL_CHANNELS if modes[c] == "immediate" and addresses[c]]
    later = "digest" if any(modes[c] == "digest" and addresses[c] for c in EXTERNAL_CHANNELS) else "skipped"
    zone = ZoneInfo(newsplus.settings.site.timezone)
    if plan and category.priority != "high" and preferences.quiet_at(now(), zone):
        if row["external"] != "held":
            await Notification.update({Notification.external: "held"}).where(Notification.id == notification_id)
        return
    done = set()
    if plan:  # the channels an earlier attempt already used
        done = {
            r["channel"]
            for r in await SendLog.select(SendLog.channel).where(
                (SendLog.notification == notification_id) & (SendLog.status == "sent")
            )
        }
    failures = []
    for channel in plan:
        if channel in done:
            continue
        message = Message(
            kind=channel,
            to=addresses[channel],
            subject=row["title"],
            category=row["category"],
            body=f"{row['title']}\n{row['body']}".strip() + (f"\n{row['link']}" if row["link"] else ""),
        )
        try:
            used = await deliver(newsplus, message)
            await _log(row["user"], notification_id, channel, "sent", used)
        except DeliveryFailed as exc:
            await _log(row["user"], notification_id, channel, "failed", exc.detail.format(**exc.params))
            failures.append(channel)
    if failures:
        if row["external"] != "held":  # a held one stays held: the quiet-hours job tries it again
            await Notification.update({Notification.external: "retry"}).where(Notification.id == notification_id)
        raise DeliveryFailed("The {kind} service is unavailable; please try again later", kind=failures[0])
    state = later if later == "digest" else ("sent" if plan else "skipped")
    await Notification.update({Notification.external: state}).where(Notification.id == notification_id)


async def send_held(newsplus: Newsplus) -> None:
    """Job: send what quiet hours held back, once each reader's quiet hours are over (failures wait for the
    next run; they stay held)."""
    held = (
        await Notification.select(Notification.id)
        .where(Notification.external == "held")
        .order_by(Notification.id)
        .limit(1000)
    )
    for row in held:
        try:
            await send_outside(newsplus, row["id"], states=("held",))
        except DeliveryFailed:
            continue


async def send_digests(newsplus: Newsplus) -> None:
    """Job: one message a day per reader listing what they chose to receive as a digest."""
    rows = (
        await Notification.select(Notification.id, Notification.user, Notification.title)
        .where(Notification.external == "digest")
        .order_by(Notification.id)
        .limit(10000)
    )
    by_user: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_user[row["user"]].append(row)
    for user_id, items in by_user.items():
        preferences = await load_preferences(newsplus, user_id)
        addresses = await _addresses(user_id, preferences.email)
        wanted = {
            c
            for c in EXTERNAL_CHANNELS
            if any(preferences.mode(_category(newsplus, name), c) == "digest" for name in preferences.modes)
        }
        channel = next((c for c in ("email", "sms") if c in wanted and addresses[c]), None)
        if channel is None:  # the address they chose it for is gone: nothing to send it to
            await Notification.update({Notification.external: "skipped"}).where(
                Notification.id.is_in([item["id"] for item in items])
            )
            continue
        lines = "\n".join(f"· {item['title']}" for item in items)
        message = Message(
            kind=channel,
            to=addresses[channel],
            category="digest",
            subject=f"{newsplus.settings.site.name} · 今日消息 {len(items)} 条",
            body=lines,
        )
        try:
            used = await deliver(newsplus, message)
        except DeliveryFailed as exc:
            await _log(user_id, None, channel, "failed", exc.detail.format(**exc.params))
            continue  # tomorrow's digest tries again
        await _log(user_id, None, channel, "sent", f"digest of {len(items)} via {used}")
        await Notification.update({Notification.external: "sent"}).where(
            Notification.id.is_in([item["id"] for item in items])
        )
