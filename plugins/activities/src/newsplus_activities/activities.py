"""Activities: organisers create events, contests and festivals; residents see them by status (upcoming, open,
ongoing, ended) with their sessions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus import Conflict, InvalidInput, NotFound, now, transaction
from newsplus.content.sanitize import clean_html
from newsplus.db import is_unique_violation
from newsplus.web.links import check_link
from newsplus_activities.tables import Activity, Session

if TYPE_CHECKING:
    from newsplus_activities.schemas import ActivityIn

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
STATUSES = ("upcoming", "open", "ongoing", "ended")
RESERVED = {"registrations", "coupons", "desk", "redeem", "mine", "check-in"}
"""Paths of the plugin's own pages and routes, which no activity's slug may take."""


def status_of(row: dict[str, Any], moment: datetime | None = None) -> str:
    """Where an activity stands now: ``ended``, ``ongoing`` (started), ``open`` (taking registrations, or a
    contest's votes), else ``upcoming``."""
    moment = moment or now()
    if moment >= row["ends_at"]:
        return "ended"
    if moment >= row["starts_at"]:
        return "ongoing"
    opens = row["opens_at"] or row["created_at"]
    closes = row["closes_at"] or row["starts_at"]
    if row["kind"] == "contest":
        opens = row["voting_opens_at"] or opens
        closes = row["voting_closes_at"] or row["ends_at"]
    return "open" if opens <= moment < closes else "upcoming"


def voting_open(row: dict[str, Any], moment: datetime | None = None) -> bool:
    """Whether a contest takes votes now."""
    moment = moment or now()
    return (row["voting_opens_at"] or row["created_at"]) <= moment < (row["voting_closes_at"] or row["ends_at"])


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput("Give times with their time zone", extra={"field": field})
    return value


def _values(data: ActivityIn) -> dict[str, Any]:
    """The checked columns of an activity."""
    if not SLUG.match(data.slug) or data.slug in RESERVED:
        raise InvalidInput("A slug uses lowercase letters, digits and hyphens", extra={"field": "slug"})
    title = data.title.strip()
    if not 2 <= len(title) <= 200:
        raise InvalidInput("A title of 2 to 200 characters is required", extra={"field": "title"})
    for field in (
        "starts_at",
        "ends_at",
        "opens_at",
        "closes_at",
        "cancel_until",
        "voting_opens_at",
        "voting_closes_at",
    ):
        _aware(getattr(data, field), field)
    if data.ends_at <= data.starts_at:
        raise InvalidInput("An activity must end after it starts", extra={"field": "ends_at"})
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        raise InvalidInput("Registration must close after it opens", extra={"field": "closes_at"})
    if data.voting_opens_at and data.voting_closes_at and data.voting_closes_at <= data.voting_opens_at:
        raise InvalidInput("Voting must close after it opens", extra={"field": "voting_closes_at"})
    if data.capacity < 0 or not 1 <= data.per_user <= 20:
        raise InvalidInput("Capacity is 0 or more; a resident takes 1 to 20 places", extra={"field": "capacity"})
    if data.votes_per_day < 0 or data.votes_total < 0:
        raise InvalidInput("Vote limits are 0 (none) or more", extra={"field": "votes_per_day"})
    for session in data.sessions:
        if session.ends_at <= session.starts_at or not session.title.strip():
            raise InvalidInput("Each session needs a title and must end after it starts", extra={"field": "sessions"})
    return {
        "slug": data.slug,
        "kind": data.kind,
        "title": title,
        "summary": data.summary.strip()[:500],
        "description": clean_html(data.description),
        "cover": check_link(data.cover, "cover"),
        "place": data.place.strip()[:200],
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "opens_at": data.opens_at,
        "closes_at": data.closes_at,
        "cancel_until": data.cancel_until,
        "capacity": data.capacity,
        "per_user": data.per_user,
        "waitlist": data.waitlist,
        "form": msgspec.json.encode(data.form).decode(),
        "votes_per_day": data.votes_per_day,
        "votes_total": data.votes_total,
        "voting_opens_at": data.voting_opens_at,
        "voting_closes_at": data.voting_closes_at,
        "proposals": data.proposals,
        "published": data.published,
    }


async def save(data: ActivityIn, user_id: int, activity_id: int | None = None) -> int:
    """Create or change an activity and its sessions; return its id. Capacity never drops below places taken."""
    values = _values(data)
    moment = now()
    try:
        async with transaction():
            if activity_id is None:
                row = Activity(**values, created_by=user_id, created_at=moment, updated_at=moment)
                await row.save()
                activity_id = row.id
            else:
                fits = Activity.id == activity_id
                if data.capacity:
                    fits &= Activity.taken <= data.capacity
                changed = (
                    await Activity.update(
                        {**{getattr(Activity, k): v for k, v in values.items()}, Activity.updated_at: moment}
                    )
                    .where(fits)
                    .returning(Activity.id)
                )
                if not changed:
                    await by_id(activity_id)
                    raise Conflict("More places are taken than this capacity", extra={"field": "capacity"})
                await Session.delete().where(Session.activity == activity_id)
            for session in data.sessions:
                await Session(
                    activity=activity_id,
                    title=session.title.strip()[:200],
                    place=session.place.strip()[:200],
                    starts_at=session.starts_at,
                    ends_at=session.ends_at,
                ).save()
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("The slug {slug} is taken", slug=data.slug, extra={"field": "slug"}) from None
        raise
    return activity_id


async def by_id(activity_id: int) -> dict[str, Any]:
    """An activity of this district by id (published or not)."""
    row = await Activity.select().where(Activity.id == activity_id).first()
    if row is None:
        raise NotFound("No such activity")
    return row


async def by_slug(slug: str, *, published: bool = True) -> dict[str, Any]:
    """An activity by slug; residents see only published ones."""
    query = Activity.select().where(Activity.slug == slug[:64])
    if published:
        query = query.where(Activity.published == True)  # noqa: E712 - piccolo builds SQL from ==
    row = await query.first()
    if row is None:
        raise NotFound("No such activity")
    return row


def describe(row: dict[str, Any], moment: datetime | None = None) -> dict[str, Any]:
    """An activity as residents read it (the form's fields decoded, its status now)."""
    return {
        "id": row["id"],
        "slug": row["slug"],
        "kind": row["kind"],
        "title": row["title"],
        "summary": row["summary"],
        "description": row["description"],
        "cover": row["cover"],
        "place": row["place"],
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "opens_at": row["opens_at"],
        "closes_at": row["closes_at"] or row["starts_at"],
        "cancel_until": row["cancel_until"],
        "capacity": row["capacity"],
        "taken": row["taken"],
        "left": max(row["capacity"] - row["taken"], 0) if row["capacity"] else None,
        "per_user": row["per_user"],
        "waitlist": row["waitlist"],
        "form": msgspec.json.decode(row["form"] or "[]"),
        "votes_per_day": row["votes_per_day"],
        "votes_total": row["votes_total"],
        "voting_opens_at": row["voting_opens_at"],
        "voting_closes_at": row["voting_closes_at"],
        "proposals": row["proposals"],
        "published": row["published"],
        "status": status_of(row, moment),
        "voting_open": row["kind"] == "contest"
        and (row["voting_opens_at"] or row["created_at"])
        <= (moment or now())
        < (row["voting_closes_at"] or row["ends_at"]),
    }


async def listing(*, status: str = "", include_unpublished: bool = False) -> list[dict[str, Any]]:
    """Activities, soonest first; ``status`` keeps those in one state (ended ones newest first)."""
    query = Activity.select()
    if not include_unpublished:
        query = query.where(Activity.published == True)  # noqa: E712
    moment = now()
    if status == "ended":
        query = query.where(Activity.ends_at <= moment).order_by(Activity.ends_at, ascending=False)
    elif status:
        query = query.where(Activity.ends_at > moment).order_by(Activity.starts_at)
    else:
        query = query.order_by(Activity.starts_at)
    rows = [describe(r, moment) for r in await query.limit(200)]
    return [r for r in rows if not status or r["status"] == status]


async def sessions(activity_id: int) -> list[dict[str, Any]]:
    """A festival's sessions in time order."""
    return (
        await Session.select(Session.title, Session.place, Session.starts_at, Session.ends_at)
        .where(Session.activity == activity_id)
        .order_by(Session.starts_at)
    )
