"""The districts core plugin: the district table, host resolution and the request scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsplus.districts.directory import sync_districts
from newsplus.districts.middleware import DistrictMiddleware
from newsplus.hookspecs import hookimpl

if TYPE_CHECKING:
    from litestar.config.app import AppConfig

    from newsplus.runtime import Newsplus

name = "districts"


@hookimpl
def register_piccolo_apps() -> list[str]:
    """The districts app holds the district table."""
    return ["newsplus.districts.piccolo_app"]


@hookimpl
def configure_app(app_config: AppConfig, newsplus: Newsplus) -> None:
    """Resolve the district before anything else looks at the request."""
    app_config.middleware.insert(0, DistrictMiddleware())


@hookimpl
def startup(newsplus: Newsplus):
    """Write the configured districts and load the host directory."""
    return _start(newsplus)


async def _start(newsplus: Newsplus) -> None:
    await sync_districts(newsplus.settings)
    await newsplus.districts.load()
