from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus.db import create_index

ID = "2026-12-07T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index: articles waiting to go live, so the scheduler does not read the whole archive"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="content", description=DESCRIPTION)
    manager.add_raw(
        create_index(
            "content_article",
            ["district", "published_at"],
            where="status = 'scheduled'",
            name="content_article_due_idx",
        )
    )
    return manager
