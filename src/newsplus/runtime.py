"""The Newsplus object: one deployment's settings, plugins, registries and database, shared by every request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pluggy
from litestar.di import NamedDependency
from piccolo.engine.base import Engine

from newsplus import db
from newsplus.districts.directory import DistrictDirectory
from newsplus.districts.rls import pool_options
from newsplus.events.dispatcher import Dispatcher
from newsplus.events.jobs import Scheduler
from newsplus.events.outbox import Event, event_name
from newsplus.notifications.preferences import NotificationCategory
from newsplus.notifications.stream import StreamHub
from newsplus.plugins import import_plugin_modules, make_plugin_manager, maybe_await
from newsplus.settings import Settings, SettingsError, validate_plugin_settings
from newsplus.types import Permission, Role

__all__ = ["Newsplus", "NewsplusDep", "maybe_await"]


class Newsplus:
    """One configured deployment: what every route handler, job and command works with."""

    def __init__(self, settings: Settings, plugins: Sequence[Any] | None = None) -> None:
        self.settings = settings
        self._migrations_checked = False
        if plugins is None:
            plugins = [*settings.plugins, *import_plugin_modules(settings.plugin_modules, settings.root)]
        self.pm: pluggy.PluginManager = make_plugin_manager(plugins)
        self.hook = self.pm.hook
        self.plugin_settings: dict[str, Any] = self._validate_plugin_settings()
        self.permissions: dict[str, Permission] = {p.name: p for p in self.collect("register_permissions")}
        self.roles: dict[str, Role] = self._merge_roles(self.collect("register_roles"))
        self.piccolo_apps: list[str] = list(dict.fromkeys(self.collect("register_piccolo_apps")))
        self.engine: Engine = db.engine_from_url(settings.database.url, root=settings.root_path)
        self.registry = db.activate(self.engine, self.piccolo_apps)
        self.event_types: dict[str, type[Event]] = {event_name(t): t for t in self.collect("register_events")}
        self.dispatcher = Dispatcher(self, max_attempts=self.plugin_settings["events"].max_attempts)
        self.scheduler = Scheduler(self, self.collect("register_jobs", newsplus=self))
        self.notification_categories: dict[str, NotificationCategory] = {
            c.name: c for c in self.collect("register_notification_categories")
        }
        self.stream = StreamHub()
        self.districts = DistrictDirectory()
        self.state: dict[str, Any] = {}
        self.serving = True
        """False in commands (seed, jobs, migrate …): no background loops start, so the command's work runs alone."""

    # -- hooks -------------------------------------------------------------------------------------------

    def collect(self, hook_name: str, *, core_first: bool = True, **kwargs: Any) -> list[Any]:
        """Call a list-returning hook and flatten the results: core plugins' first, or (``core_first=False``)
        in pluggy's call order, where later plugins come first and ``trylast`` implementations last."""
        results = getattr(self.hook, hook_name)(**kwargs)
        flat: list[Any] = []
        for result in reversed(results) if core_first else results:
            if result is None:
                continue
            flat.extend(result if isinstance(result, list | tuple) else [result])
        return flat

    async def call_each(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call a hook in registration order and await each result that is awaitable."""
        return [await maybe_await(r) for r in reversed(getattr(self.hook, hook_name)(**kwargs))]

    @property
    def plugin_names(self) -> list[str]:
        """Names of every registered plugin, core defaults first."""
        return [name for name, _ in self.pm.list_name_plugin()]

    # -- registries --------------------------------------------------------------------------------------

    def _validate_plugin_settings(self) -> dict[str, Any]:
        structs: dict[str, type] = {}
        for mapping in self.collect("register_settings"):
            structs.update(mapping)
        unknown = set(self.settings.plugin_settings) - set(structs) - set(self.plugin_names)
        if unknown:
            name = sorted(unknown)[0]
            raise SettingsError(f"plugins.{name}: settings for a plugin that is not enabled")
        return {
            name: validate_plugin_settings(name, struct, self.settings.plugin_settings.get(name, {}))
            for name, struct in structs.items()
        }

    @staticmethod
    def _merge_roles(roles: list[Role]) -> dict[str, Role]:
        merged: dict[str, Role] = {}
        for role in roles:
            known = merged.get(role.name)
            if known is None:
                merged[role.name] = role
                continue
            merged[role.name] = Role(
                name=role.name,
                label=known.label or role.label,
                permissions=tuple(dict.fromkeys(known.permissions + role.permissions)),
                staff=known.staff and role.staff,
            )
        return merged

    def check_registries(self) -> None:
        """Fail when a role names a permission nobody registered."""
        for role in self.roles.values():
            for name in role.permissions:
                if name not in self.permissions:
                    raise SettingsError(f"role {role.name!r} names unknown permission {name!r}")

    def permissions_of(self, role_names: Sequence[str]) -> frozenset[str]:
        """Every permission the given roles grant; the admin role grants every permission there is."""
        if "admin" in role_names:
            return frozenset(self.permissions)
        return frozenset(p for r in role_names if r in self.roles for p in self.roles[r].permissions)

    # -- life cycle --------------------------------------------------------------------------------------

    async def open_database(self) -> None:
        """Open the connection pool on PostgreSQL (every connection learns the district it works for)."""
        database = self.settings.database
        await db.open_pool(self.engine, min_size=database.pool_min, max_size=database.pool_max, **pool_options())

    async def start(self) -> None:
        """Open the database, make sure it is migrated, then run every plugin's startup hook."""
        await self.open_database()
        await self.ensure_migrated()
        await self.call_each("startup", newsplus=self)

    async def ensure_migrated(self) -> None:
        """Migrate (with ``auto_migrate``) or refuse a database with migrations pending; once per Newsplus, so a
        one-process ``newsplus serve``, which checked before building the app, does not check again."""
        if self._migrations_checked:
            return
        if self.settings.database.auto_migrate:
            await self.migrate()  # applies every pending migration or raises
        elif pending := await db.pending_migrations(self.registry):
            raise db.DatabaseError(
                f"the database is not up to date: run `newsplus migrate` ({len(pending)} pending, first {pending[0]})"
            )
        self._migrations_checked = True

    async def stop(self) -> None:
        """Run every plugin's shutdown hook, then close the database."""
        await self.call_each("shutdown", newsplus=self)
        await db.close_pool(self.engine)

    async def migrate(self, progress: Any = None) -> list[str]:
        """Apply pending migrations of every enabled app (and the PostgreSQL row-level policies)."""
        from newsplus.districts.rls import apply_row_level_security

        async with db.migration_lock(self.engine):
            applied = await db.migrate(self.registry, progress=progress)
            if db.is_postgres(self.engine):
                await apply_row_level_security(self.engine, self.registry)
        return applied


NewsplusDep = NamedDependency[Newsplus]
"""Annotate a route handler parameter ``newsplus: NewsplusDep`` to receive the app's Newsplus."""
