"""A person's notification data: exported on request (the e-mail address, quiet hours, preferences, the
inbox), erased with their account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus import db
from newsplus.notifications.preferences import _clock
from newsplus.notifications.tables import BroadcastRead, Contact, Notification, PopupAction, Preference, SendLog

if TYPE_CHECKING:
    from newsplus.users.access import CurrentUser

__all__ = ["erase", "export"]


async def export(user: CurrentUser) -> dict[str, Any]:
    """The address and quiet hours given for notifications, the choices made per category and channel,
    every notification received, the broadcasts read and the pop-ups seen."""
    contact = await Contact.select().where(Contact.user == user.id).first() or {}
    return {
        "notifications": {
            "email": contact.get("email", ""),
            "quiet_start": _clock(contact.get("quiet_start")),
            "quiet_end": _clock(contact.get("quiet_end")),
            "preferences": await Preference.select(Preference.category, Preference.channel, Preference.mode)
            .where(Preference.user == user.id)
            .order_by(Preference.id),
            "inbox": await Notification.select(
                Notification.title,
                Notification.body,
                Notification.link,
                Notification.category,
                Notification.created_at,
                Notification.read_at,
            )
            .where(Notification.user == user.id)
            .order_by(Notification.id),
            "broadcasts_read": await BroadcastRead.select(
                BroadcastRead.broadcast.title.as_alias("title"), BroadcastRead.read_at
            )
            .where(BroadcastRead.user == user.id)
            .order_by(BroadcastRead.id),
            "popups": await PopupAction.select(
                PopupAction.popup.title.as_alias("title"), PopupAction.action, PopupAction.at
            )
            .where(PopupAction.user == user.id)
            .order_by(PopupAction.id),
        }
    }


async def erase(user: CurrentUser) -> None:
    """Delete the e-mail address, preferences, inbox and read marks; the send log keeps its lines (for the
    delivery figures) without the person or the details of the attempt."""
    async with db.transaction():
        await Contact.delete().where(Contact.user == user.id)
        await Preference.delete().where(Preference.user == user.id)
        await Notification.delete().where(Notification.user == user.id)
        await BroadcastRead.delete().where(BroadcastRead.user == user.id)
        await PopupAction.delete().where(PopupAction.user == user.id)
        await SendLog.update({SendLog.user: None, SendLog.detail: ""}).where(SendLog.user == user.id)
