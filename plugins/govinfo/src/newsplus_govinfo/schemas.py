"""Structs of the government-information API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

Aware = Annotated[datetime, msgspec.Meta(tz=True)]
"""A moment with its time zone (a bare one is refused with a 400)."""


class Attachment(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A file that goes with a notice (the document itself, a form to fill), by its address."""

    name: str
    url: str


class NoticeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A notice or a policy interpretation as a department's publisher writes it. ``revision`` is the one the
    publisher started from (0 for a new one); ``explains`` lists the notices an interpretation explains."""

    title: str
    level: str
    category: str
    department: int | None = None
    kind: Literal["notice", "interpretation"] = "notice"
    summary: str = ""
    body: str = ""
    doc_number: str = ""
    effective_on: date | None = None
    expires_on: date | None = None
    original_url: str = ""
    attachments: list[Attachment] = []
    explains: list[int] = []
    tags: list[str] = []
    revision: int = 0


class Decision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A reviewer's word on a notice (required to send it back)."""

    comment: str = ""


class PopupIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A pop-up for a key notice, for residents of some streets or communities, or with some tags."""

    starts_at: Aware
    ends_at: Aware
    streets: list[int] = []
    communities: list[int] = []
    tags: list[str] = []
    everyone: bool = False
    frequency: str = "once"


class PinIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A livelihood topic pinned on the home page for a while."""

    starts_at: Aware | None = None
    ends_at: Aware | None = None
    rank: int = 0


class Follow(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A category (社保 …) or a department (by id) to follow."""

    kind: Literal["category", "department"]
    value: str
