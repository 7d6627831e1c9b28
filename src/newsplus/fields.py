"""Form fields that plugins declare as data (a service's application form, an activity's sign-up, a 问政
category's own questions) and the one place their values are checked.

Every field's mistake is reported at once, each under its name, so a resident corrects the whole form in
one go: ``InvalidFields`` is a 400 whose ``extra.errors`` maps each field to its message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

import msgspec

from newsplus.errors import InvalidInput

__all__ = ["FieldType", "FormField", "InvalidFields", "clean_fields", "normal_phone", "valid_id_number"]

FieldType = Literal["text", "textarea", "number", "date", "choice", "file", "phone", "id_number"]

PHONE = re.compile(r"^1[3-9]\d{9}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


class FormField(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One question of a form: its name, label, type and the rules its answer keeps."""

    name: str
    """The answer's key (ASCII snake_case)."""
    label: str
    """The question as residents read it."""
    type: FieldType = "text"
    """text, textarea, number, date, choice, file, phone or id_number (居民身份证号码, checksum checked)."""
    required: bool = False
    """An answer is required."""
    choices: tuple[str, ...] = ()
    """The answers a ``choice`` offers."""
    help: str = ""
    """A hint under the field."""
    max_length: int = 500
    """The longest text answer."""
    min: float | None = None
    """The smallest number accepted."""
    max: float | None = None
    """The largest number accepted."""
    when: Literal["any", "future", "past"] = "any"
    """For dates: ``future`` allows today and later (an appointment), ``past`` today and earlier (a birth date)."""


class InvalidFields(InvalidInput):
    """Answers a form refused, each with its own message (``errors``: field → (message, params))."""

    def __init__(self, errors: dict[str, tuple[str, dict[str, Any]]]) -> None:
        first = next(iter(errors))
        super().__init__("Please correct the marked fields", extra={"field": first})
        self.errors = errors


def normal_phone(value: str) -> str | None:
    """A mainland mobile number without spaces or dashes, or None when it is not one."""
    digits = re.sub(r"[\s-]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits if PHONE.match(digits) else None


def valid_id_number(value: str, *, today: date | None = None) -> bool:
    """Whether a resident identity card number (居民身份证号码, 18 characters) is well formed: its birth date is
    a real day not in the future and its last character matches the GB 11643 checksum."""
    value = value.strip().upper()
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > (today or date.today()):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17]


def _number(text: str) -> int | float | None:
    try:
        return int(text) if re.fullmatch(r"-?\d{1,15}", text) else float(text) if len(text) < 30 else None
    except ValueError:
        return None


def _clean_one(field: FormField, raw: Any, today: date) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
    """One answer cleaned, or the reason it is refused."""
    text = raw.strip() if isinstance(raw, str) else raw
    if field.type == "number":
        value = text if isinstance(text, int | float) and not isinstance(text, bool) else _number(str(text))
        if value is None or not math.isfinite(value):  # NaN and infinity are not numbers a person typed
            return None, ("{label} must be a number", {"label": field.label})
        if (field.min is not None and value < field.min) or (field.max is not None and value > field.max):
            low, high = field.min if field.min is not None else "", field.max if field.max is not None else ""
            return None, ("{label} must be between {low} and {high}", {"label": field.label, "low": low, "high": high})
        return value, None
    text = str(text)
    if field.type == "date":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None, ("Give a date as YYYY-MM-DD", {})
        if field.when == "future" and day < today:
            return None, ("The date cannot be in the past", {})
        if field.when == "past" and day > today:
            return None, ("The date cannot be in the future", {})
        return day.isoformat(), None
    if field.type == "choice":
        return (text, None) if text in field.choices else (None, ("Please choose from the list", {}))
    if field.type == "phone":
        phone = normal_phone(text)
        return (phone, None) if phone else (None, ("Give an 11-digit mobile number", {}))
    if field.type == "id_number":
        valid = valid_id_number(text, today=today)
        return (text.upper(), None) if valid else (None, ("This is not a valid resident ID number", {}))
    if len(text) > field.max_length:
        return None, ("{label} is too long (at most {n} characters)", {"label": field.label, "n": field.max_length})
    return text, None


def clean_fields(
    fields: Sequence[FormField], values: Mapping[str, Any], *, today: date, prefix: str = ""
) -> dict[str, Any]:
    """Check every answer against its field and return the cleaned answers (files are the caller's: a file
    field's value is whatever the caller stored, only its presence is checked). Raises ``InvalidFields``
    naming each refused answer as ``prefix + name``."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    for field in fields:
        raw = values.get(field.name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if field.required:
                errors[prefix + field.name] = ("{label} is required", {"label": field.label})
            continue
        if field.type == "file":
            cleaned[field.name] = raw
            continue
        value, error = _clean_one(field, raw, today)
        if error:
            errors[prefix + field.name] = error
        else:
            cleaned[field.name] = value
    if errors:
        raise InvalidFields(errors)
    return cleaned
