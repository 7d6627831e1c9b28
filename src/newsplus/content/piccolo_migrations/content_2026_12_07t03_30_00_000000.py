from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus.db import create_index

ID = "2026-12-07T03:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes: the desk's article lists of unpublished articles and of one author's, newest first"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="content", description=DESCRIPTION)
    for step in (
        # Not on status for every article: feed and search queries (status = 'published', newest by
        # published_at) would take it and sort a million rows.
        create_index(
            "content_article", ["district", "id"], where="status <> 'published'", name="content_article_unpublished_idx"
        ),
        create_index("content_article", ["district", "author", "id"]),
    ):
        manager.add_raw(step)
    return manager
