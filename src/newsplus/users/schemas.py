"""Structs of the users API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Phone = Annotated[str, msgspec.Meta(min_length=1, max_length=20, description="Mainland mobile number")]


class CodeRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Ask for a login code by SMS."""

    phone: Phone


class CodeSent(msgspec.Struct):
    """A code is on its way; it stays valid this many seconds."""

    expires_in: int


class CodeLogin(msgspec.Struct, forbid_unknown_fields=True):
    """Sign in as a resident with the code from the SMS."""

    phone: Phone
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=12)]


class PasswordLogin(msgspec.Struct, forbid_unknown_fields=True):
    """Sign in as staff."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class Me(msgspec.Struct):
    """The signed-in user as they see themselves."""

    id: int
    kind: str
    display_name: str
    username: str | None
    phone: str | None
    street: int | None
    community: int | None
    roles: list[str]
    permissions: list[str]
    departments: list[int]
    department_permissions: dict[str, list[str]]


class LoggedIn(msgspec.Struct):
    """A new session: send ``token`` as ``Authorization: Bearer <token>`` (pages sign in through /login)."""

    token: str
    token_type: Literal["bearer"]
    user: Me


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Change the name or the street/community (0 clears them)."""

    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    street: int | None = None
    community: int | None = None


class SessionOut(msgspec.Struct):
    """One live session of the user."""

    id: int
    created_at: datetime
    expires_at: datetime
    client: str
    current: bool


class DepartmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new department: 委办局 bureau, 街道 street, 社区 community (under its street)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    kind: Literal["bureau", "street", "community", "other"] = "bureau"
    parent: int | None = None
    code: Annotated[str, msgspec.Meta(max_length=64)] = ""


class Created(msgspec.Struct):
    """The id of what was created."""

    id: int


class StaffIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new staff account with roles, optionally held within one department."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=200)]
    display_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    roles: list[str] = []
    department: int | None = None


class GrantIn(msgspec.Struct, forbid_unknown_fields=True):
    """A role to give, optionally within one department."""

    role: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    department: int | None = None


class RoleOut(msgspec.Struct):
    """A role and the permissions it grants."""

    name: str
    label: str
    permissions: list[str]
