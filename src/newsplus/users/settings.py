"""Settings of the users plugin: ``[plugins.users]``."""

import msgspec


class UsersSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How long sessions and login codes last, and how often codes may be sent."""

    resident_session_days: int = 30
    """How long a resident stays signed in."""
    staff_session_hours: int = 12
    """How long a staff member stays signed in (a working day)."""
    code_length: int = 6
    """Digits in an SMS login code (4 to 8)."""
    code_ttl_seconds: int = 300
    """How long a code is valid."""
    code_interval_seconds: int = 60
    """One code per number per this many seconds, across the deployment."""
    codes_per_day: int = 10
    """Codes one number may receive a day."""

    def __post_init__(self) -> None:
        if not 4 <= self.code_length <= 8:
            raise ValueError("code_length must be between 4 and 8")
