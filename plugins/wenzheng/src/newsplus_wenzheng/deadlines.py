"""The deadline job: remind departments before a deadline (催办), escalate when it passes (督办), and close
replies the resident never rated."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from piccolo.columns.combination import WhereRaw

from newsplus import now, transaction
from newsplus_wenzheng.events import announce
from newsplus_wenzheng.tables import Inquiry, Step

if TYPE_CHECKING:
    from newsplus import Newsplus

OPEN = ["dispatched", "signed", "in_progress"]
# Written out, not bound: SQLite uses the partial indexes of open inquiries (wenzheng migrations) only for a
# query that repeats their condition word for word. Bound values would send it to the indexes of every
# inquiry: with a million, the deadline job took half a second every five minutes, the overdue queue 1.7 s.
OPEN_SQL = "status IN (" + ", ".join(f"'{status}'" for status in OPEN) + ")"
UNESCALATED = f"{OPEN_SQL} AND escalated_at IS NULL"


def open_inquiries() -> WhereRaw:
    """Inquiries a department is working on (dispatched, signed or in progress), as a where clause."""
    return WhereRaw(OPEN_SQL)


def past_deadline(moment: datetime) -> Any:
    """Open inquiries whose handling deadline has passed, escalated or not, as a where clause."""
    # The deadline as an expression, which no index holds: otherwise the engines walk the index of every
    # deadline that ever passed and sort them by id (0.6–1.2 s with a million) instead of the open ones by id.
    return open_inquiries() & WhereRaw("COALESCE(handle_due_at, NULL) < {}", moment)


async def run_deadlines(newsplus: Newsplus) -> dict[str, int]:
    """Remind, escalate and auto-close; each inquiry at most once per kind of step."""
    settings = newsplus.plugin_settings["wenzheng"]
    moment = now()
    done = {"reminded": 0, "escalated": 0, "closed": 0}
    soon = moment + timedelta(hours=settings.remind_hours)
    for row in (
        await Inquiry.select()
        .where(
            Inquiry.status.is_in(OPEN)
            & (Inquiry.handle_due_at <= soon)
            & (Inquiry.handle_due_at > moment)
            & Inquiry.reminded_at.is_null()
        )
        .limit(500)
    ):
        if await _mark(newsplus, row, "remind", Inquiry.reminded_at, moment, "催办：临近办理时限"):
            done["reminded"] += 1
    for row in await overdue(moment):
        if await _mark(newsplus, row, "escalate", Inquiry.escalated_at, moment, "督办：已超过办理时限"):
            done["escalated"] += 1
    stale = moment - timedelta(days=settings.rate_days)
    for row in await Inquiry.select().where((Inquiry.status == "replied") & (Inquiry.replied_at <= stale)).limit(500):
        async with transaction():
            changed = (
                await Inquiry.update({Inquiry.status: "closed", Inquiry.closed_at: moment})
                .where((Inquiry.id == row["id"]) & (Inquiry.status == "replied"))
                .returning(Inquiry.id)
            )
            if changed:
                await Step(
                    inquiry=row["id"],
                    action="close",
                    from_status="replied",
                    to_status="closed",
                    note="未在时限内评价，自动办结",
                    created_at=moment,
                ).save()
                await announce(newsplus, {**row, "status": "closed"}, "close", None)
                done["closed"] += 1
    return done


def overdue(moment: datetime) -> Any:
    """Open inquiries past their handling deadline and not yet escalated, longest overdue first (at most 500: the
    next run takes the rest). In that order PostgreSQL, too, reads the partial index, whatever its statistics
    guess of how many open inquiries are still unescalated."""
    return (
        Inquiry.select()
        .where(WhereRaw(UNESCALATED) & (Inquiry.handle_due_at <= moment))
        .order_by(Inquiry.handle_due_at)
        .limit(500)
    )


async def _mark(newsplus: Newsplus, row: dict, action: str, column: Any, moment: datetime, note: str) -> bool:
    async with transaction():
        # Still open, still due as when selected: a reply or re-dispatch meanwhile must not be 催办'd.
        changed = (
            await Inquiry.update({column: moment})
            .where(
                (Inquiry.id == row["id"])
                & column.is_null()
                & Inquiry.status.is_in(OPEN)
                & (Inquiry.handle_due_at == row["handle_due_at"])
            )
            .returning(Inquiry.id)
        )
        if changed:
            await Step(
                inquiry=row["id"],
                action=action,
                from_status=row["status"],
                to_status=row["status"],
                department=row["department"],
                note=note,
                created_at=moment,
            ).save()
            await announce(newsplus, row, action, None)
        return bool(changed)
