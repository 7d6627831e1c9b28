"""Structs of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from newsplus.notifications.audience import Audience

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text = Annotated[str, msgspec.Meta(max_length=10000)]
Link = Annotated[str, msgspec.Meta(max_length=500)]
Moment = Annotated[datetime, msgspec.Meta(tz=True, description="With its time zone, e.g. 2026-11-30T08:00:00+08:00")]


class MarkRead(msgspec.Struct, forbid_unknown_fields=True):
    """Mark one item read (``kind`` and ``id``), or everything (``all``)."""

    kind: Literal["notification", "broadcast"] | None = None
    id: int | None = None
    all: bool = False


class Unread(msgspec.Struct):
    """How many inbox items are unread."""

    unread: int


class AudienceIn(msgspec.Struct, forbid_unknown_fields=True):
    """An audience to count before sending."""

    audience: Audience


class Reach(msgspec.Struct):
    """How many people an audience (or a sent message) reaches."""

    recipients: int


class BroadcastIn(msgspec.Struct, forbid_unknown_fields=True):
    """A message to an audience (stored once, read by each of them)."""

    title: Title
    audience: Audience
    body: Text = ""
    link: Link = ""
    category: Annotated[str, msgspec.Meta(max_length=64)] = "system"
    expires_at: Moment | None = None


class Sent(msgspec.Struct):
    """What was created. How many it reaches is counted after sending (the send log shows it); ask
    ``/notifications/audience`` beforehand for the figure."""

    id: int


class PopupIn(msgspec.Struct, forbid_unknown_fields=True):
    """A pop-up: its window, audience, frequency cap and priority."""

    title: Title
    starts_at: Moment
    ends_at: Moment
    audience: Audience
    body: Text = ""
    image: Link = ""
    link: Link = ""
    frequency: Literal["once", "daily", "every_launch"] = "once"
    priority: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    """A district system to receive events (``events``: ``*``, ``wenzheng.*`` or names, comma-separated)."""

    url: Link
    events: Annotated[str, msgspec.Meta(max_length=500)] = "*"
    description: Annotated[str, msgspec.Meta(max_length=200)] = ""


class Clicked(msgspec.Struct):
    """Where a clicked pop-up leads."""

    link: str
