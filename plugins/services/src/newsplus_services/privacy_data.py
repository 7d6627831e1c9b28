"""A resident's service data: exported on request, erased with their account (applications and bookings stay,
anonymised, so each service's counts still add up)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus import remove_file, transaction
from newsplus_services import applications, bookings, favourites
from newsplus_services.tables import Application, ApplicationFile, Booking, Favourite

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus


async def export(newsplus: Newsplus, user: CurrentUser) -> dict[str, Any]:
    """Every application with its answers and steps, every booking, the services kept."""
    tokens = [
        r["token"]
        for r in await Application.select(Application.token).where(Application.user == user.id).order_by(Application.id)
    ]
    return {
        "services": {
            "applications": [await applications.view(newsplus, user, token) for token in tokens],
            "bookings": await bookings.mine(newsplus, user),
            "favourites": [m.slug for m in await favourites.kept(newsplus, user)],
        }
    }


async def erase(newsplus: Newsplus, user: CurrentUser) -> None:
    """Blank the answers of the user's applications and the names and phones of their bookings; delete their
    uploaded files and kept services."""
    files = await ApplicationFile.select(ApplicationFile.path, ApplicationFile.thumb).where(
        ApplicationFile.user == user.id
    )
    async with transaction():
        await Application.update({Application.user: None, Application.answers: "{}"}).where(Application.user == user.id)
        await Booking.update({Booking.user: None, Booking.name: "", Booking.phone: ""}).where(Booking.user == user.id)
        await ApplicationFile.delete().where(ApplicationFile.user == user.id)
        await Favourite.delete().where(Favourite.user == user.id)
    for file in files:
        await remove_file(newsplus, file["path"])
        if file["thumb"]:
            await remove_file(newsplus, file["thumb"])
