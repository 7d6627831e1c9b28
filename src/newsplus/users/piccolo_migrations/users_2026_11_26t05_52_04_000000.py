from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus.db import create_index

ID = "2026-11-26T05:52:04:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes: one tag per user once, users by tag and place, one code per number and interval"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="users", description=DESCRIPTION)
    for step in (
        create_index("users_tag", ["user", "tag"], unique=True),
        create_index("users_verification_code", ["slot"], unique=True),
        create_index("users_tag", ["district", "tag"]),
        create_index("users_user", ["district", "street"]),
        create_index("users_user", ["district", "community"]),
    ):
        manager.add_raw(step)
    return manager
