"""Settings of the events plugin: ``[plugins.events]``."""

import msgspec


class EventsSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Whether this process delivers events and runs jobs in the background, how often it looks, and how
    long delivered events and finished job runs are kept."""

    background: bool = True
    poll_seconds: float = 1.0
    tick_seconds: float = 15.0
    max_attempts: int = 10
    keep_days: int = 30
