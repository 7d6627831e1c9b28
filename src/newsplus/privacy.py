"""Personal information (PIPL) where others read it: phone and ID numbers, names, house and room numbers
masked — in the structured fields and inside free text, which residents and staff fill with them too — and
spreadsheet cells that cannot run as formulas.

Plugins import these from ``newsplus``: one set of rules for every public page and every CSV export.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["mask_address", "mask_id_number", "mask_name", "mask_phone", "mask_text", "spreadsheet_cell"]

_NUMERALS = "0-9０-９一二三四五六七八九十百两零〇"
_HOUSE = re.compile(rf"[{_NUMERALS}]+\s*(号楼|号院|号|栋|幢|单元|室|层|楼|户)")
_AFTER = re.compile(rf"(号楼|单元|栋|幢)\s*[{_NUMERALS}]+")
_DASHED = re.compile(r"\d{1,4}(?:\s*[-－—]\s*\d{1,4}){1,3}")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}[01]\d[0-3]\d{4}[\dXx](?![0-9A-Za-z])")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def mask_phone(phone: str) -> str:
    """138****8000."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def mask_id_number(value: str) -> str:
    """110105********002X: the region and the last four stay (an 18-character ID number only)."""
    return f"{value[:6]}********{value[-4:]}" if len(value) == 18 else value


def mask_name(name: str) -> str:
    """张*, 欧阳** — the family name only."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_address(address: str) -> str:
    """The street and compound stay; building, unit and room numbers go (also 3-2-501)."""
    masked = _HOUSE.sub(lambda m: "*" + m.group(1), _DASHED.sub("*", address))
    return _AFTER.sub(lambda m: m.group(1) + "*", masked)


def mask_text(text: str, *, names: tuple[str, ...] = ()) -> str:
    """Free text with mobile, ID-card and landline numbers and house numbers masked, and each of ``names``
    (a person's full name, two characters or more) reduced to its family name."""
    text = _ID_CARD.sub(lambda m: m.group(0)[:3] + "*" * 12 + m.group(0)[-3:], text)
    text = _MOBILE.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group(0))[-11:]), text)
    text = _LANDLINE.sub("****", text)
    for name in sorted({n.strip() for n in names}, key=len, reverse=True):
        if len(name) >= 2:
            text = text.replace(name, mask_name(name))
    return mask_address(text)


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: one starting with = + - @, a tab or a carriage return gets a
    leading ``'``, so it never runs as a formula (CSV injection). Numbers and empty cells pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value
