"""The life-services plugin's own hook, added through ``addhooks``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsplus import hookspec

if TYPE_CHECKING:
    from newsplus import Newsplus
    from newsplus_services.modules import ServiceModule


@hookspec
def services_register_modules(newsplus: Newsplus) -> list[ServiceModule]:
    """Return life-service modules to offer (a district's own 回天 service, a county's farm subsidy …)."""
