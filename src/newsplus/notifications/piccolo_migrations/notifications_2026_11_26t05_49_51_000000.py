from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus.db import create_index

ID = "2026-11-26T05:49:51:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes: inbox pages, unread counts, broadcast reads, pop-up caps, preferences"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)
    for step in (
        create_index("notifications_notification", ["district", "user", "id"]),
        create_index("notifications_notification", ["district", "user", "read_at"]),
        create_index("notifications_notification", ["district", "external", "id"]),
        create_index("notifications_broadcast", ["district", "created_at"]),
        create_index("notifications_broadcast_read", ["broadcast", "user"], unique=True),
        create_index("notifications_broadcast_read", ["district", "user"]),
        create_index("notifications_popup", ["district", "ends_at"]),
        create_index("notifications_popup_action", ["popup", "user", "action", "day"]),
        create_index("notifications_preference", ["user", "category", "channel"], unique=True),
        create_index("notifications_webhook", ["district", "active"]),
        create_index("notifications_send_log", ["district", "id"]),
    ):
        manager.add_raw(step)
    return manager
