"""The plugin manager: core defaults first, then the plugins a deployment enables by name.

A plugin is a module of ``@hookimpl`` functions. It may declare, as module attributes, ``depends`` (names of
plugins it needs) and ``requires_newsplus`` (a version specifier such as ``">=0.1,<0.2"``).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from newsplus import hookspecs
from newsplus.version import __version__

__all__ = [
    "DEFAULT_PLUGINS",
    "PluginError",
    "import_plugin_modules",
    "installed_plugins",
    "make_plugin_manager",
    "maybe_await",
    "plugin_name",
]

ENTRY_POINT_GROUP = "newsplus"

DEFAULT_PLUGINS: dict[str, str] = {
    "districts": "newsplus.districts.plugin",
    "events": "newsplus.events.plugin",
    "users": "newsplus.users.plugin",
    "web": "newsplus.web.plugin",
    "notifications": "newsplus.notifications.plugin",
    "content": "newsplus.content.plugin",
}

logger = logging.getLogger("newsplus.plugins")


class PluginError(Exception):
    """A plugin that cannot be loaded: unknown, incompatible, or missing what it depends on."""


async def maybe_await(value: Any) -> Any:
    """Await a hook result when it is awaitable (hooks may return coroutines)."""
    return await value if inspect.isawaitable(value) else value


def installed_plugins() -> dict[str, Any]:
    """Map each installed plugin name to its entry point (group ``newsplus``)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def plugin_name(plugin: Any) -> str:
    """The name a plugin module or object is registered under."""
    return getattr(plugin, "name", None) or getattr(plugin, "__name__", type(plugin).__name__)


def _check_version(name: str, plugin: Any) -> None:
    spec = getattr(plugin, "requires_newsplus", None)
    if not spec:
        return
    try:
        ok = __version__ in SpecifierSet(spec)
    except InvalidSpecifier:
        raise PluginError(f"plugin {name!r} declares an invalid requires_newsplus {spec!r}") from None
    if not ok:
        raise PluginError(f"plugin {name!r} needs newsplus {spec}, but newsplus {__version__} is installed")


def _load(names: Sequence[Any]) -> dict[str, Any]:
    available = installed_plugins()
    loaded: dict[str, Any] = {}
    for item in names:
        if not isinstance(item, str):
            loaded[plugin_name(item)] = item
            continue
        if item in DEFAULT_PLUGINS:
            raise PluginError(f"plugin {item!r} is part of the core and always enabled; remove it from plugins")
        if item not in available:
            known = ", ".join(sorted(available)) or "none"
            raise PluginError(f"unknown plugin {item!r} in plugins; installed plugins: {known}")
        try:
            module = available[item].load()
        except Exception as exc:  # noqa: BLE001 - any import failure is reported as one sentence
            raise PluginError(f"plugin {item!r} failed to import: {exc}") from exc
        if isinstance(module, ModuleType) and not hasattr(module, "name"):
            module.name = item
        loaded[item] = module
    return loaded


def _in_dependency_order(plugins: dict[str, Any], always: Iterable[str]) -> list[tuple[str, Any]]:
    present = set(plugins) | set(always)
    ordered: list[tuple[str, Any]] = []
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise PluginError(f"plugin {name!r} depends on itself through its dependencies")
        visiting.add(name)
        for dep in getattr(plugins[name], "depends", ()):
            if dep not in present:
                raise PluginError(f"plugin {name!r} needs plugin {dep!r}; add {dep!r} to plugins in newsplus.toml")
            if dep in plugins:
                visit(dep)
        visiting.discard(name)
        done.add(name)
        ordered.append((name, plugins[name]))

    for name in plugins:
        visit(name)
    return ordered


def import_plugin_modules(paths: Sequence[str], search_path: str | None = None) -> list[ModuleType]:
    """Import a deployment's own plugin modules (``[plugins] modules``), looked up beside the settings file."""
    if search_path and search_path not in sys.path:
        sys.path.insert(0, search_path)
    modules = []
    for path in paths:
        try:
            module = importlib.import_module(path)
        except ImportError as exc:
            raise PluginError(f"plugin module {path!r} in plugins.modules cannot be imported: {exc}") from None
        if not hasattr(module, "name"):
            raise PluginError(f'plugin module {path!r} needs a module-level name = "<plugin name>"')
        modules.append(module)
    return modules


def make_plugin_manager(enabled: Sequence[Any] = ()) -> pluggy.PluginManager:
    """A fresh plugin manager: the core defaults, then the enabled plugins in dependency order."""
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    for name, path in DEFAULT_PLUGINS.items():
        pm.register(importlib.import_module(path), name=name)
    extra = _load(enabled)
    for name, plugin in _in_dependency_order(extra, DEFAULT_PLUGINS):
        _check_version(name, plugin)
        if pm.has_plugin(name):
            raise PluginError(f"plugin {name!r} is enabled twice")
        pm.register(plugin, name=name)
    pm.hook.addhooks.call_historic(kwargs={"pluginmanager": pm})
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"{exc}") from None
    if os.environ.get("NEWSPLUS_TRACE_PLUGINS") == "1":
        pm.trace.root.setwriter(lambda message: sys.stderr.write(f"newsplus hook: {message.lstrip()}"))
        pm.enable_tracing()
    return pm
