"""msgspec Structs of the 问政 API."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

Kind = Literal["consult", "complaint", "help", "suggestion"]
KINDS = {"consult": "咨询", "complaint": "投诉", "help": "求助", "suggestion": "建议"}
RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


class InquiryIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What a resident writes: kind, category, text, where, whether it may be shown publicly, how to reach them."""

    kind: Kind
    category: str
    title: str
    body: str
    street: int | None = None
    community: int | None = None
    address: str = ""
    lat: float | None = None
    lng: float | None = None
    public: bool = False
    contact_name: str = ""
    contact_phone: str = ""
    extra: dict[str, Any] = {}


class Action(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A step on an inquiry: a note or reason, a department (dispatch), days (a complex case's deadline),
    the inquiry merged into (merge)."""

    note: str = ""
    department: int | None = None
    days: int | None = None
    into: str = ""


class Rating(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The resident's verdict on the reply."""

    rating: Literal["satisfied", "basically_satisfied", "dissatisfied"]
    comment: str = ""


class RuleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A routing rule: category × street → department (empty category or no street: any)."""

    department: int
    category: str = ""
    street: int | None = None


class TemplateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A reply template."""

    title: str
    body: str
    category: str = ""
