"""Masking personal details on public pages (PIPL): phone and ID numbers, names, house and room numbers —
in the structured fields and inside free text, which residents and departments fill with them too."""

from __future__ import annotations

import re

_NUMERALS = "0-9０-９一二三四五六七八九十百两零〇"
_HOUSE = re.compile(rf"[{_NUMERALS}]+\s*(号楼|号院|号|栋|幢|单元|室|层|楼|户)")
_AFTER = re.compile(rf"(号楼|单元|栋|幢)\s*[{_NUMERALS}]+")
_DASHED = re.compile(r"\d{1,4}(?:\s*[-－—]\s*\d{1,4}){1,3}")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}[01]\d[0-3]\d{4}[\dXx](?![0-9A-Za-z])")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)")


def mask_phone(phone: str) -> str:
    """138****8000."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def mask_name(name: str) -> str:
    """张*, 欧阳** — the family name only."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_address(address: str) -> str:
    """The street and compound stay; building, unit and room numbers go (also 3-2-501)."""
    masked = _HOUSE.sub(lambda m: "*" + m.group(1), _DASHED.sub("*", address))
    return _AFTER.sub(lambda m: m.group(1) + "*", masked)


def mask_text(text: str) -> str:
    """Free text with mobile, ID-card and landline numbers and house numbers masked."""
    text = _ID_CARD.sub(lambda m: m.group(0)[:3] + "*" * 12 + m.group(0)[-3:], text)
    text = _MOBILE.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group(0))[-11:]), text)
    text = _LANDLINE.sub("****", text)
    return mask_address(text)
