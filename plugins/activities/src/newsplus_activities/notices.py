"""What a resident hears about their registration."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from newsplus.notifications.inbox import notify
from newsplus_activities.events import RegistrationChanged

if TYPE_CHECKING:
    from newsplus import Newsplus

TOLD = {
    "registered": "报名成功",
    "waitlisted": "已进入候补",
    "promoted": "候补成功，已为您保留名额",
    "cancelled": "已取消报名",
    "remind": "活动即将开始",
}


async def tell(newsplus: Newsplus, event: RegistrationChanged) -> None:
    """Tell the resident what happened to their registration (a promotion and the reminder are urgent)."""
    if not event.user_id or event.action not in TOLD:
        return
    when = datetime.fromisoformat(event.starts_at).astimezone(ZoneInfo(newsplus.settings.site.timezone))
    await notify(
        newsplus,
        event.user_id,
        f"{TOLD[event.action]}：{event.title}",
        body=f"{when:%Y-%m-%d %H:%M}",
        link=f"/activities/registrations/{event.token}",
        category="activities.reminder" if event.action in ("promoted", "remind") else "activities.registration",
    )
