"""The 问政 piccolo app."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from newsplus_wenzheng.tables import CallbackReceipt, Inquiry, Photo, ReplyTemplate, RoutingRule, Step

APP_CONFIG = AppConfig(
    app_name="wenzheng",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Inquiry, Step, Photo, RoutingRule, ReplyTemplate, CallbackReceipt],
    migration_dependencies=["newsplus.users.piccolo_app"],
)
