from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus.db import create_index

ID = "2026-12-07T03:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index: staff accounts by username, so desk pages listing staff do not read every resident"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="users", description=DESCRIPTION)
    manager.add_raw(
        create_index("users_user", ["district", "username"], where="kind = 'staff'", name="users_staff_idx")
    )
    return manager
