"""The time newsplus runs on: real UTC time, or a clock a test moves by hand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

__all__ = ["FrozenClock", "frozen_clock", "now"]

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time, timezone-aware UTC (what every domain function and job uses)."""
    return _source()


class FrozenClock:
    """A clock that stands still until moved: ``clock.advance(hours=2)``, ``clock.set(datetime(...))``."""

    def __init__(self, start: datetime) -> None:
        self.current = start if start.tzinfo else start.replace(tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by a timedelta's keyword arguments; return the new time."""
        self.current += timedelta(**delta)
        return self.current

    def set(self, moment: datetime) -> datetime:
        """Put the clock at a moment."""
        self.current = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return self.current


@contextmanager
def frozen_clock(start: datetime) -> Iterator[FrozenClock]:
    """Run the enclosed code on a FrozenClock (tests of deadlines, schedules and expiry)."""
    global _source
    previous, clock = _source, FrozenClock(start)
    _source = clock
    try:
        yield clock
    finally:
        _source = previous
