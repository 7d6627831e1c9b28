"""The handling chain: accept or reject → dispatch (routing rules) → sign → in progress → reply → rate →
closed; 退单 back to the dispatcher, 不满意 back to the department, duplicates merged. Every step is a
row in the timeline and an event; an illegal step is a 409 that says why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus import Conflict, Forbidden, InvalidInput, NotFound, now, publish, transaction
from newsplus.users.tables import Department
from newsplus_wenzheng.events import InquiryForwarded, announce
from newsplus_wenzheng.inquiries import by_token, calendar, categories
from newsplus_wenzheng.tables import Inquiry, RoutingRule, Step
from newsplus_wenzheng.targets import target_of

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus

# Which action may follow which status.
ALLOWED = {
    "accept": ("submitted",),
    "reject": ("submitted",),
    "dispatch": ("accepted",),
    "sign": ("dispatched",),
    "progress": ("signed", "in_progress"),
    "reply": ("signed", "in_progress"),
    "return": ("dispatched", "signed"),
    "rate": ("replied",),
    "close": ("replied",),
    "merge": ("submitted", "accepted"),
    "deadline": ("accepted", "dispatched", "signed", "in_progress"),
    "reopen": ("replied",),
}
STATUS_AFTER = {
    "accept": "accepted",
    "reject": "rejected",
    "dispatch": "dispatched",
    "sign": "signed",
    "progress": "in_progress",
    "reply": "replied",
    "return": "accepted",
    "close": "closed",
    "merge": "merged",
}
STATUS_NAMES = {
    "submitted": "待受理", "accepted": "已受理", "rejected": "不予受理", "dispatched": "已转办", "signed": "已签收",
    "in_progress": "办理中", "replied": "已答复", "closed": "已办结", "merged": "已合并",
}  # fmt: skip
# What the resident is told at each step (the timeline shows them all).
TOLD = {
    "accept": "已受理",
    "reject": "未予受理",
    "dispatch": "已转办",
    "sign": "已由承办单位签收",
    "progress": "有新的办理进展",
    "reply": "已答复，请评价",
    "close": "已办结",
    "rate": "已评价",
    "reopen": "已重新交办",
    "merge": "已与相同问题合并办理",
}


async def _step(
    newsplus: Newsplus, row: dict[str, Any], action: str, actor: CurrentUser | None, note: str = "", **values: Any
) -> dict[str, Any]:
    """Move an inquiry on, if its status still allows this action; write the timeline row and the event."""
    if row["status"] not in ALLOWED[action]:
        raise Conflict(
            "This inquiry is {status}; it cannot be {action} now",
            status=STATUS_NAMES.get(row["status"], row["status"]),
            action=ACTION_WORDS[action],
        )
    status = values.pop("status", STATUS_AFTER.get(action, row["status"]))
    moment = now()
    changed = (
        await Inquiry.update(
            {Inquiry.status: status, Inquiry.updated_at: moment, **{getattr(Inquiry, k): v for k, v in values.items()}}
        )
        .where((Inquiry.id == row["id"]) & (Inquiry.status == row["status"]))
        .returning(Inquiry.id)
    )
    if not changed:
        raise Conflict("Someone else acted on this inquiry just now; reload and look again")
    department = values.get("department", row["department"])
    acting = department if department is not None else row["department"]  # a return is the old department's
    step = Step(
        inquiry=row["id"],
        action=action,
        from_status=row["status"],
        to_status=status,
        actor=actor.id if actor else None,
        department=acting,
        note=note,
        created_at=moment,
    )
    await step.save()
    updated = {**row, **values, "status": status, "department": department}
    await announce(newsplus, updated, action, actor.id if actor else None)
    if status == "dispatched" and await target_of(newsplus, department) != "internal":
        await publish(newsplus, InquiryForwarded(inquiry_id=row["id"], step_id=step.id))
    return updated


ACTION_WORDS = {
    "accept": "accepted",
    "reject": "rejected",
    "dispatch": "dispatched",
    "sign": "signed for",
    "progress": "updated",
    "reply": "replied to",
    "return": "returned",
    "rate": "rated",
    "close": "closed",
    "merge": "merged",
    "deadline": "given a deadline",
    "reopen": "reopened",
}


def _require_dispatcher(user: CurrentUser) -> None:
    if not user.can("wenzheng.dispatch"):
        raise Forbidden("Only dispatchers can do this")


def _require_handler(user: CurrentUser, row: dict[str, Any]) -> None:
    if row["department"] is None or not user.can_in("wenzheng.handle", row["department"]):
        raise Forbidden("This inquiry was not dispatched to your department")


async def route(category: str, street: int | None) -> int | None:
    """The department the routing rules name for a category and street (the most specific rule wins)."""
    rules = await RoutingRule.select().where(
        RoutingRule.category.is_in([category, ""]) & (RoutingRule.street.is_null() | (RoutingRule.street == street))
    )
    if not rules:
        return None
    best = max(rules, key=lambda r: (r["category"] == category, r["street"] is not None and r["street"] == street))
    return best["department"]


async def check_rule(newsplus: Newsplus, department: int | None, street: int | None, category: str) -> None:
    """Refuse a routing rule naming an unknown category, department or street."""
    if category and category not in categories(newsplus):
        raise InvalidInput("Unknown category {category}", category=category, extra={"field": "category"})
    if department is None or not await Department.exists().where(Department.id == department):
        raise InvalidInput("Please choose from the list", extra={"field": "department"})
    if street is not None and not await Department.exists().where(
        (Department.id == street) & (Department.kind == "street")
    ):
        raise InvalidInput("Please choose from the list", extra={"field": "street"})


async def _locked_pair(token: str, into: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both inquiries of a merge, read again once their rows are locked in id order: A into B and B into A
    at once then wait for each other on PostgreSQL instead of both merging (SQLite writes one at a time)."""
    if Inquiry._meta.db.engine_type == "postgres":
        await Inquiry.select(Inquiry.id).where(Inquiry.token.is_in([token, into])).order_by(Inquiry.id).lock_rows()
    return await by_token(token), await by_token(into)


