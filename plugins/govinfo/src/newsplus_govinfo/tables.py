"""Tables of the government-information app: notices (each an article of the content app with its 文号,
level, category and department), which notices an interpretation explains, subscriptions, import runs."""

from piccolo.columns import Date, Integer, OnDelete, Text, Timestamptz, Varchar

from newsplus import DistrictTable, reference
from newsplus.content.tables import Article
from newsplus.users.tables import Department, User


class Notice(DistrictTable, tablename="govinfo_notice"):
    """A government notice or a policy interpretation (政策解读): what the filters and the directory read."""

    article = reference(Article)
    department = reference(Department, null=True, on_delete=OnDelete.set_null)
    kind = Varchar(length=20, null=False, default="notice")
    level = Varchar(length=20, null=False)
    category = Varchar(length=40, null=False)
    doc_number = Varchar(length=100, null=False, default="")
    effective_on = Date(null=True, default=None)
    expires_on = Date(null=True, default=None)
    original_url = Varchar(length=500, null=False, default="")
    attachments = Text(null=False, default="[]")
    source_key = Varchar(length=64, null=False)
    """What makes a notice the same one when imported again (its id in the export, or a digest of it)."""
    created_at = Timestamptz(null=False)


class Explains(DistrictTable, tablename="govinfo_explains"):
    """An interpretation and a notice it explains."""

    interpretation = reference(Notice)
    notice = reference(Notice)


class Subscription(DistrictTable, tablename="govinfo_subscription"):
    """A resident follows a category (社保 …) or a department."""

    user = reference(User)
    kind = Varchar(length=20, null=False)
    value = Varchar(length=60, null=False)
    created_at = Timestamptz(null=False)


class ImportRun(DistrictTable, tablename="govinfo_import_run"):
    """One bulk import: its progress while it runs, then its report (each bad row with its line and reason)."""

    user = reference(User, null=True, on_delete=OnDelete.set_null)
    filename = Varchar(length=200, null=False, default="")
    status = Varchar(length=20, null=False, default="running")
    total = Integer(null=False, default=0)
    done = Integer(null=False, default=0)
    imported = Integer(null=False, default=0)
    unchanged = Integer(null=False, default=0)
    problems = Text(null=False, default="[]")
    created_at = Timestamptz(null=False)
    finished_at = Timestamptz(null=True, default=None)
