"""Who may call a route: the signed-in user and the guards every route declares.

Every route handler states its audience with exactly one of ``anyone``, ``signed_in``, ``staff`` or
``requires("<plugin>.<verb>")`` in its guards. A role held within a department grants its permissions
for that department only; the app refuses to start when a route has none, or names a
permission nobody registered. Anonymous callers of a protected route get 401, others lacking the
permission 403.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

__all__ = ["Access", "CurrentUser", "anyone", "requires", "route_access", "signed_in", "staff"]


class CurrentUser(msgspec.Struct, frozen=True, kw_only=True):
    """The signed-in user of a request, with what their roles allow."""

    id: int
    kind: str
    display_name: str
    username: str | None = None
    phone: str | None = None
    street: int | None = None
    community: int | None = None
    roles: frozenset[str] = frozenset()
    district_roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    departments: frozenset[int] = frozenset()
    department_permissions: dict[int, frozenset[str]] = {}
    session_id: int = 0

    @property
    def is_staff(self) -> bool:
        """Staff sign in with a password and work in the desk."""
        return self.kind == "staff"

    def holds(self, role: str) -> bool:
        """Whether the user holds a role district-wide (not only within a department); admins hold every role."""
        return role in self.district_roles or "admin" in self.district_roles

    def can(self, permission: str) -> bool:
        """Whether a role the user holds district-wide grants this permission."""
        return permission in self.permissions

    def can_in(self, permission: str, department: int | None) -> bool:
        """Whether the user may do this for one department (district-wide, or through a role held there)."""
        return self.can(permission) or permission in self.department_permissions.get(department or 0, ())

    def departments_with(self, permission: str) -> frozenset[int]:
        """The departments in which a role of the user grants this permission."""
        return frozenset(d for d, granted in self.department_permissions.items() if permission in granted)


class Access:
    """A guard that records who may call a route; ``permission`` is empty for the open levels."""

    def __init__(self, level: str, permission: str = "", in_department: bool = False) -> None:
        self.level = level
        self.permission = permission
        self.in_department = in_department

    def __repr__(self) -> str:
        return f"requires({self.permission!r})" if self.permission else self.level

    async def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        """Let the request through, or refuse it with 401 or 403."""
        # A coroutine on purpose: litestar sends a plain function guard to a thread, on every request.
        if self.level == "anyone":
            return
        user: CurrentUser | None = connection.scope.get("user")
        if user is None:
            raise NotAuthorizedException("Please sign in first")
        if self.level == "staff" and not user.is_staff:
            raise PermissionDeniedException("This page is for staff only")
        if self.permission and not (
            user.can(self.permission) or (self.in_department and user.departments_with(self.permission))
        ):
            raise PermissionDeniedException("You do not have permission to do this")


anyone = Access("anyone")
signed_in = Access("signed_in")
staff = Access("staff")


def requires(permission: str, *, in_department: bool = False) -> Access:
    """A guard admitting users whose district-wide roles grant ``permission``.

    With ``in_department=True`` a role held within some department also admits the caller; the handler
    must then limit the work to ``user.departments_with(permission)`` (a department sees only its own).
    """
    return Access("permission", permission, in_department)


def route_access(handler: BaseRouteHandler) -> list[Access]:
    """The Access guards a route handler carries (through its own, its controller's and router's guards)."""
    return [g for layer in handler.ownership_layers for g in (layer.guards or ()) if isinstance(g, Access)]
