"""Settings of the life-services plugin: ``[plugins.services]``."""

from __future__ import annotations

from typing import Any

import msgspec


class ServicesSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Which modules a district offers, its own wording for them, and the days its service halls close."""

    enabled: tuple[str, ...] = ()
    """Module slugs to offer; empty offers every registered module (less ``disabled``)."""
    disabled: tuple[str, ...] = ()
    """Module slugs not offered (their pages and forms answer 404)."""
    overrides: dict[str, dict[str, Any]] = {}
    """Module slug → fields replaced in its definition, e.g. ``[plugins.services.overrides.marriage]``
    ``department = "区民政局婚姻登记处"``; checked against the module definition at start-up."""
    holidays: tuple[str, ...] = ()
    """Dates (YYYY-MM-DD) when no resource takes bookings."""
    remind_hours: int = 24
    """How long before a booking its resident is reminded."""
    max_file_mb: int = 10
    """The largest file a form takes, in MB."""
