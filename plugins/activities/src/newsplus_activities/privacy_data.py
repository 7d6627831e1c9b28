"""A resident's activity data: exported on request, anonymised with their account (the counts stay)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus import transaction
from newsplus_activities import coupons, registrations, voting
from newsplus_activities.tables import Coupon, Registration, Vote

if TYPE_CHECKING:
    from newsplus import CurrentUser


async def export(user: CurrentUser) -> dict[str, Any]:
    """The resident's registrations, votes and coupons."""
    return {
        "activities": {
            "registrations": await registrations.mine(user),
            "votes": await voting.votes_of(user.id),
            "coupons": await coupons.mine(user),
        }
    }


async def erase(user: CurrentUser) -> None:
    """Blank names, phones and answers of the resident's registrations; unlink their votes and coupons."""
    async with transaction():
        await Registration.update(
            {Registration.user: None, Registration.name: "", Registration.phone: "", Registration.answers: "{}"}
        ).where(Registration.user == user.id)
        await Vote.update({Vote.user: None, Vote.address: "", Vote.device: ""}).where(Vote.user == user.id)
        await Coupon.update({Coupon.user: None}).where(Coupon.user == user.id)
