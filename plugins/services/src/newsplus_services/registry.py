"""The modules a district offers: every registered one, with the district's overrides, less the disabled."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus import NotFound, SettingsError
from newsplus.users.tables import Department
from newsplus_services.modules import GROUPS, ServiceModule

if TYPE_CHECKING:
    from newsplus import Newsplus

RESERVED = {"mine", "applications", "bookings", "favourites", "queue", "uploads", "check-in"}
"""Paths of the plugin's own pages, which no module slug may take."""


def load(newsplus: Newsplus) -> dict[str, ServiceModule]:
    """Collect the modules from ``services_register_modules``, apply ``overrides`` and ``enabled``/``disabled``;
    a bad override or a clash of slugs stops start-up with a sentence naming it."""
    settings = newsplus.plugin_settings["services"]
    found: dict[str, ServiceModule] = {}
    for result in newsplus.hook.services_register_modules(newsplus=newsplus):
        for module in result or ():
            if module.slug in RESERVED or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", module.slug):
                raise SettingsError(
                    f"Service module slug {module.slug!r} is reserved or not lowercase letters, digits and -"
                )
            if module.slug in found:
                raise SettingsError(f"Two service modules use the slug {module.slug!r}")
            if module.group not in GROUPS:
                raise SettingsError(f"Service module {module.slug!r}: group must be one of {''.join(GROUPS)}")
            found[module.slug] = module
    for slug, changes in settings.overrides.items():
        if slug not in found:
            raise SettingsError(f"plugins.services.overrides.{slug}: no such service module")
        try:
            found[slug] = msgspec.convert({**msgspec.to_builtins(found[slug]), **changes}, ServiceModule)
        except msgspec.ValidationError as exc:
            raise SettingsError(f"plugins.services.overrides.{slug}: {exc}") from None
    offered = [m for m in found.values() if (not settings.enabled or m.slug in settings.enabled)]
    offered = [m for m in offered if m.slug not in settings.disabled]
    return {m.slug: m for m in sorted(offered, key=lambda m: (m.order, m.slug))}


def modules(newsplus: Newsplus) -> dict[str, ServiceModule]:
    """The offered modules by slug, in display order (built once per app)."""
    found = newsplus.state.get("services.modules")
    if found is None:
        found = newsplus.state["services.modules"] = load(newsplus)
    return found


def module(newsplus: Newsplus, slug: str) -> ServiceModule:
    """One offered module; a 404 naming it as not offered when it is unknown or disabled."""
    found = modules(newsplus).get(slug)
    if found is None:
        raise NotFound("This service is not offered here")
    return found


async def department_of(module: ServiceModule) -> int | None:
    """The id of the department a module's work goes to, when the district has one of that name."""
    if not module.department:
        return None
    row = await Department.select(Department.id).where(Department.name == module.department).first()
    return row["id"] if row else None


def directory(newsplus: Newsplus, *, query: str = "", group: str = "") -> list[dict[str, Any]]:
    """The directory by group (生 老 病 走 吃 穿 住 用 行): modules matching a search in name, summary or keywords."""
    query = query.strip().lower()
    groups: dict[str, list[ServiceModule]] = {}
    for item in modules(newsplus).values():
        if group and item.group != group:
            continue
        text = " ".join((item.name, item.summary, *item.keywords, *item.tags)).lower()
        if query and not all(word in text for word in query.split()):
            continue
        groups.setdefault(item.group, []).append(item)
    return [{"group": g, "label": GROUPS[g], "modules": groups[g]} for g in GROUPS if g in groups]
