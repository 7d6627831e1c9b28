"""The users piccolo app."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from newsplus.users.tables import Department, Grant, Session, User, UserTag, VerificationCode

APP_CONFIG = AppConfig(
    app_name="users",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Department, User, Grant, Session, VerificationCode, UserTag],
    migration_dependencies=["newsplus.districts.piccolo_app"],
)
