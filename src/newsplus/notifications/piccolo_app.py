"""The notifications piccolo app."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from newsplus.notifications.tables import (
    Broadcast,
    BroadcastRead,
    Contact,
    Notification,
    Popup,
    PopupAction,
    Preference,
    SendLog,
    Webhook,
)

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Notification, Broadcast, BroadcastRead, Popup, PopupAction, Preference, Contact, Webhook, SendLog],
    migration_dependencies=["newsplus.users.piccolo_app"],
)
