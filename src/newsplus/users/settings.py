"""Settings of the users plugin: ``[plugins.users]``."""

import msgspec


class UsersSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How long sessions and login codes last, and how often codes may be sent."""

    resident_session_days: int = 30
    staff_session_hours: int = 12
    code_length: int = 6
    code_ttl_seconds: int = 300
    code_interval_seconds: int = 60
    codes_per_day: int = 10

    def __post_init__(self) -> None:
        if not 4 <= self.code_length <= 8:
            raise ValueError("code_length must be between 4 and 8")
