from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus import create_index

ID = "2026-12-07T03:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index: open inquiries by id, so the overdue and escalated lists do not sort every past deadline"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wenzheng", description=DESCRIPTION)
    manager.add_raw(
        create_index(
            "wenzheng_inquiry",
            ["district", "id"],
            where="status IN ('dispatched', 'signed', 'in_progress')",
            name="wenzheng_inquiry_open_idx",
        )
    )
    return manager
