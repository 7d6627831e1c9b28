"""Settings of the activities plugin: ``[plugins.activities]``."""

from __future__ import annotations

import msgspec


class ActivitiesSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Reminders before activities and what counts as a burst of votes."""

    remind_hours: int = 24
    """How long before an activity its registered residents are reminded."""
    burst_votes: int = 30
    """Votes from one address or device within ``burst_minutes`` beyond which later ones are flagged."""
    burst_minutes: int = 10
    """The window in which a burst is counted."""
    votes_per_minute: int = 20
    """Votes one address may cast per minute before it is asked to wait (429)."""
