from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus import create_index

ID = "2026-11-26T10:10:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes: tracking numbers and tokens, queues, one slot row, one booking per resident and day"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="services", description=DESCRIPTION)
    for step in (
        create_index("services_application", ["token"], unique=True),
        create_index("services_application", ["district", "number"], unique=True),
        create_index("services_application", ["district", "user", "id"]),
        create_index("services_application", ["district", "department", "status", "id"]),
        create_index("services_application", ["district", "status", "id"]),
        create_index("services_application_step", ["application", "id"]),
        create_index("services_application_file", ["token"], unique=True),
        create_index("services_application_file", ["application"]),
        create_index("services_slot", ["district", "module", "resource", "starts_at"], unique=True),
        create_index("services_booking", ["token"], unique=True),
        create_index("services_booking", ["district", "code"], unique=True),
        create_index("services_booking", ["district", "module", "resource", "user", "hold"], unique=True),
        create_index("services_booking", ["district", "module", "resource", "starts_at"]),
        create_index("services_booking", ["district", "user", "starts_at"]),
        create_index("services_booking", ["district", "status", "starts_at"]),
        create_index("services_favourite", ["district", "user", "module"], unique=True),
    ):
        manager.add_raw(step)
    return manager
