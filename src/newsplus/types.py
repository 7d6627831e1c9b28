"""Plain value types that hooks return: permissions, roles, tiles, menu items, plugin metadata."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

import msgspec

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = ["DemoData", "HomeTile", "MenuItem", "Permission", "Role"]


class Permission(msgspec.Struct, frozen=True, kw_only=True):
    """Something a role may do, named ``<plugin>.<verb>`` (``wenzheng.dispatch``)."""

    name: str
    label: str
    description: str = ""


class Role(msgspec.Struct, frozen=True, kw_only=True):
    """A named set of permissions. Roles of the same name from several plugins are merged."""

    name: str
    label: str = ""
    permissions: tuple[str, ...] = ()
    staff: bool = True


class HomeTile(msgspec.Struct, frozen=True, kw_only=True):
    """A tile on the H5 home page (a life service, the 问政 board, an activity)."""

    title: str
    url: str
    icon: str = ""
    summary: str = ""
    order: int = 100


class MenuItem(msgspec.Struct, frozen=True, kw_only=True):
    """An entry in a navigation menu: ``area`` is ``h5`` (residents' tab bar) or ``desk`` (staff sidebar)."""

    label: str
    url: str
    area: Literal["h5", "desk"] = "desk"
    icon: str = ""
    order: int = 100
    permission: str = ""


DemoData = Callable[["Newsplus"], Awaitable[Any]]
"""A coroutine function that writes a plugin's demo data for the current district."""
