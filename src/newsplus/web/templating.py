"""The Jinja environment: a site's templates override a plugin's, which override the core's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import jinja2

from newsplus.web.links import safe_href

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

CORE_TEMPLATES = Path(__file__).parent / "templates"


def template_folders(newsplus: Newsplus, package_dirs: list[Path]) -> list[Path]:
    """Where templates are looked up, first match wins: site, then plugins (latest first), then core."""
    folders: list[Path] = []
    if newsplus.settings.site.templates:
        folders.append(newsplus.settings.path(newsplus.settings.site.templates))
    for folder in reversed(package_dirs):
        candidate = folder / "templates"
        if candidate.is_dir() and candidate.resolve() != CORE_TEMPLATES.resolve():
            folders.append(candidate)
    folders.append(CORE_TEMPLATES)
    return folders


def build_environment(newsplus: Newsplus, package_dirs: list[Path]) -> jinja2.Environment:
    """The Jinja environment of the app; ``core:base.html`` always names the core's own template."""
    loader = jinja2.ChoiceLoader(
        [
            jinja2.PrefixLoader({"core": jinja2.FileSystemLoader(CORE_TEMPLATES)}, delimiter=":"),
            jinja2.FileSystemLoader([str(f) for f in template_folders(newsplus, package_dirs)]),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        enable_async=False,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=newsplus.settings.site.debug,
    )
    zone = ZoneInfo(newsplus.settings.site.timezone)

    def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored UTC time as the district sees it (Asia/Shanghai unless configured otherwise)."""
        if value is None:
            return "—"
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone).strftime(fmt)

    env.filters["localtime"] = localtime
    env.filters["safe_href"] = safe_href
    newsplus.hook.prepare_jinja2_environment(env=env, newsplus=newsplus)
    return env


def static_folders(newsplus: Newsplus, package_dirs: list[Path]) -> list[Path]:
    """Where /static/ files are looked up, first match wins: site, then plugins, then core."""
    folders: list[Path] = []
    if newsplus.settings.site.static:
        folders.append(newsplus.settings.path(newsplus.settings.site.static))
    folders += [d / "static" for d in reversed(package_dirs) if (d / "static").is_dir()]
    return folders
