"""Settings of the events plugin: ``[plugins.events]``."""

import msgspec


class EventsSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Whether this process delivers events and runs jobs in the background, how often it looks, and how
    long delivered events and finished job runs are kept."""

    background: bool = True
    """Deliver events and run jobs in this process (turn off on workers that only serve requests)."""
    poll_seconds: float = 1.0
    """How often pending events are looked for."""
    tick_seconds: float = 15.0
    """How often due jobs are looked for."""
    max_attempts: int = 10
    """Deliveries of an event to a handler before it is given up (with growing pauses)."""
    keep_days: int = 30
    """Days delivered events and finished job runs are kept."""
