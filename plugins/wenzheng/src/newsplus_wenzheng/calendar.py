"""Working days: deadlines counted over weekends, public holidays and 调休 working weekends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from newsplus_wenzheng.settings import WenzhengSettings

CLOSE_OF_BUSINESS = time(18, 0)


class WorkingCalendar:
    """Which days are working days in a district, and deadlines counted in them."""

    def __init__(self, settings: WenzhengSettings, zone: str) -> None:
        self.zone = ZoneInfo(zone)
        self.holidays = {date.fromisoformat(d) for d in settings.holidays}
        self.workdays = {date.fromisoformat(d) for d in settings.workdays}

    def is_working_day(self, day: date) -> bool:
        """A weekday that is not a holiday, or a weekend day declared a working day."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def deadline(self, start: datetime, working_days: int) -> datetime:
        """Close of business (18:00 local) on the Nth working day after the day of ``start`` (UTC)."""
        day = start.astimezone(self.zone).date()
        counted = 0
        working_days = min(working_days, 366)  # a deadline more than a year of working days away is a mistake
        while counted < max(working_days, 0):
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        if working_days <= 0 and not self.is_working_day(day):
            while not self.is_working_day(day):
                day += timedelta(days=1)
        return datetime.combine(day, CLOSE_OF_BUSINESS, self.zone).astimezone(UTC)
