"""``[plugins.notes]``."""

import msgspec


class NotesSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How long a note may be, and what the page is called."""

    max_length: int = 200
    title: str = "Notes"
