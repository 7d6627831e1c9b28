from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus import create_index

ID = "2026-12-07T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index: open inquiries not yet escalated, so the deadline job does not read every past deadline"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wenzheng", description=DESCRIPTION)
    manager.add_raw(
        create_index(
            "wenzheng_inquiry",
            ["district", "handle_due_at"],
            where="status IN ('dispatched', 'signed', 'in_progress') AND escalated_at IS NULL",
            name="wenzheng_inquiry_unescalated_idx",
        )
    )
    return manager
