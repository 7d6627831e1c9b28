from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus.content import search
from newsplus.db import create_index

ID = "2026-11-26T07:23:26:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes: feeds by time and channel, desk queues, unique slugs and reactions; the search index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="content", description=DESCRIPTION)
    for step in (
        create_index("content_channel", ["district", "slug"], unique=True),
        create_index("content_channel", ["district", "parent", "position"]),
        create_index("content_article", ["district", "published_at", "id"]),
        create_index("content_article", ["district", "channel", "published_at", "id"]),
        create_index("content_article", ["district", "street", "published_at", "id"]),
        create_index("content_article", ["district", "status", "updated_at"]),
        create_index("content_article", ["district", "expire_at"]),
        create_index("content_article", ["district", "author", "status"]),
        create_index("content_article_tag", ["district", "tag", "article"]),
        create_index("content_article_tag", ["article", "tag"], unique=True),
        create_index("content_revision", ["article", "number"], unique=True),
        create_index("content_transition", ["article", "id"]),
        create_index("content_topic", ["district", "slug"], unique=True),
        create_index("content_topic_item", ["topic", "position"]),
        create_index("content_topic_item", ["topic", "article"], unique=True),
        create_index("content_pin", ["district", "channel", "rank"]),
        create_index("content_planning", ["district", "status", "due_on"]),
        create_index("content_reaction", ["article", "user", "kind"], unique=True),
        create_index("content_reaction", ["district", "user", "kind", "created_at"]),
        create_index("content_comment", ["district", "status", "id"]),
        create_index("content_comment", ["article", "status", "id"]),
        create_index("content_follow", ["user", "channel"], unique=True),
        create_index("content_daily_reach", ["article", "day"], unique=True),
        create_index("content_daily_reach", ["district", "day"]),
        create_index("content_distribution", ["article", "id"]),
        create_index("content_version", ["district"], unique=True),
        create_index("content_media", ["district", "id"]),
        search.create_search_index,
    ):
        manager.add_raw(step)
    return manager
