"""The activities plugin: events with registration, public voting contests, merchants and coupons."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from newsplus import Event, HomeTile, Job, MenuItem, Permission, Role, handles, hookimpl
from newsplus.notifications.preferences import NotificationCategory
from newsplus_activities import api, desk, desk_api, notices, pages, privacy_data
from newsplus_activities.events import RegistrationChanged
from newsplus_activities.registrations import send_reminders
from newsplus_activities.settings import ActivitiesSettings

if TYPE_CHECKING:
    from litestar import Request

    from newsplus import CurrentUser, Newsplus

name = "activities"
requires_newsplus = ">=0.1,<0.2"


@hookimpl
def register_settings() -> dict[str, type]:
    """``[plugins.activities]``: reminders and vote bursts."""
    return {"activities": ActivitiesSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    """Activities, sessions, registrations, candidates, votes, coupon batches and coupons."""
    return ["newsplus_activities.piccolo_app"]


@hookimpl
def register_routes(newsplus: Newsplus) -> list[Any]:
    """The residents' and the desk's API, the H5 pages and the desk pages."""
    return [api.router, desk_api.router, *pages.ROUTES, *desk.ROUTES]


@hookimpl
def register_permissions() -> list[Permission]:
    """Organising activities; redeeming a merchant's coupons."""
    return [
        Permission(name="activities.manage", label="Create activities, check residents in, moderate, run coupons"),
        Permission(name="activities.redeem", label="Redeem a merchant's coupons"),
    ]


@hookimpl
def register_roles() -> list[Role]:
    """Activity organisers (活动运营) and merchants' clerks (商户店员, within their merchant)."""
    return [
        Role(name="activity_organiser", label="活动运营", permissions=("activities.manage",)),
        Role(name="merchant_clerk", label="商户店员", permissions=("activities.redeem",)),
    ]


@hookimpl
def register_events() -> list[type[Event]]:
    """A registration's changes."""
    return [RegistrationChanged]


@hookimpl
def register_notification_categories() -> list[NotificationCategory]:
    """Registrations, and the reminders and promotions that cannot wait."""
    return [
        NotificationCategory(name="activities.registration", label="My registrations", priority="normal"),
        NotificationCategory(
            name="activities.reminder", label="Activity reminders and waitlist places", sms="immediate"
        ),
    ]


@hookimpl
def register_jobs() -> list[Job]:
    """Reminders before activities."""
    return [
        Job(
            name="activities.reminders",
            run=send_reminders,
            every=timedelta(minutes=10),
            description="Remind registered residents before an activity starts",
        )
    ]


@hookimpl
@handles("activities.*")
def handle_event(event: Event, newsplus: Newsplus):
    """Tell the resident about their registration."""
    if isinstance(event, RegistrationChanged):
        return notices.tell(newsplus, event)
    return None


@hookimpl
def user_data(newsplus: Newsplus, user: CurrentUser):
    """A resident's registrations, votes and coupons."""
    return privacy_data.export(user)


@hookimpl
def handle_user_deleted(newsplus: Newsplus, user: CurrentUser):
    """Blank a deleted resident's registrations' contact details and answers; keep the counts."""
    return privacy_data.erase(user)


@hookimpl
def home_tiles(request: Request, user: CurrentUser | None) -> list[HomeTile]:
    """活动 on the home page."""
    return [HomeTile(title="活动", url="/activities", summary="报名、投票、领优惠", order=12)]


@hookimpl
def menu_items(request: Request, user: CurrentUser | None) -> list[MenuItem]:
    """The 活动 tab; activities for organisers and redemption for merchants' clerks in the desk."""
    items = [MenuItem(label="活动", url="/activities", area="h5", icon="flag", order=160)]
    if user is not None and user.can("activities.manage"):
        items.append(MenuItem(label="Activities", url="/desk/activities", area="desk", order=600))
    if user is not None and (user.can("activities.manage") or user.departments_with("activities.redeem")):
        items.append(MenuItem(label="Redeem coupons", url="/desk/activities/redeem", area="desk", order=610))
    return items
