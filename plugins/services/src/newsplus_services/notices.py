"""Who hears about an application's step or a booking: the resident of every step, the department of new
work."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from newsplus import role_holders
from newsplus.notifications.inbox import notify, notify_many
from newsplus_services.events import ApplicationChanged, BookingChanged

if TYPE_CHECKING:
    from newsplus import Newsplus

TOLD = {
    "submit": "已提交，等待受理",
    "accept": "已受理",
    "request_info": "需要补充材料",
    "approve": "已审核通过",
    "reject": "未通过",
    "complete": "已办结",
    "withdraw": "已撤回",
    "supplement": "补充材料已提交",
}
BOOKED = {
    "book": "预约成功",
    "reschedule": "预约时间已改",
    "cancel": "预约已取消",
    "remind": "明日办事提醒",
}


async def tell_application(newsplus: Newsplus, event: ApplicationChanged) -> None:
    """Tell the resident what the step means; new and supplemented applications reach the department."""
    if event.user_id and event.action in TOLD:
        body = event.note if event.action in ("request_info", "reject") else ""
        await notify(
            newsplus,
            event.user_id,
            f"您的「{event.module_name}」申请（{event.number}）{TOLD[event.action]}",
            body=body,
            link=f"/services/applications/{event.token}",
            category="services.progress",
        )
    if event.action in ("submit", "supplement"):
        label = "新申请" if event.action == "submit" else "补充材料"
        staff = await role_holders("service_handler", event.department_id) if event.department_id else []
        await notify_many(
            newsplus,
            staff + await role_holders("service_manager"),
            f"{label}：{event.module_name}（{event.number}）",
            link=f"/desk/services/applications/{event.token}",
            category="services.work",
        )


async def tell_booking(newsplus: Newsplus, event: BookingChanged) -> None:
    """Confirm a booking, its move or cancellation, and remind the resident before it."""
    if not event.user_id or event.action not in BOOKED:
        return
    when = datetime.fromisoformat(event.starts_at).astimezone(ZoneInfo(newsplus.settings.site.timezone))
    body = f"{event.module_name} · {event.resource_name} · {when:%Y-%m-%d %H:%M}"
    if event.action != "cancel":
        body += f" · 核验码 {event.code}"
    await notify(
        newsplus,
        event.user_id,
        f"{BOOKED[event.action]}：{event.module_name}",
        body=body,
        link=f"/services/bookings/{event.token}",
        category="services.reminder" if event.action == "remind" else "services.booking",
    )
