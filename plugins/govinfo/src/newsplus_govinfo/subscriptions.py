"""Residents follow categories (社保 …) or departments, and hear of each new notice there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus import InvalidInput, form_number, now
from newsplus.users.tables import Department
from newsplus_govinfo.tables import Subscription

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus


async def _check(newsplus: Newsplus, kind: str, value: str) -> str:
    if kind == "category":
        if value not in newsplus.plugin_settings["govinfo"].categories:
            raise InvalidInput("Choose a category from the list", extra={"field": "value"})
        return value
    number = form_number(value) if kind == "department" else None
    if number is not None and await Department.exists().where(Department.id == number):
        return str(number)
    raise InvalidInput("No such department", extra={"field": "value"})


async def follow(newsplus: Newsplus, user: CurrentUser, kind: str, value: str) -> None:
    """Follow a category or a department (again is no change)."""
    value = await _check(newsplus, kind, value.strip())
    await Subscription.insert(Subscription(user=user.id, kind=kind, value=value, created_at=now())).on_conflict(
        action="DO NOTHING"
    )


async def unfollow(user: CurrentUser, kind: str, value: str) -> None:
    """Stop following a category or a department."""
    await Subscription.delete().where(
        (Subscription.user == user.id) & (Subscription.kind == kind) & (Subscription.value == value.strip())
    )


async def following(user: CurrentUser | None) -> dict[str, set[str]]:
    """What a resident follows: ``{"category": {...}, "department": {...}}``."""
    found: dict[str, set[str]] = {"category": set(), "department": set()}
    if user is None:
        return found
    for row in await Subscription.select(Subscription.kind, Subscription.value).where(Subscription.user == user.id):
        found.setdefault(row["kind"], set()).add(row["value"])
    return found


async def export(user: CurrentUser) -> dict[str, Any]:
    """A resident's subscriptions, for their data export."""
    return {"govinfo": {k: sorted(v) for k, v in (await following(user)).items()}}


async def erase(user: CurrentUser) -> None:
    """Forget what a deleted resident followed."""
    await Subscription.delete().where(Subscription.user == user.id)
