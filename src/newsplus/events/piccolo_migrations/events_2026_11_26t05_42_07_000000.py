from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus.db import create_index

ID = "2026-11-26T05:42:07:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes: due deliveries, one run per job slot, events by district"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    for step in (
        create_index("events_delivery", ["status", "next_attempt_at"]),
        create_index("events_delivery", ["district", "status", "id"]),
        create_index("events_job_run", ["job", "slot"], unique=True),
        create_index("events_event", ["district", "name", "id"]),
    ):
        manager.add_raw(step)
    return manager
