"""The government-information piccolo app."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from newsplus_govinfo.tables import Explains, ImportRun, Notice, Subscription

APP_CONFIG = AppConfig(
    app_name="govinfo",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Notice, Explains, Subscription, ImportRun],
    migration_dependencies=["newsplus.users.piccolo_app", "newsplus.content.piccolo_app"],
)
