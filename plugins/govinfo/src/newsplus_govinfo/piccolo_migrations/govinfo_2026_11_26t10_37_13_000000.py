from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus import create_index

ID = "2026-11-26T10:37:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes: one notice per article and per import key, filters, interpretations, one subscription each"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="govinfo", description=DESCRIPTION)
    for step in (
        create_index("govinfo_notice", ["article"], unique=True),
        create_index("govinfo_notice", ["district", "source_key"], unique=True),
        create_index("govinfo_notice", ["district", "department", "article"]),
        create_index("govinfo_notice", ["district", "category", "article"]),
        create_index("govinfo_notice", ["district", "level", "article"]),
        create_index("govinfo_explains", ["interpretation", "notice"], unique=True),
        create_index("govinfo_explains", ["notice"]),
        create_index("govinfo_subscription", ["district", "user", "kind", "value"], unique=True),
        create_index("govinfo_subscription", ["district", "kind", "value"]),
        create_index("govinfo_import_run", ["district", "id"]),
    ):
        manager.add_raw(step)
    return manager
