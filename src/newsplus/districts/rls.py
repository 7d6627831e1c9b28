"""PostgreSQL row-level security: the second wall behind DistrictTable's query scoping.

Every pooled connection is told the current district (``newsplus.district``) when it is handed out, and
every district-owned table gets a policy that shows and accepts only that district's rows. Inside
``all_districts()`` (and for migrations) the setting is ``all``. PostgreSQL exempts superusers from
row-level security, so a deployment connects as an ordinary role for the wall to hold.
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
    district = "all" if value is None or value is ALL_DISTRICTS else str(value.id)
    await connection.execute(f"SELECT set_config('{SETTING}', $1, false)", district)


def _policy_sql(table: str, column: str) -> list[str]:
    setting = f"current_setting('{SETTING}', true)"
    rule = f"CASE WHEN coalesce({setting}, '') IN ('', 'all') THEN true ELSE {column} = {setting}::integer END"
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS newsplus_district ON "{table}"',
        f'CREATE POLICY newsplus_district ON "{table}" USING ({rule}) WITH CHECK ({rule})',
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
    """Create (or refresh) the district policy on every district-owned table; idempotent."""
    for table in district_tables(registry):
        column = table.district._meta.db_column_name
        for statement in _policy_sql(table._meta.tablename, column):
            await engine._run_in_new_connection(statement)
