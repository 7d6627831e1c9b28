"""The notes table: district-owned, so every query on it is scoped."""

from piccolo.columns import ForeignKey, OnDelete, OnUpdate, Text, Timestamptz

from newsplus import DistrictTable
from newsplus.users.tables import User


class Note(DistrictTable, tablename="notes_note"):
    """A short note written by a signed-in user."""

    body = Text(null=False)
    author = ForeignKey(User, null=True, on_delete=OnDelete.set_null, on_update=OnUpdate.cascade)
    created_at = Timestamptz(null=False)
