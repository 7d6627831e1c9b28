"""The event every step of an inquiry emits, and how a step announces it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus import Event, publish

if TYPE_CHECKING:
    from newsplus import Newsplus


class InquiryChanged(Event, tag="wenzheng.inquiry_changed"):
    """An inquiry moved on: who is told depends on the action (resident, department, dispatchers)."""

    inquiry_id: int
    token: str
    number: str
    title: str
    action: str
    status: str
    user_id: int | None = None
    department_id: int | None = None
    flagged: str = ""


async def announce(newsplus: Newsplus, row: Any, action: str, actor: int | None) -> None:
    """Publish the event of one step (inside the step's transaction)."""
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    department = get("department")
    await publish(
        newsplus,
        InquiryChanged(
            inquiry_id=get("id"),
            token=get("token"),
            number=get("number"),
            title=get("title"),
            action=action,
            status=get("status"),
            user_id=get("user"),
            department_id=department.id if hasattr(department, "id") else department,
            flagged=get("flagged"),
        ),
        actor=actor,
    )


class InquiryForwarded(Event, tag="wenzheng.inquiry_forwarded"):
    """A dispatch to a department that works outside the desk: hand the inquiry over (its own delivery,
    retried on its own, so a slow platform never holds up anyone's notifications)."""

    inquiry_id: int
    step_id: int
