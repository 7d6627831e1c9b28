"""The notifications core plugin: the development SMS channel (the inbox and events come with it later)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsplus.hookspecs import hookimpl
from newsplus.notifications.channels import Channel, LogSMSChannel

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

name = "notifications"


@hookimpl(trylast=True)
def register_notification_channels(newsplus: Newsplus) -> list[Channel]:
    """The log SMS channel, last in line so a real provider registered by a plugin goes first."""
    return [LogSMSChannel()]
