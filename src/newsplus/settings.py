"""Settings: ``newsplus.toml`` decoded into msgspec Structs, with ``NEWSPLUS_*`` environment overrides.

The file has a ``[site]`` table, a ``[database]`` table, the enabled plugins and one ``[plugins.<name>]``
table per plugin. TOML cannot hold both ``plugins = [...]`` and ``[plugins.<name>]``, so the enabled list
may be written either way::

    plugins = ["wenzheng", "services"]          # when no plugin needs settings

    [plugins]                                     # when some do
    enabled = ["wenzheng", "services"]
    modules = ["changping_local.plugin"]          # a deployment's own plugin modules (not installed)
    [plugins.wenzheng]
    response_days = 2
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

import msgspec

__all__ = [
    "DatabaseSettings",
    "DistrictSettings",
    "Settings",
    "SettingsError",
    "SiteSettings",
    "load_settings",
    "require_secret",
    "settings_from_dict",
]

ENV_PREFIX = "NEWSPLUS_"


class SettingsError(Exception):
    """A settings file or value that cannot be used; the message names the key and what was expected."""


class SiteSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the site is called, where it lives and how it speaks."""

    name: str = "newsplus"
    """The app's name, shown in every page's title bar (北京昌平)."""
    district: str = "default"
    """The slug of the site's own district."""
    district_name: str = ""
    """The district's name (昌平区)."""
    timezone: str = "Asia/Shanghai"
    """Where times are shown and days begin (storage is UTC)."""
    languages: tuple[str, ...] = ("zh-CN", "en")
    """Languages offered, the first the default."""
    base_url: str = "http://127.0.0.1:8000"
    """The public address, used in links that leave the app (feeds, e-mails, QR codes, calendars)."""
    secret: str = ""
    """Signs sessions, cursors and webhooks; required outside debug (or NEWSPLUS_SITE__SECRET)."""
    templates: str = ""
    """A folder of templates that override any plugin's or the core's (same relative path)."""
    static: str = ""
    """A folder of static files served under /static/ before the plugins' and the core's (a logo, colours)."""
    media: str = "media"
    """Where uploads are stored (outside the code tree), per district."""
    debug: bool = False
    """Tracebacks in error pages and a generated secret; never in production."""
    secure_cookies: bool = False
    """Mark cookies Secure (set it behind HTTPS)."""


class DatabaseSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where the data lives: ``sqlite:///path`` (the default) or ``postgresql://…``."""

    url: str = "sqlite:///newsplus.sqlite3"
    """``sqlite:///path`` (from the settings file's folder) or ``postgresql://user@host/db``."""
    pool_min: int = 1
    """PostgreSQL: connections kept open per worker."""
    pool_max: int = 10
    """PostgreSQL: connections at most per worker."""
    auto_migrate: bool = False
    """Apply pending migrations at start-up (the demo and tests); deployments run ``newsplus migrate``."""


class DistrictSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One more district hosted by this deployment (the site's own district needs no entry)."""

    slug: str
    """The district's slug (its data is kept apart by it)."""
    name: str
    """Its name (延庆区)."""
    hosts: tuple[str, ...] = ()
    """Host names that serve it (yanqing.example.cn); ``<slug>.localhost`` works in development."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """The whole configuration of one deployment."""

    site: SiteSettings = SiteSettings()
    database: DatabaseSettings = DatabaseSettings()
    plugins: tuple[str, ...] = ()
    plugin_modules: tuple[str, ...] = ()
    plugin_settings: dict[str, dict[str, Any]] = {}
    districts: tuple[DistrictSettings, ...] = ()
    root: str = "."
    generated_secret: bool = False

    @property
    def root_path(self) -> Path:
        """The folder the settings file is in; relative paths in settings are taken from here."""
        return Path(self.root)

    def path(self, value: str) -> Path:
        """Resolve a path from the settings against the settings file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.root_path / p


def _split_plugins(raw: dict[str, Any]) -> tuple[list[str], list[str], dict[str, dict[str, Any]]]:
    plugins = raw.pop("plugins", [])
    if isinstance(plugins, list):
        return plugins, [], {}
    if not isinstance(plugins, dict):
        raise SettingsError("plugins: expected a list of plugin names or a [plugins] table")
    table = dict(plugins)
    enabled = table.pop("enabled", [])
    modules = table.pop("modules", [])
    if not isinstance(enabled, list):
        raise SettingsError("plugins.enabled: expected a list of plugin names")
    if not isinstance(modules, list):
        raise SettingsError("plugins.modules: expected a list of module import paths")
    for name, value in table.items():
        if not isinstance(value, dict):
            raise SettingsError(f"plugins.{name}: expected a table of settings for plugin {name!r}")
    return enabled, modules, table


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """``NEWSPLUS_SITE__NAME=x`` sets ``site.name``; ``NEWSPLUS_DATABASE_URL`` is a short form for the URL."""
    found: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX) or key in {"NEWSPLUS_CONFIG", "NEWSPLUS_TRACE_PLUGINS"}:
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name == "database_url":
            name = "database__url"
        if "__" not in name:
            continue
        parts = name.split("__")
        target = found
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return found


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def settings_from_dict(
    raw: dict[str, Any], *, root: str | Path = ".", environ: dict[str, str] | None = None
) -> Settings:
    """Build Settings from a decoded TOML document, applying environment overrides."""
    raw = dict(raw)
    env = _env_overrides(dict(os.environ if environ is None else environ))
    enabled, modules, plugin_tables = _split_plugins(raw)
    if "plugins" in env:
        env_plugins = env.pop("plugins")
        for name, table in env_plugins.items():
            plugin_tables[name] = _merge(plugin_tables.get(name, {}), table)
    raw = _merge(raw, env)
    unknown = set(raw) - {"site", "database", "districts"}
    if unknown:
        raise SettingsError(
            f"unknown settings table {sorted(unknown)[0]!r}; expected site, database, plugins, districts"
        )
    site = _convert(raw.get("site", {}), SiteSettings, "site")
    database = _convert(raw.get("database", {}), DatabaseSettings, "database")
    districts = _convert(raw.get("districts", []), tuple[DistrictSettings, ...], "districts")
    plugins = _convert(enabled, tuple[str, ...], "plugins.enabled")
    plugin_modules = _convert(modules, tuple[str, ...], "plugins.modules")
    generated = not site.secret
    if generated:
        # A one-process development secret; `newsplus serve` refuses to run on one outside debug mode.
        site = msgspec.structs.replace(site, secret=secrets.token_urlsafe(32))
    if not site.district_name:
        site = msgspec.structs.replace(site, district_name=site.district)
    return Settings(
        site=site,
        database=database,
        plugins=plugins,
        plugin_modules=plugin_modules,
        plugin_settings=plugin_tables,
        districts=districts,
        root=str(root),
        generated_secret=generated,
    )


def _explain(exc: msgspec.ValidationError, prefix: str = "") -> str:
    # msgspec says "Expected `int`, got `str` - at `$.site.port`"; name the TOML key instead.
    message, found, where = str(exc).partition(" - at `$")
    path = where.rstrip("`").lstrip(".") if found else ""
    key = prefix + ("." if prefix and path and not path.startswith("[") else "") + path
    return f"{key}: {message}" if key else message


def load_settings(path: str | Path | None = None, *, environ: dict[str, str] | None = None) -> Settings:
    """Read newsplus.toml (or the file named by NEWSPLUS_CONFIG) into Settings."""
    environ = dict(os.environ if environ is None else environ)
    path = Path(path or environ.get("NEWSPLUS_CONFIG") or "newsplus.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"settings file {str(path)!r} not found") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: invalid TOML: {exc}") from None
    return settings_from_dict(raw, root=path.resolve().parent, environ=environ)


def require_secret(settings: Settings) -> None:
    """Refuse to serve without a configured secret (each worker would invent its own) unless in debug mode."""
    if settings.generated_secret and not settings.site.debug:
        raise SettingsError(
            "site.secret is not set: put a long random string in newsplus.toml or NEWSPLUS_SITE__SECRET "
            "(every worker must share it), or set site.debug = true for development"
        )


def _convert(raw: Any, struct_type: Any, key: str) -> Any:
    try:
        return msgspec.convert(raw, struct_type, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_explain(exc, prefix=key)) from None


def validate_plugin_settings(name: str, struct_type: type, raw: dict[str, Any]) -> Any:
    """Convert one ``[plugins.<name>]`` table into the plugin's Struct, naming the key on error."""
    return _convert(raw, struct_type, f"plugins.{name}")
