"""What each person wants: per category and channel (immediate, daily digest, off), quiet hours, e-mail.

The inbox always receives everything; preferences steer the channels that reach a person outside the app
(SMS, e-mail). Categories are registered by plugins; a high-priority category cannot be turned off or
put in the digest, and quiet hours never hold it back.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from newsplus import db
from newsplus.errors import InvalidInput
from newsplus.notifications.tables import Contact, Preference

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = ["EXTERNAL_CHANNELS", "NotificationCategory", "Preferences", "load_preferences", "save_preferences"]

EXTERNAL_CHANNELS = ("sms", "email")
Mode = Literal["immediate", "digest", "off"]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class NotificationCategory(msgspec.Struct, frozen=True, kw_only=True):
    """A kind of notification a plugin sends, with the defaults a person starts from."""

    name: str
    label: str
    priority: Literal["high", "normal", "low"] = "normal"
    sms: Mode = "off"
    email: Mode = "immediate"


class Preferences(msgspec.Struct, kw_only=True):
    """One person's settings: ``modes[category][channel]``, quiet hours as ``HH:MM`` (or empty), e-mail."""

    modes: dict[str, dict[str, Mode]]
    quiet_start: str = ""
    quiet_end: str = ""
    email: str = ""

    def mode(self, category: NotificationCategory, channel: str) -> Mode:
        """The mode for a category on a channel (high priority is always immediate)."""
        if category.priority == "high":
            return "immediate"
        return self.modes.get(category.name, {}).get(channel) or getattr(category, channel)

    def quiet_at(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Whether ``moment`` falls inside the person's quiet hours (which may span midnight)."""
        if not (self.quiet_start and self.quiet_end):
            return False
        local = moment.astimezone(zone)
        minute = local.hour * 60 + local.minute
        start, end = _minutes(self.quiet_start), _minutes(self.quiet_end)
        return start <= minute < end if start < end else minute >= start or minute < end


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


async def load_preferences(newsplus: Newsplus, user_id: int) -> Preferences:
    """A person's preferences, with each category's defaults where they chose nothing."""
    choices = await Preference.select(Preference.category, Preference.channel, Preference.mode).where(
        Preference.user == user_id
    )
    contact = await Contact.select().where(Contact.user == user_id).first()
    return preferences_from(newsplus, choices, contact)


def preferences_from(newsplus: Newsplus, choices: list[dict[str, Any]], contact: dict[str, Any] | None) -> Preferences:
    """Preferences from a person's stored choices (category, channel, mode) and contact row, if any."""
    modes: dict[str, dict[str, Mode]] = {name: {} for name in newsplus.notification_categories}
    for row in choices:
        modes.setdefault(row["category"], {})[row["channel"]] = row["mode"]
    return Preferences(
        modes=modes,
        quiet_start=_clock(contact["quiet_start"]) if contact else "",
        quiet_end=_clock(contact["quiet_end"]) if contact else "",
        email=contact["email"] if contact else "",
    )


async def save_preferences(newsplus: Newsplus, user_id: int, wanted: Preferences) -> Preferences:
    """Store a person's preferences after checking every category, channel, time and address."""
    categories: dict[str, NotificationCategory] = newsplus.notification_categories
    for name, channels in wanted.modes.items():
        category = categories.get(name)
        if category is None:
            raise InvalidInput("Unknown category {category}", category=name, extra={"field": "modes"})
        for channel, mode in channels.items():
            if channel not in EXTERNAL_CHANNELS:
                raise InvalidInput("Unknown channel {channel}", channel=channel, extra={"field": "modes"})
            if category.priority == "high" and mode != "immediate":
                raise InvalidInput(
                    "{category} notices cannot be turned off or delayed",
                    category=category.label,
                    extra={"field": "modes"},
                )
    for field in ("quiet_start", "quiet_end"):
        value = getattr(wanted, field)
        if value and not CLOCK.match(value):
            raise InvalidInput("Times are written as HH:MM", extra={"field": field})
    if bool(wanted.quiet_start) != bool(wanted.quiet_end):
        raise InvalidInput("Quiet hours need a start and an end", extra={"field": "quiet_end"})
    email = wanted.email.strip()
    if email and (len(email) > 254 or not EMAIL.match(email)):
        raise InvalidInput("Please enter a valid e-mail address", extra={"field": "email"})
    async with db.transaction():
        await Preference.delete().where(Preference.user == user_id)
        rows = [
            Preference(user=user_id, category=name, channel=channel, mode=mode)
            for name, channels in wanted.modes.items()
            for channel, mode in channels.items()
        ]
        if rows:
            await Preference.insert(*rows)
        values: dict[Any, Any] = {
            Contact.email: email,
            Contact.quiet_start: _minutes(wanted.quiet_start) if wanted.quiet_start else None,
            Contact.quiet_end: _minutes(wanted.quiet_end) if wanted.quiet_end else None,
        }
        if await Contact.exists().where(Contact.user == user_id):
            await Contact.update(values).where(Contact.user == user_id)
        else:
            await Contact.insert(
                Contact(user=user_id, **{column._meta.name: value for column, value in values.items()})
            )
    return await load_preferences(newsplus, user_id)
