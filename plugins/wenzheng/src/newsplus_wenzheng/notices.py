"""Who hears about a step of an inquiry, and about a comment that trips the 舆情 watch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus import role_holders
from newsplus.notifications.inbox import notify, notify_many
from newsplus_wenzheng.events import InquiryChanged
from newsplus_wenzheng.inquiries import watch_hits
from newsplus_wenzheng.workflow import TOLD

if TYPE_CHECKING:
    from newsplus import Newsplus


async def tell(newsplus: Newsplus, event: InquiryChanged) -> None:
    """Tell the resident, the department, the dispatchers or the supervisors what a step means to them."""
    link = f"/wenzheng/{event.token}"
    desk_link = f"/desk/wenzheng/{event.token}"
    if event.user_id and event.action in TOLD:
        await notify(
            newsplus,
            event.user_id,
            f"您的问政「{event.title}」{TOLD[event.action]}",
            link=link,
            category="wenzheng.reply" if event.action == "reply" else "wenzheng.progress",
        )
    staff: dict[str, list[int]] = {}
    if event.action == "submit":
        staff["新问政"] = await role_holders("dispatcher")
        if event.flagged:
            staff[f"舆情预警（{event.flagged}）"] = await role_holders("dispatcher") + await role_holders("supervisor")
    elif event.action in ("dispatch", "reopen"):
        staff["新交办" if event.action == "dispatch" else "不满意，重新办理"] = await role_holders(
            "department_handler", event.department_id
        )
    elif event.action == "return":
        staff["退单"] = await role_holders("dispatcher")
    elif event.action == "remind":
        staff["催办"] = await role_holders("department_handler", event.department_id)
    elif event.action == "escalate":
        staff["督办"] = await role_holders("supervisor") + await role_holders("dispatcher")
    for label, users in staff.items():
        await notify_many(newsplus, users, f"{label}：{event.title}", link=desk_link, category="wenzheng.work")


async def watch_comment(newsplus: Newsplus, event: Any) -> None:
    """A comment containing 舆情 watch words alerts the dispatchers and supervisors."""
    hits = watch_hits(newsplus, event.body)
    if not hits:
        return
    title = f"舆情预警（{','.join(hits)}）：评论「{event.body[:30]}」"
    staff = await role_holders("dispatcher") + await role_holders("supervisor")
    await notify_many(newsplus, staff, title, link="/desk/content/comments", category="wenzheng.work")
