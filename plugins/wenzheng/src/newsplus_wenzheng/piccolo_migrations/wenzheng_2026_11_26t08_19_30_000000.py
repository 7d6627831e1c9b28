from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus import create_index

ID = "2026-11-26T08:19:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "index: an inquiry's photos"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wenzheng", description=DESCRIPTION)
    manager.add_raw(create_index("wenzheng_photo", ["inquiry", "id"]))
    return manager
