"""Structs of the activities API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from newsplus import FormField


class SessionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One session of a festival."""

    title: str
    starts_at: datetime
    ends_at: datetime
    place: str = ""


class ActivityIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An activity as organisers save it: when, where, registration and voting rules, sessions."""

    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    kind: Literal["event", "contest", "festival"] = "event"
    summary: str = ""
    description: str = ""
    cover: str = ""
    place: str = ""
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    cancel_until: datetime | None = None
    capacity: int = 0
    per_user: int = 1
    waitlist: bool = True
    form: list[FormField] = []
    votes_per_day: int = 0
    votes_total: int = 0
    voting_opens_at: datetime | None = None
    voting_closes_at: datetime | None = None
    proposals: bool = False
    published: bool = False
    sessions: list[SessionIn] = []


class RegistrationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A sign-up: how many places, who comes, the activity's own questions."""

    seats: int = 1
    name: str = ""
    phone: str = ""
    answers: dict[str, Any] = {}


class CandidateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A candidate proposed by a resident or added by staff (a photo from ``POST /uploads``'s path)."""

    name: str
    description: str = ""
    photo: str = ""


class VoteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A vote for one candidate; ``device`` is the app's installation id, when it has one."""

    candidate: int
    device: str = ""


class MerchantIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A merchant taking part in festivals (its staff sign in to redeem coupons)."""

    name: str


class BatchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A batch of coupons: ``value`` in fen for ``amount``, in percent for ``percent``."""

    merchant: int
    title: str
    value: int
    stock: int
    valid_from: datetime
    valid_until: datetime
    kind: Literal["amount", "percent"] = "amount"
    min_spend: int = 0
    per_user: int = 1
    activity: str = ""
    audience: Literal["everyone", "participants"] = "everyone"


class CodeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A code typed or scanned at a counter."""

    code: str


class Moderation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A moderator's decision on a proposed candidate."""

    status: Literal["approved", "rejected"]
