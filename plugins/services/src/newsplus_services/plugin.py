"""The life-services plugin: 17 service modules and districts' own, forms, applications, bookings."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from newsplus import Event, HomeTile, Job, MenuItem, Permission, Role, handles, hookimpl
from newsplus.notifications.preferences import NotificationCategory
from newsplus_services import api, desk, hookspecs, notices, pages, privacy_data, registry
from newsplus_services.bookings import send_reminders
from newsplus_services.events import ApplicationChanged, BookingChanged
from newsplus_services.modules import ServiceModule, builtin_modules
from newsplus_services.settings import ServicesSettings
from newsplus_services.uploads import drop_unclaimed, may_read

if TYPE_CHECKING:
    from litestar import Request

    from newsplus import CurrentUser, Newsplus

name = "services"
requires_newsplus = ">=0.1,<0.2"


@hookimpl
def addhooks(pluginmanager: Any) -> None:
    """Add ``services_register_modules``."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def register_settings() -> dict[str, type]:
    """``[plugins.services]``: modules offered, overrides, holidays, reminders."""
    return {"services": ServicesSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    """Applications, their history and files; slots and bookings; favourites."""
    return ["newsplus_services.piccolo_app"]


@hookimpl
def services_register_modules() -> list[ServiceModule]:
    """The 17 built-in modules (要结婚, 生小孩 … 本地生活)."""
    return builtin_modules()


@hookimpl
def configure_app(newsplus: Newsplus) -> None:
    """Build the modules offered while the app is built, so a bad override stops it with a sentence."""
    registry.modules(newsplus)


@hookimpl
def register_routes(newsplus: Newsplus) -> list[Any]:
    """The API, the H5 pages and the desk pages."""
    return [api.router, *pages.ROUTES, *desk.ROUTES]


@hookimpl
def register_permissions() -> list[Permission]:
    """Working a department's applications and counters; managing every module's."""
    return [
        Permission(name="services.handle", label="Work on a department's applications and bookings"),
        Permission(name="services.manage", label="See and work on every service's applications and bookings"),
    ]


@hookimpl
def register_roles() -> list[Role]:
    """Service handlers (窗口办理人, within a department) and service managers."""
    return [
        Role(name="service_handler", label="窗口办理人", permissions=("services.handle",)),
        Role(name="service_manager", label="服务管理员", permissions=("services.manage",)),
    ]


@hookimpl
def register_events() -> list[type[Event]]:
    """Every step of an application; every change of a booking."""
    return [ApplicationChanged, BookingChanged]


@hookimpl
def register_notification_categories() -> list[NotificationCategory]:
    """Residents hear about applications and bookings; staff about new work."""
    return [
        NotificationCategory(name="services.progress", label="My applications: each step", priority="normal"),
        NotificationCategory(name="services.booking", label="My bookings", priority="normal"),
        NotificationCategory(name="services.reminder", label="Reminders before my bookings", sms="immediate"),
        NotificationCategory(name="services.work", label="Applications to handle", priority="normal"),
    ]


@hookimpl
def register_jobs() -> list[Job]:
    """Reminders before bookings; unclaimed form files dropped."""
    return [
        Job(
            name="services.reminders",
            run=send_reminders,
            every=timedelta(minutes=10),
            description="Remind residents of their bookings the day before",
        ),
        Job(
            name="services.unclaimed_files",
            run=drop_unclaimed,
            every=timedelta(hours=1),
            description="Delete files no application claimed within a day",
        ),
    ]


@hookimpl
@handles("services.*")
def handle_event(event: Event, newsplus: Newsplus):
    """Tell the resident and the department what an application's step or a booking's change means."""
    if isinstance(event, ApplicationChanged):
        return notices.tell_application(newsplus, event)
    if isinstance(event, BookingChanged):
        return notices.tell_booking(newsplus, event)
    return None


@hookimpl
def user_data(newsplus: Newsplus, user: CurrentUser):
    """A resident's applications, bookings and services, for their data export."""
    return privacy_data.export(newsplus, user)


@hookimpl
def handle_user_deleted(newsplus: Newsplus, user: CurrentUser):
    """Erase a deleted resident's answers, files and booking contacts; keep the counts."""
    return privacy_data.erase(newsplus, user)


@hookimpl
def home_tiles(request: Request, user: CurrentUser | None) -> list[HomeTile]:
    """The home page's service tiles (modules marked ``home``) and the directory."""
    offered = registry.modules(request.app.state.newsplus).values()
    tiles = [
        HomeTile(title=m.name, url=f"/services/{m.slug}", icon=m.icon, summary=m.summary, order=20 + i)
        for i, m in enumerate(m for m in offered if m.home)
    ]
    return [*tiles, HomeTile(title="全部服务", url="/services", icon="grid", summary="生老病走 · 吃穿住用行", order=60)]


@hookimpl
def menu_items(request: Request, user: CurrentUser | None) -> list[MenuItem]:
    """The 服务 tab; for the staff who work services, the applications queue and the day's bookings."""
    items = [MenuItem(label="服务", url="/services", area="h5", icon="grid", order=150)]
    if user is not None and (user.can("services.manage") or user.departments_with("services.handle")):
        items += [
            MenuItem(label="Service applications", url="/desk/services", area="desk", order=400),
            MenuItem(label="Today's bookings", url="/desk/services/bookings", area="desk", order=410),
        ]
    return items


@hookimpl
def may_read_file(newsplus: Newsplus, user: Any, path: str):
    """Residents' certificates and scans: for themselves and the staff handling their application."""
    return may_read(user, path)