async def act(
    newsplus: Newsplus,
    user: CurrentUser,
    token: str,
    action: str,
    *,
    note: str = "",
    department: int | None = None,
    days: int | None = None,
    into: str = "",
    system: bool = False,
) -> dict[str, Any]:
    """Do one staff step on an inquiry; return it as it now stands (``system``: a connected platform acts)."""
    if action not in ALLOWED or action in ("rate", "reopen"):
        raise InvalidInput("Unknown action {action}", action=action)
    note = note.strip()
    actor = None if system else user
    async with transaction():
        row = await by_token(token)
        moment = now()
        if action in ("accept", "reject", "dispatch", "merge", "deadline", "close"):
            _require_dispatcher(user)
        else:
            _require_handler(user, row)
        if action in ("reject", "return") and not note:
            raise InvalidInput("Say why", extra={"field": "note"})
        if action in ("reply", "progress") and not note:
            raise InvalidInput("Write the reply" if action == "reply" else "Say what was done", extra={"field": "note"})
        if action == "accept":
            category = categories(newsplus).get(row["category"])
            if category and category.complex and not days:
                raise InvalidInput(
                    "A complex case needs its handling deadline in working days", extra={"field": "days"}
                )
            if days is not None and not 1 <= days <= 60:
                raise InvalidInput("Give 1 to 60 working days", extra={"field": "days"})
            span = days or (category.handle_days if category else 2)
            return await _step(
                newsplus,
                row,
                "accept",
                actor,
                note,
                accepted_at=moment,
                handle_due_at=calendar(newsplus).deadline(moment, span),
            )
        if action == "dispatch":
            target = department or await route(row["category"], row["street"])
            if target is None:
                raise InvalidInput("No routing rule matches; choose a department", extra={"field": "department"})
            if not await Department.exists().where(Department.id == target):
                raise InvalidInput("No such department", extra={"field": "department"})
            return await _step(
                newsplus, row, "dispatch", actor, note, department=target, reminded_at=None, escalated_at=None
            )
        if action == "return":
            return await _step(newsplus, row, "return", actor, note, department=None, returned=row["returned"] + 1)
        if action == "reply":
            return await _step(newsplus, row, "reply", actor, note, reply=note, replied_at=moment)
        if action == "merge":
            try:
                target = await by_token(into)
            except NotFound:
                raise InvalidInput("Merge into another open inquiry", extra={"field": "into"}) from None
            if target["id"] != row["id"]:
                row, target = await _locked_pair(token, into)
            if target["id"] == row["id"] or target["status"] in ("rejected", "merged"):
                raise InvalidInput("Merge into another open inquiry", extra={"field": "into"})
            return await _step(newsplus, row, "merge", actor, note or target["number"], merged_into=target["id"])
        if action == "deadline":
            if not days or not 1 <= days <= 60:
                raise InvalidInput("Give 1 to 60 working days", extra={"field": "days"})
            return await _step(
                newsplus,
                row,
                "deadline",
                actor,
                note,
                handle_due_at=calendar(newsplus).deadline(moment, days),
                reminded_at=None,
                escalated_at=None,
            )
        extra = {"closed_at": moment} if action in ("close", "reject") else {}
        return await _step(newsplus, row, action, actor, note, **extra)


async def rate(newsplus: Newsplus, user: CurrentUser, token: str, rating: str, comment: str = "") -> dict[str, Any]:
    """The resident rates the reply: satisfied closes it; dissatisfied sends it back to the department."""
    async with transaction():
        row = await by_token(token)
        if row["user"] != user.id:
            raise Forbidden("Only the resident who wrote it can rate it")
        if rating == "dissatisfied":
            category = categories(newsplus).get(row["category"])
            due = calendar(newsplus).deadline(now(), category.handle_days if category else 2)
            await _step(newsplus, row, "rate", user, comment, rating=rating, rating_comment=comment[:500])
            row = await by_token(token)
            return await _reopen(newsplus, row, user, due)
        return await _step(
            newsplus,
            row,
            "rate",
            user,
            comment,
            status="closed",
            rating=rating,
            rating_comment=comment[:500],
            closed_at=now(),
        )


async def _reopen(newsplus: Newsplus, row: dict[str, Any], user: CurrentUser, due: Any) -> dict[str, Any]:
    """不满意: back to the same department for another go, counted."""
    return await _step(
        newsplus,
        row,
        "reopen",
        user,
        "",
        status="dispatched",
        reopened=row["reopened"] + 1,
        handle_due_at=due,
        reminded_at=None,
        escalated_at=None,
        replied_at=None,
        rating="",
    )
