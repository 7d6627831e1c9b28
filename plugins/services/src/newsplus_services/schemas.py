"""Structs of the life-services API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class ApplicationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A filled form: field name → answer (a file field carries the token from ``POST /uploads``)."""

    answers: dict[str, Any] = {}
    note: str = ""


class StaffAction(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A department's step on an application, with its word to the resident."""

    note: str = ""


class BookingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A slot to book (its start as listed), and who comes."""

    starts_at: datetime
    name: str = ""
    phone: str = ""


class MoveIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The new start of a booking."""

    starts_at: datetime


class CheckIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The code a resident shows at the counter."""

    code: str
