"""PostgreSQL row-level security: the second wall behind DistrictTable's query scoping.

Every pooled connection is told the current district (``newsplus.district``) when it is handed out, and
every district-owned table gets a policy that shows and accepts only that district's rows. Inside
``all_districts()`` the setting is ``all``; outside any scope it is ``none``, and a connection that never
set it sees nothing. PostgreSQL exempts superusers from row-level security, so a deployment connects as
an ordinary role for the wall to hold.
"""

from __future__ import annotations

from typing import Any

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from newsplus.districts.scope import ALL_DISTRICTS, DistrictTable, _current

SETTING = "newsplus.district"


async def set_connection_district(connection: Any) -> None:
    """asyncpg pool ``setup``: tell the connection which district the acquiring task works for."""
    value = _current.get()
    district = "none" if value is None else "all" if value is ALL_DISTRICTS else str(value.id)
    await connection.execute(f"SELECT set_config('{SETTING}', $1, false)", district)


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
