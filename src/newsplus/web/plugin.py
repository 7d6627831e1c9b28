"""The web core plugin: the home page, the desk's front page, switches, health, and the core menus."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus.hookspecs import hookimpl
from newsplus.types import MenuItem
from newsplus.web.pages import ROUTES

if TYPE_CHECKING:
    from litestar import Request

    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser

name = "web"


@hookimpl
def register_routes(newsplus: Newsplus) -> list[Any]:
    """Home, desk front page, language and elder-mode switches, /healthz."""
    return list(ROUTES)


@hookimpl
def menu_items(request: Request, user: CurrentUser | None) -> list[MenuItem]:
    """The residents' tab bar entries and the desk's front page."""
    items = [
        MenuItem(label="Home", url="/", area="h5", icon="home", order=0),
        MenuItem(label="Me", url="/me", area="h5", icon="user", order=1000),
    ]
    if user is not None and user.is_staff:
        items.append(MenuItem(label="Desk", url="/desk", area="desk", icon="grid", order=0))
        items.append(MenuItem(label="Desk", url="/desk", area="h5", icon="grid", order=900))
    return items
