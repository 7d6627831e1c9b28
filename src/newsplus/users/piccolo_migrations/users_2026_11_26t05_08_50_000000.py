from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus.db import create_index

ID = "2026-11-26T05:08:50:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes: uniqueness per district, grant lookups, code throttling"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="users", description=DESCRIPTION)
    for step in (
        create_index("users_department", ["district", "coalesce(parent, 0)", "name"], unique=True),
        create_index("users_user", ["district", "username"], unique=True),
        create_index("users_user", ["district", "phone"], unique=True),
        create_index("users_grant", ["user", "role", "coalesce(department, 0)"], unique=True),
        create_index("users_grant", ["district", "department", "role"]),
        create_index("users_verification_code", ["district", "phone", "created_at"]),
    ):
        manager.add_raw(step)
    return manager
