"""The 问政 plugin's own hook, added through ``addhooks``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsplus import hookspec

if TYPE_CHECKING:
    from newsplus import Newsplus
    from newsplus_wenzheng.targets import DispatchTarget


@hookspec
def wenzheng_register_dispatch_targets(newsplus: Newsplus) -> list[DispatchTarget]:
    """Return places inquiries can be dispatched to besides the desk (a district's handling platform …)."""
