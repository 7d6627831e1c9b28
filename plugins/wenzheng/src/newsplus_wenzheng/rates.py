"""Rates (考核): response, resolution, satisfaction and on-time rates and average handling time, by
department, street, category or month, as 12345 ranks its streets."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from newsplus import InvalidInput
from newsplus.users.tables import Department
from newsplus_wenzheng.tables import Inquiry

DIMENSIONS = ("department", "street", "category", "month")
SATISFIED = ("satisfied", "basically_satisfied")


def month_range(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC bounds of a local calendar month given as YYYY-MM."""
    try:
        first = date.fromisoformat(f"{month}-01")
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    except ValueError:
        raise InvalidInput("Give the month as YYYY-MM", extra={"field": "month"}) from None
    return (
        datetime.combine(first, datetime.min.time(), zone).astimezone(UTC),
        datetime.combine(following, datetime.min.time(), zone).astimezone(UTC),
    )


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def rates(by: str, start: datetime, end: datetime, zone: ZoneInfo) -> list[dict[str, Any]]:
    """One row per group of inquiries received in [start, end): counts and rates, best satisfaction first.

    - response rate: taken in (accepted or rejected) before the response deadline / received
    - on-time rate: replied before the handling deadline / replied
    - resolution rate: closed without 不满意 / dispatched
    - satisfaction rate: 满意 + 基本满意 / rated
    - average handling hours: received → reply (the latest one, after any reopening)
    """
    if by not in DIMENSIONS:
        raise InvalidInput("Group by department, street, category or month", extra={"field": "by"})
    rows = await Inquiry.select(
        Inquiry.department,
        Inquiry.street,
        Inquiry.category,
        Inquiry.created_at,
        Inquiry.accepted_at,
        Inquiry.status,
        Inquiry.response_due_at,
        Inquiry.handle_due_at,
        Inquiry.replied_at,
        Inquiry.rating,
        Inquiry.closed_at,
    ).where((Inquiry.created_at >= start) & (Inquiry.created_at < end) & (Inquiry.status != "merged"))
    groups: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        key = r["created_at"].astimezone(zone).strftime("%Y-%m") if by == "month" else r[by]
        g = groups[key]
        g["received"] += 1
        taken = r["accepted_at"] or (r["closed_at"] if r["status"] == "rejected" else None)
        if taken and r["response_due_at"] and taken <= r["response_due_at"]:
            g["responded_on_time"] += 1
        if r["department"] is not None:
            g["dispatched"] += 1
        if r["replied_at"]:
            g["replied"] += 1
            g["hours"] += (r["replied_at"] - r["created_at"]).total_seconds() / 3600
            if r["handle_due_at"] is None or r["replied_at"] <= r["handle_due_at"]:
                g["replied_on_time"] += 1
        if r["rating"]:
            g["rated"] += 1
            g["satisfied"] += r["rating"] in SATISFIED
        if r["status"] == "closed" and r["rating"] != "dissatisfied":
            g["resolved"] += 1
    names: dict[Any, str] = {}
    if by in ("department", "street"):
        ids = [k for k in groups if k is not None]
        if ids:
            names = {
                d["id"]: d["name"]
                for d in await Department.select(Department.id, Department.name).where(Department.id.is_in(ids))
            }
    table = []
    for key, g in groups.items():
        table.append(
            {
                "key": key,
                "name": names.get(key, key if key is not None else "—"),
                "received": g["received"],
                "dispatched": g["dispatched"],
                "replied": g["replied"],
                "rated": g["rated"],
                "response_rate": _ratio(g["responded_on_time"], g["received"]),
                "on_time_rate": _ratio(g["replied_on_time"], g["replied"]),
                "resolution_rate": _ratio(g["resolved"], g["dispatched"]),
                "satisfaction_rate": _ratio(g["satisfied"], g["rated"]),
                "average_hours": round(g["hours"] / g["replied"], 1) if g["replied"] else None,
            }
        )
    return sorted(table, key=lambda t: (-(t["satisfaction_rate"] or 0), -(t["resolution_rate"] or 0), str(t["name"])))
