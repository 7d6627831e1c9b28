"""Scheduled pop-ups (定时弹窗): a notice that pops up for its audience within a time window.

Frequency caps: ``once`` (shown once per person), ``daily`` (once per person and local day),
``every_launch`` (each time the app opens). Asking for due pop-ups records them as shown; dismissals and
clicks are recorded when the person acts. One row per pop-up, whatever its audience.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count

from newsplus.clock import now
from newsplus.errors import InvalidInput, NotFound
from newsplus.notifications.audience import Audience, check_audience, meant_for, reaches_anyone
from newsplus.notifications.tables import Popup, PopupAction
from newsplus.users.access import CurrentUser
from newsplus.web.links import check_link

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = ["FREQUENCIES", "create_popup", "due_popups", "list_popups", "popup_stats", "record_action"]

FREQUENCIES = ("once", "daily", "every_launch")


async def create_popup(
    newsplus: Newsplus,
    *,
    title: str,
    body: str = "",
    image: str = "",
    link: str = "",
    starts_at: datetime,
    ends_at: datetime,
    audience: Audience,
    frequency: str = "once",
    priority: int = 0,
    created_by: int | None = None,
) -> int:
    """Schedule a pop-up for an audience that reaches someone; return its id."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput("A title is required", extra={"field": "title"})
    if ends_at <= starts_at:
        raise InvalidInput("The window must end after it starts", extra={"field": "ends_at"})
    if frequency not in FREQUENCIES:
        raise InvalidInput("Unknown frequency {frequency}", frequency=frequency, extra={"field": "frequency"})
    await check_audience(audience, newsplus.roles)
    if not await reaches_anyone(audience):  # not a count: scheduling for a million is as quick as for a few
        raise InvalidInput("This audience matches nobody; nothing was sent", extra={"field": "audience"})
    row = Popup(
        title=title[:200],
        body=body,
        image=check_link(image, "image"),
        link=check_link(link),
        starts_at=starts_at,
        ends_at=ends_at,
        audience=audience.encode(),
        frequency=frequency,
        priority=priority,
        created_by=created_by,
        created_at=now(),
    )
    await row.save()
    return row.id


def _today(newsplus: Newsplus) -> str:
    return now().astimezone(ZoneInfo(newsplus.settings.site.timezone)).strftime("%Y-%m-%d")


async def due_popups(newsplus: Newsplus, user: CurrentUser, limit: int | None = None) -> list[dict[str, Any]]:
    """The pop-ups to show this person now, highest priority first (at most ``limit``); those returned are
    recorded as shown, so a page that shows one pop-up asks for one."""
    moment = now()
    rows = (
        await Popup.select(
            Popup.id,
            Popup.title,
            Popup.body,
            Popup.image,
            Popup.link,
            Popup.frequency,
            Popup.priority,
            Popup.audience,
            Popup.ends_at,
        )
        .where((Popup.starts_at <= moment) & (Popup.ends_at > moment))
        .order_by(Popup.priority, ascending=False)
    )
    if not rows:
        return []
    rows = await meant_for(user, rows)
    today = _today(newsplus)
    seen = await PopupAction.select(PopupAction.popup, PopupAction.day).where(
        (PopupAction.user == user.id)
        & (PopupAction.action == "shown")
        & PopupAction.popup.is_in([r["id"] for r in rows] or [0])
    )
    shown_ever = {s["popup"] for s in seen}
    shown_today = {s["popup"] for s in seen if s["day"] == today}
    due = [
        r
        for r in rows
        if r["frequency"] == "every_launch"
        or (r["frequency"] == "once" and r["id"] not in shown_ever)
        or (r["frequency"] == "daily" and r["id"] not in shown_today)
    ][:limit]
    # every_launch shows each time but is counted once a day per person: the table does not grow per view
    new = [r for r in due if r["id"] not in shown_today]
    if new:
        await PopupAction.insert(
            *[PopupAction(popup=r["id"], user=user.id, action="shown", day=today, at=moment) for r in new]
        )
    return [{k: v for k, v in r.items() if k != "audience"} for r in due]


async def record_action(newsplus: Newsplus, user: CurrentUser, popup_id: int, action: str) -> str:
    """Record that the person dismissed or clicked a pop-up; return where a click leads."""
    if action not in ("dismissed", "clicked"):
        raise InvalidInput("Unknown action {action}", action=action)
    row = await Popup.select(Popup.link).where(Popup.id == popup_id).first()
    if row is None:
        raise NotFound("No such pop-up")
    await PopupAction.insert(PopupAction(popup=popup_id, user=user.id, action=action, day=_today(newsplus), at=now()))
    return row["link"]


async def popup_stats(popup_ids: list[int]) -> dict[int, dict[str, int]]:
    """For each pop-up: how many people it was shown to, and how many dismissed or clicked it (one query)."""
    stats = {i: {"shown": 0, "dismissed": 0, "clicked": 0} for i in popup_ids}
    if popup_ids:
        rows = (
            await PopupAction.select(
                PopupAction.popup, PopupAction.action, Count(distinct=[PopupAction.user], alias="people")
            )
            .where(PopupAction.popup.is_in(popup_ids))
            .group_by(PopupAction.popup, PopupAction.action)
        )
        for row in rows:
            stats[row["popup"]][row["action"]] = row["people"]
    return stats


async def list_popups(limit: int = 100) -> list[dict[str, Any]]:
    """The district's pop-ups, newest first, with their statistics."""
    rows = (
        await Popup.select(Popup.id, Popup.title, Popup.starts_at, Popup.ends_at, Popup.frequency, Popup.priority)
        .order_by(Popup.id, ascending=False)
        .limit(limit)
    )
    stats = await popup_stats([r["id"] for r in rows])
    return [{**row, **stats[row["id"]]} for row in rows]
