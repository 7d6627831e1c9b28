from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus import create_index

ID = "2026-11-26T08:08:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes: tracking numbers and tokens, my inquiries, queues by status and department, the board, rates"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wenzheng", description=DESCRIPTION)
    for step in (
        create_index("wenzheng_inquiry", ["token"], unique=True),
        create_index("wenzheng_inquiry", ["district", "number"], unique=True),
        create_index("wenzheng_inquiry", ["district", "user", "id"]),
        create_index("wenzheng_inquiry", ["district", "status", "id"]),
        create_index("wenzheng_inquiry", ["district", "department", "status", "id"]),
        create_index("wenzheng_inquiry", ["district", "public", "id"]),
        create_index("wenzheng_inquiry", ["district", "created_at"]),
        create_index("wenzheng_inquiry", ["district", "handle_due_at"]),
        create_index("wenzheng_step", ["inquiry", "id"]),
        create_index("wenzheng_routing_rule", ["district", "category", "street"]),
    ):
        manager.add_raw(step)
    return manager
