"""The users core plugin: accounts, departments, roles, sign-in, and the auth middleware."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus.hookspecs import hookimpl
from newsplus.types import MenuItem, Permission, Role
from newsplus.users import api, pages
from newsplus.users.middleware import AuthenticationMiddleware
from newsplus.users.settings import UsersSettings

if TYPE_CHECKING:
    from litestar import Request
    from litestar.config.app import AppConfig

    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser

name = "users"


@hookimpl
def register_settings() -> dict[str, type]:
    """``[plugins.users]``: session and code lifetimes."""
    return {"users": UsersSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    """Users, departments, grants, sessions and codes."""
    return ["newsplus.users.piccolo_app"]


@hookimpl
def register_routes(newsplus: Newsplus) -> list[Any]:
    """The users API and pages."""
    return [api.router, *pages.ROUTES]


@hookimpl
def register_permissions() -> list[Permission]:
    """Managing accounts and departments."""
    return [Permission(name="users.manage", label="Manage staff accounts, roles and departments")]


@hookimpl
def register_roles() -> list[Role]:
    """The built-in roles; other plugins add their permissions to them."""
    return [
        Role(name="admin", label="管理员", permissions=("users.manage",)),
        Role(name="editor", label="编辑"),
        Role(name="reviewer", label="审核员"),
        Role(name="chief_editor", label="总编辑"),
        Role(name="dispatcher", label="派单员"),
        Role(name="department_handler", label="部门办理人"),
        Role(name="resident", label="居民", staff=False),
    ]


@hookimpl
def configure_app(app_config: AppConfig, newsplus: Newsplus) -> None:
    """Know the signed-in user on every request (after the district is known)."""
    app_config.middleware.append(AuthenticationMiddleware())


@hookimpl
def menu_items(request: Request, user: CurrentUser | None) -> list[MenuItem]:
    """Desk entries for account management."""
    return [
        MenuItem(label="Staff", url="/desk/users", area="desk", icon="users", order=900, permission="users.manage"),
        MenuItem(
            label="Departments", url="/desk/departments", area="desk", icon="tree", order=910, permission="users.manage"
        ),
    ]
