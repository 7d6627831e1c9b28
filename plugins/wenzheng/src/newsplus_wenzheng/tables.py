"""Tables of the 问政 app: inquiries and their append-only history, photos, routing rules, reply templates."""

from piccolo.columns import Boolean, Float, ForeignKey, Integer, OnDelete, OnUpdate, Text, Timestamptz, Varchar

from newsplus import DistrictTable, reference
from newsplus.users.tables import Department, User


class Inquiry(DistrictTable, tablename="wenzheng_inquiry"):
    """A resident's 咨询 / 投诉 / 求助 / 建议, from intake to closing."""

    number = Varchar(length=32, null=False)
    token = Varchar(length=32, null=False)
    user = reference(User, null=True, on_delete=OnDelete.set_null)
    source = Varchar(length=20, null=False, default="app")
    kind = Varchar(length=20, null=False)
    category = Varchar(length=64, null=False)
    title = Varchar(length=200, null=False)
    body = Text(null=False)
    extra = Text(null=False, default="{}")
    street = reference(Department, null=True, on_delete=OnDelete.set_null)
    community = reference(Department, null=True, on_delete=OnDelete.set_null)
    address = Varchar(length=300, null=False, default="")
    lat = Float(null=True, default=None)
    lng = Float(null=True, default=None)
    public = Boolean(null=False, default=False)
    contact_name = Varchar(length=100, null=False, default="")
    contact_phone = Varchar(length=20, null=False, default="")
    status = Varchar(length=20, null=False, default="submitted")
    department = reference(Department, null=True, on_delete=OnDelete.set_null)
    response_due_at = Timestamptz(null=True, default=None)
    handle_due_at = Timestamptz(null=True, default=None)
    accepted_at = Timestamptz(null=True, default=None)
    replied_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    reply = Text(null=False, default="")
    rating = Varchar(length=20, null=False, default="")
    rating_comment = Text(null=False, default="")
    reopened = Integer(null=False, default=0)
    returned = Integer(null=False, default=0)
    merged_into = ForeignKey("self", null=True, on_delete=OnDelete.set_null, on_update=OnUpdate.cascade)
    flagged = Varchar(length=200, null=False, default="")
    reminded_at = Timestamptz(null=True, default=None)
    escalated_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)


class Step(DistrictTable, tablename="wenzheng_step"):
    """One thing that happened to an inquiry: never edited, never deleted (the timeline)."""

    inquiry = reference(Inquiry)
    action = Varchar(length=20, null=False)
    from_status = Varchar(length=20, null=False, default="")
    to_status = Varchar(length=20, null=False)
    actor = Integer(null=True, default=None)
    department = Integer(null=True, default=None)
    note = Text(null=False, default="")
    created_at = Timestamptz(null=False)


class Photo(DistrictTable, tablename="wenzheng_photo"):
    """A photo attached to an inquiry (stored through the core's media store, outside the library)."""

    inquiry = reference(Inquiry)
    path = Varchar(length=300, null=False)
    thumb = Varchar(length=300, null=False, default="")


class RoutingRule(DistrictTable, tablename="wenzheng_routing_rule"):
    """Category × street → the department that handles it (empty category or street: any)."""

    category = Varchar(length=64, null=False, default="")
    street = reference(Department, null=True)
    department = reference(Department)


class ReplyTemplate(DistrictTable, tablename="wenzheng_reply_template"):
    """A reusable reply (答复模板) departments start from."""

    title = Varchar(length=100, null=False)
    body = Text(null=False)
    category = Varchar(length=64, null=False, default="")


class CallbackReceipt(DistrictTable, tablename="wenzheng_callback_receipt"):
    """A platform update already applied (its event_id), so a repeated delivery changes nothing."""

    event_id = Varchar(length=100, null=False)
    created_at = Timestamptz(null=False)
