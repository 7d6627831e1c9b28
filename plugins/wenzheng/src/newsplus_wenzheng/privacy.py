"""Masking personal details on public pages (PIPL): phone numbers, names and house numbers."""

from __future__ import annotations

import re

_DIGITS_TAIL = re.compile(r"[0-9０-９一二三四五六七八九十百]+(号楼|号院|号|栋|单元|室|层|楼)")


def mask_phone(phone: str) -> str:
    """138****8000."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def mask_name(name: str) -> str:
    """张*, 欧阳** — the family name only."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_address(address: str) -> str:
    """The street and compound stay; building, unit and room numbers go."""
    return _DIGITS_TAIL.sub(lambda m: "*" + m.group(1), address)
