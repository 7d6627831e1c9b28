"""The district table: one row per district hosted by this deployment, keyed by host name."""

from piccolo.columns import Boolean, Text, Timestamptz, Varchar
from piccolo.table import Table


class District(Table, tablename="districts_district"):
    """A district (区/县) with its own app: its slug, name and the host names it answers on."""

    slug = Varchar(length=64, unique=True, null=False)
    name = Varchar(length=200, null=False)
    hosts = Text(default="", null=False)
    is_primary = Boolean(default=False, null=False)
    created_at = Timestamptz()
