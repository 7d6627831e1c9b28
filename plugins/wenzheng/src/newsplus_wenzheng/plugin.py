"""The 问政 plugin: inquiries from residents, dispatch to departments, deadlines, replies, rates, Open311."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from newsplus import Event, HomeTile, Job, MenuItem, Permission, Role, handles, hookimpl
from newsplus.events.outbox import event_name
from newsplus.notifications.preferences import NotificationCategory
from newsplus_wenzheng import api, desk, hookspecs, inquiries, notices, open311, pages, privacy_data
from newsplus_wenzheng.deadlines import run_deadlines
from newsplus_wenzheng.events import InquiryChanged, InquiryForwarded
from newsplus_wenzheng.settings import WenzhengSettings
from newsplus_wenzheng.targets import hand_over

if TYPE_CHECKING:
    from litestar import Request

    from newsplus import CurrentUser, Newsplus

name = "wenzheng"
requires_newsplus = ">=0.1,<0.2"


@hookimpl
def addhooks(pluginmanager: Any) -> None:
    """Add ``wenzheng_register_dispatch_targets``."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def register_settings() -> dict[str, type]:
    """``[plugins.wenzheng]``: categories, deadlines, holidays, Open311 keys, watch words."""
    return {"wenzheng": WenzhengSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    """Inquiries, their history and photos, routing rules, reply templates."""
    return ["newsplus_wenzheng.piccolo_app"]


@hookimpl
def register_routes(newsplus: Newsplus) -> list[Any]:
    """The resident and desk API, the H5 and desk pages, Open311 GeoReport v2."""
    return [api.router, *pages.ROUTES, *desk.ROUTES, open311.router]


@hookimpl
def register_permissions() -> list[Permission]:
    """Dispatching, handling within a department, supervising."""
    return [
        Permission(name="wenzheng.dispatch", label="Accept, dispatch, merge and close inquiries; set routing rules"),
        Permission(name="wenzheng.handle", label="Sign for, work on, reply to or return inquiries of a department"),
        Permission(name="wenzheng.supervise", label="See every inquiry, escalations and rates"),
    ]


@hookimpl
def register_roles() -> list[Role]:
    """Dispatchers (派单员), department handlers (部门办理人) and supervisors (督办员)."""
    return [
        Role(name="dispatcher", permissions=("wenzheng.dispatch", "wenzheng.supervise")),
        Role(name="department_handler", permissions=("wenzheng.handle",)),
        Role(name="supervisor", label="督办员", permissions=("wenzheng.supervise",)),
    ]


@hookimpl
def register_events() -> list[type[Event]]:
    """Every step of an inquiry; a hand-over to a department's outside target."""
    return [InquiryChanged, InquiryForwarded]


@hookimpl
def register_notification_categories() -> list[NotificationCategory]:
    """Residents hear about their inquiries; staff about their queues."""
    return [
        NotificationCategory(name="wenzheng.progress", label="My inquiries: each step", priority="normal"),
        NotificationCategory(name="wenzheng.reply", label="My inquiries: the reply", priority="high", sms="immediate"),
        NotificationCategory(name="wenzheng.work", label="Inquiries to handle", priority="normal"),
    ]


@hookimpl
def register_jobs() -> list[Job]:
    """Reminders, escalations and closing unrated replies."""
    return [
        Job(
            name="wenzheng.deadlines",
            run=run_deadlines,
            every=timedelta(minutes=5),
            description="Remind before deadlines, escalate overdue inquiries, close unrated replies",
        ),
    ]


@hookimpl
@handles("wenzheng.*", "content.comment_posted")
def handle_event(event: Event, newsplus: Newsplus):
    """Tell the resident, the department, the dispatchers or the supervisors, as the step requires; watch
    comments for 舆情 words."""
    if isinstance(event, InquiryChanged):
        return notices.tell(newsplus, event)
    if isinstance(event, InquiryForwarded):
        return hand_over(newsplus, event.inquiry_id, event.step_id)
    if event_name(event) == "content.comment_posted":
        return notices.watch_comment(newsplus, event)
    return None


@hookimpl
def user_data(newsplus: Newsplus, user: CurrentUser):
    """A resident's inquiries with their timelines, for their data export."""
    return privacy_data.export(newsplus, user)


@hookimpl
def handle_user_deleted(newsplus: Newsplus, user: CurrentUser):
    """Keep a deleted resident's inquiries for statistics, without anything that points at them."""
    return privacy_data.erase(newsplus, user)


@hookimpl
def may_read_file(newsplus: Newsplus, user: CurrentUser | None, path: str):
    """An inquiry's photos: for whoever may see the inquiry."""
    return inquiries.may_see_photo(user, path)


@hookimpl
def home_tiles(request: Request, user: CurrentUser | None) -> list[HomeTile]:
    """问政 on the home page."""
    return [HomeTile(title="问政", url="/wenzheng", summary="有问题，找政府", order=10)]


@hookimpl
def menu_items(request: Request, user: CurrentUser | None) -> list[MenuItem]:
    """The 问政 tab; the dispatcher console, department queue and rates in the desk."""
    items = [
        MenuItem(label="问政", url="/wenzheng", area="h5", icon="chat", order=200),
        MenuItem(label="Dispatch", url="/desk/wenzheng", area="desk", order=300, permission="wenzheng.supervise"),
        MenuItem(label="Rates", url="/desk/wenzheng/rates", area="desk", order=320, permission="wenzheng.supervise"),
    ]
    if user is not None and user.departments_with("wenzheng.handle"):
        items.append(MenuItem(label="My department's inquiries", url="/desk/wenzheng/queue", area="desk", order=310))
    return items
