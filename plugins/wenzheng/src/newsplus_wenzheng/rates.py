"""Rates (考核): response, resolution, satisfaction and on-time rates and average handling time, by
department, street, category or month, as 12345 ranks its streets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.querystring import QueryString

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


# Each count is a condition on one inquiry (timestamps compare in order on both engines).
COUNTS = (
    (
        "responded_on_time",
        "response_due_at IS NOT NULL AND COALESCE(accepted_at, CASE WHEN status = 'rejected' THEN closed_at END)"
        " <= response_due_at",
    ),
    ("dispatched", "department IS NOT NULL"),
    ("replied", "replied_at IS NOT NULL"),
    ("replied_on_time", "replied_at IS NOT NULL AND (handle_due_at IS NULL OR replied_at <= handle_due_at)"),
    ("rated", "rating <> ''"),
    ("satisfied", "rating IN ('satisfied', 'basically_satisfied')"),
    ("resolved", "status = 'closed' AND rating <> 'dissatisfied'"),
)


def _hours() -> str:
    """Hours from receipt to reply, as SQL for the engine in use."""
    if Inquiry._meta.db.engine_type == "postgres":
        return "EXTRACT(EPOCH FROM (replied_at - created_at)) / 3600.0"
    return "(julianday(replied_at) - julianday(created_at)) * 24.0"


def _month_key(start: datetime, end: datetime, zone: ZoneInfo) -> QueryString:
    """The local month of ``created_at`` as YYYY-MM, from the exact UTC bounds of each month in [start, end)."""
    cases, args = [], []
    month = start.astimezone(zone).date().replace(day=1)
    while True:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        bound = datetime.combine(following, datetime.min.time(), zone).astimezone(UTC)
        cases.append("WHEN created_at < {} THEN {}")
        args += [bound, month.strftime("%Y-%m")]
        if bound >= end:
            break
        month = following
    return QueryString(f"CASE {' '.join(cases)} END", *args)


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
    key = _month_key(start, end, zone) if by == "month" else QueryString(f'"{by}"')
    counts = [QueryString(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)").as_alias(name) for name, condition in COUNTS]
    rows = (
        await Inquiry.select(
            key.as_alias("key"),
            QueryString("COUNT(*)").as_alias("received"),
            *counts,
            QueryString(f"SUM(CASE WHEN replied_at IS NOT NULL THEN {_hours()} ELSE 0 END)").as_alias("hours"),
        )
        .where((Inquiry.created_at >= start) & (Inquiry.created_at < end) & (Inquiry.status != "merged"))
        .group_by(QueryString("key"))
    )
    groups = {r["key"]: r for r in rows}
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
        g = {k: v or 0 for k, v in g.items()}
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
                "average_hours": round(float(g["hours"]) / g["replied"], 1) if g["replied"] else None,
            }
        )
    return sorted(table, key=lambda t: (-(t["satisfaction_rate"] or 0), -(t["resolution_rate"] or 0), str(t["name"])))
