"""PostgreSQL row-level security: the second wall behind DistrictTable's query scoping.

Every pooled connection is told the current district (``newsplus.district``) when it is handed out to a
task of another district than the one it last worked for (the setting survives its return to the pool), and
every district-owned table gets a policy that shows and accepts only that district's rows. Inside
``all_districts()`` the setting is ``all``; outside any scope it is ``none``, and a connection that never
set it sees nothing. PostgreSQL exempts superusers from row-level security, so a deployment connects as
an ordinary role for the wall to hold.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from newsplus.districts.scope import ALL_DISTRICTS, DistrictTable, _current

SETTING = "newsplus.district"


class DistrictConnection(asyncpg.Connection):
    """A pooled PostgreSQL connection that remembers the district it last told the server."""

    __slots__ = ("_district",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._district: str | None = None

    async def work_for(self, district: str) -> None:
        """Tell the server the district this connection now works for, unless it already knows."""
        if self._district == district:
            return
        self._district = None  # unknown until the server has answered: a cancelled call must not be trusted
        await self.execute(f"SELECT set_config('{SETTING}', $1, false)", district)
        self._district = district


async def set_connection_district(connection: Any) -> None:
    """asyncpg pool ``setup``: tell the connection which district the acquiring task works for."""
    value = _current.get()
    district = "none" if value is None else "all" if value is ALL_DISTRICTS else str(value.id)
    await connection.work_for(district)


async def keep_session(connection: Any) -> None:
    """asyncpg pool ``reset``: keep the session as it is when a connection goes back to the pool.

    asyncpg has already rolled back any open transaction. Its default reset would also run ``RESET ALL``
    (forgetting the district), ``CLOSE ALL``, ``UNLISTEN *`` and ``pg_advisory_unlock_all()``: a second
    round trip on every query, and a third to tell the district again. newsplus keeps no other session
    state on pooled connections; code that needs session state (an advisory lock, LISTEN) opens its own.
    """


def pool_options() -> dict[str, Any]:
    """What asyncpg's ``create_pool`` needs so every pooled connection works for the acquiring district."""
    return {"connection_class": DistrictConnection, "setup": set_connection_district, "reset": keep_session}


POLICY = "newsplus_district_v2"  # a new name whenever the rule changes, so start-up can tell it is current


def _policy_sql(table: str, column: str) -> list[str]:
    setting = f"current_setting('{SETTING}', true)"
    rule = (
        f"CASE WHEN {setting} = 'all' THEN true "
        f"WHEN coalesce({setting}, '') IN ('', 'none') THEN false "
        f"ELSE {column} = {setting}::integer END"
    )
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS newsplus_district ON "{table}"',
        f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
        f'CREATE POLICY {POLICY} ON "{table}" USING ({rule}) WITH CHECK ({rule})',
    ]


def district_tables(registry: AppRegistry) -> list[type[DistrictTable]]:
    """Every district-owned table of the registry's apps."""
    return [
        table
        for app in registry.app_configs.values()
        for table in app.table_classes
        if issubclass(table, DistrictTable)
    ]


async def apply_row_level_security(engine: Engine, registry: AppRegistry) -> None:
    """Put the district policy on every district-owned table that lacks the current one, in one transaction."""
    tables = {t._meta.tablename: t for t in district_tables(registry)}
    rows = await engine._run_in_new_connection(
        "SELECT tablename FROM pg_policies WHERE policyname = $1 AND schemaname = current_schema()", [POLICY]
    )
    missing = sorted(set(tables) - {r["tablename"] for r in rows or []})
    if not missing:
        return
    async with engine.transaction():
        for name in missing:
            for statement in _policy_sql(name, tables[name].district._meta.db_column_name):
                await engine.run_ddl(statement)
