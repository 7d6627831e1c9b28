from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus.db import create_index

ID = "2026-11-26T07:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index: a reader's inbox in the order it is paged (newest first)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)
    manager.add_raw(create_index("notifications_notification", ["district", "user", "created_at", "id"]))
    return manager
