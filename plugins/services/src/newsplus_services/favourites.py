"""My services (我的服务): the modules a resident keeps at hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsplus import now
from newsplus_services import registry
from newsplus_services.tables import Favourite

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus
    from newsplus_services.modules import ServiceModule


async def keep(newsplus: Newsplus, user: CurrentUser, slug: str) -> None:
    """Add a module to the resident's services (again is no change)."""
    registry.module(newsplus, slug)
    await Favourite.insert(Favourite(user=user.id, module=slug, created_at=now())).on_conflict(action="DO NOTHING")


async def drop(user: CurrentUser, slug: str) -> None:
    """Remove a module from the resident's services."""
    await Favourite.delete().where((Favourite.user == user.id) & (Favourite.module == slug))


async def kept(newsplus: Newsplus, user: CurrentUser | None) -> list[ServiceModule]:
    """The resident's services that are still offered, the most recently kept first."""
    if user is None:
        return []
    rows = (
        await Favourite.select(Favourite.module)
        .where(Favourite.user == user.id)
        .order_by(Favourite.id, ascending=False)
    )
    offered = registry.modules(newsplus)
    return [offered[r["module"]] for r in rows if r["module"] in offered]
