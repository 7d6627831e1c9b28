"""A resident's 问政 data: exported on request, erased with their account (the inquiries stay, anonymised,
so the district's statistics still add up)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus import mask_text, remove_file, transaction
from newsplus_wenzheng.inquiries import view
from newsplus_wenzheng.tables import Inquiry, Photo

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus


async def export(newsplus: Newsplus, user: CurrentUser) -> dict[str, Any]:
    """Every inquiry the user wrote, as they see it, with its timeline."""
    tokens = [
        r["token"] for r in await Inquiry.select(Inquiry.token).where(Inquiry.user == user.id).order_by(Inquiry.id)
    ]
    return {"wenzheng": [await view(newsplus, user, token) for token in tokens]}


async def erase(newsplus: Newsplus, user: CurrentUser) -> None:
    """Blank the contact details, address, coordinates and form fields of the user's inquiries, mask the
    numbers, house numbers and their name written into the text; delete photos."""
    rows = await Inquiry.select(
        Inquiry.id, Inquiry.title, Inquiry.body, Inquiry.reply, Inquiry.rating_comment, Inquiry.contact_name
    ).where(Inquiry.user == user.id)
    ids = [r["id"] for r in rows]
    if not ids:
        return
    photos = await Photo.select(Photo.path, Photo.thumb).where(Photo.inquiry.is_in(ids))
    async with transaction():
        await Inquiry.update(
            {
                Inquiry.user: None,
                Inquiry.contact_name: "",
                Inquiry.contact_phone: "",
                Inquiry.address: "",
                Inquiry.lat: None,
                Inquiry.lng: None,
                Inquiry.extra: "{}",
            }
        ).where(Inquiry.id.is_in(ids))
        for row in rows:
            masked = {
                column: mask_text(row[column._meta.name], names=(row["contact_name"],))
                for column in (Inquiry.title, Inquiry.body, Inquiry.reply, Inquiry.rating_comment)
            }
            if any(masked[column] != row[column._meta.name] for column in masked):
                await Inquiry.update(masked).where(Inquiry.id == row["id"])
        await Photo.delete().where(Photo.inquiry.is_in(ids))
    for photo in photos:
        await remove_file(newsplus, photo["path"])
        await remove_file(newsplus, photo["thumb"])
