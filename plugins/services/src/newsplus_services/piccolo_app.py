"""The life-services piccolo app."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from newsplus_services.tables import Application, ApplicationFile, ApplicationStep, Booking, Favourite, Slot

APP_CONFIG = AppConfig(
    app_name="services",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Application, ApplicationStep, ApplicationFile, Slot, Booking, Favourite],
    migration_dependencies=["newsplus.users.piccolo_app"],
)
