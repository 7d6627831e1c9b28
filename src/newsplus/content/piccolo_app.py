"""The content piccolo app."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from newsplus.content.tables import (
    Article,
    ArticleTag,
    Channel,
    Comment,
    ContentVersion,
    DailyReach,
    Distribution,
    Follow,
    Media,
    Pin,
    PlanningItem,
    Reaction,
    Revision,
    Topic,
    TopicItem,
    Transition,
)

APP_CONFIG = AppConfig(
    app_name="content",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Channel,
        Media,
        Article,
        ArticleTag,
        Revision,
        Transition,
        Topic,
        TopicItem,
        Pin,
        PlanningItem,
        Reaction,
        Comment,
        Follow,
        DailyReach,
        Distribution,
        ContentVersion,
    ],
    migration_dependencies=["newsplus.users.piccolo_app"],
)
