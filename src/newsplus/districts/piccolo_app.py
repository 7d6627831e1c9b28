"""The districts piccolo app."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from newsplus.districts.tables import District

APP_CONFIG = AppConfig(
    app_name="districts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[District],
    migration_dependencies=[],
)
