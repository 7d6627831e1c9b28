"""The government-information plugin: department publishing, the 政务 tab, livelihood topics, pop-ups, imports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from newsplus import Event, HomeTile, MenuItem, Permission, Role, handles, hookimpl, translator_for
from newsplus.notifications.preferences import NotificationCategory
from newsplus_govinfo import api, desk, livelihood, pages, subscriptions
from newsplus_govinfo.settings import LEVELS, GovinfoSettings

if TYPE_CHECKING:
    from litestar import Request

    from newsplus import CurrentUser, FeedItem, Newsplus

name = "govinfo"
requires_newsplus = ">=0.1,<0.2"


@hookimpl
def register_settings() -> dict[str, type]:
    """``[plugins.govinfo]``: categories, the channel, livelihood topics."""
    return {"govinfo": GovinfoSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    """Notices, interpretations, subscriptions, import runs."""
    return ["newsplus_govinfo.piccolo_app"]


@hookimpl
def register_routes(newsplus: Newsplus) -> list[Any]:
    """The API, the 政务 tab's pages and the desk pages."""
    return [api.router, *pages.ROUTES, *desk.ROUTES]


@hookimpl
def register_permissions() -> list[Permission]:
    """Publishing for a department; reviewing, reaching out and importing for the whole district."""
    return [
        Permission(name="govinfo.publish", label="Write and submit a department's notices"),
        Permission(name="govinfo.review", label="Review notices before they go out"),
        Permission(name="govinfo.manage", label="Pop up notices and pin livelihood topics"),
        Permission(name="govinfo.import", label="Import notices in bulk"),
    ]


@hookimpl
def register_roles() -> list[Role]:
    """Department publishers (信息发布员, within a department) and govinfo editors (政务信息审核员)."""
    return [
        Role(name="govinfo_publisher", label="信息发布员", permissions=("govinfo.publish",)),
        Role(
            name="govinfo_editor",
            label="政务信息审核员",
            permissions=("govinfo.publish", "govinfo.review", "govinfo.manage", "govinfo.import"),
        ),
    ]


@hookimpl
def register_notification_categories() -> list[NotificationCategory]:
    """Residents hear of new notices in what they follow."""
    return [NotificationCategory(name="govinfo.followed", label="Notices I follow", priority="normal")]


@hookimpl
@handles("content.article_published")
def handle_event(event: Event, newsplus: Newsplus):
    """A notice went live: into its livelihood topic, and to the residents who follow it."""
    return livelihood.published(newsplus, event.article_id)


@hookimpl
def render_feed_item(item: FeedItem, request: Request) -> str | None:
    """A notice's card: its level, department and 文号, linking to the notice page."""
    if item.source != "govinfo":
        return None
    environment = request.app.template_engine.engine
    html = environment.get_template("govinfo/_card.html").render(item=item, levels=LEVELS, _=translator_for(request))
    return Markup(html)


@hookimpl
def user_data(newsplus: Newsplus, user: CurrentUser):
    """The categories and departments a resident follows."""
    return subscriptions.export(user)


@hookimpl
def handle_user_deleted(newsplus: Newsplus, user: CurrentUser):
    """Forget what a deleted resident followed."""
    return subscriptions.erase(user)


@hookimpl
def home_tiles(request: Request, user: CurrentUser | None) -> list[HomeTile]:
    """政务公开 on the home page."""
    return [HomeTile(title="政务公开", url="/govinfo", summary="各委办局、街道信息一站看全", order=15)]


@hookimpl
def menu_items(request: Request, user: CurrentUser | None) -> list[MenuItem]:
    """The 政务 tab; notices, topics and imports in the desk for those who work on them."""
    items = [MenuItem(label="政务", url="/govinfo", area="h5", icon="building", order=180)]
    if user is not None and (user.can("govinfo.review") or user.departments_with("govinfo.publish")):
        items.append(MenuItem(label="Government notices", url="/desk/govinfo", area="desk", order=500))
    if user is not None and user.can("govinfo.manage"):
        items.append(MenuItem(label="Livelihood topics", url="/desk/govinfo/topics", area="desk", order=510))
    if user is not None and user.can("govinfo.import"):
        items.append(MenuItem(label="Import notices", url="/desk/govinfo/imports", area="desk", order=520))
    return items
