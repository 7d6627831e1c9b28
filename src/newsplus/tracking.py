"""Tracking numbers residents quote on the phone (受理编号): the local date and six random digits."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from newsplus.clock import now
from newsplus.db import is_unique_violation

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = ["ATTEMPTS", "numbered"]

T = TypeVar("T")
# A day has a million numbers. Even with a tenth of them taken (a hundred thousand intakes in one day), twelve
# draws in a row all hit taken ones about once in four hundred billion.
ATTEMPTS = 12


async def numbered(newsplus: Newsplus, write: Callable[[str], Awaitable[T]], *, attempts: int = ATTEMPTS) -> T:
    """Run ``write(number)`` with a fresh tracking number, drawing another when that one is already taken
    (``write`` saves it under a unique index and raises the unique violation)."""
    day = now().astimezone(ZoneInfo(newsplus.settings.site.timezone)).strftime("%Y%m%d")
    for attempt in range(attempts):
        try:
            return await write(f"{day}{secrets.randbelow(10**6):06d}")
        except Exception as exc:
            if not is_unique_violation(exc) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
