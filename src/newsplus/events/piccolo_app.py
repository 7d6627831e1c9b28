"""The events piccolo app."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from newsplus.events.tables import Delivery, EventRecord, JobRun

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[EventRecord, Delivery, JobRun],
    migration_dependencies=["newsplus.districts.piccolo_app"],
)
