"""Tables of the notifications app: inboxes, broadcasts, pop-ups, preferences, webhooks, the send log."""

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, OnUpdate, Text, Timestamptz, Varchar

from newsplus.districts.scope import DistrictTable
from newsplus.users.tables import User


def _user(**kwargs) -> ForeignKey:
    return ForeignKey(User, null=False, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, **kwargs)


class Notification(DistrictTable, tablename="notifications_notification"):
    """A message to one user, shown in their inbox; ``external`` tracks SMS/email delivery."""

    user = _user()
    title = Varchar(length=200, null=False)
    body = Text(null=False, default="")
    link = Varchar(length=500, null=False, default="")
    category = Varchar(length=64, null=False, default="system")
    priority = Varchar(length=10, null=False, default="normal")
    created_at = Timestamptz(null=False)
    read_at = Timestamptz(null=True, default=None)
    external = Varchar(length=10, null=False, default="none")


class Broadcast(DistrictTable, tablename="notifications_broadcast"):
    """One message to an audience, stored once and matched to each reader when they look (fan-out on read)."""

    title = Varchar(length=200, null=False)
    body = Text(null=False, default="")
    link = Varchar(length=500, null=False, default="")
    category = Varchar(length=64, null=False, default="system")
    audience = Text(null=False)
    recipients = Integer(null=False, default=0)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(null=False)
    expires_at = Timestamptz(null=True, default=None)


class BroadcastRead(DistrictTable, tablename="notifications_broadcast_read"):
    """That one user has read one broadcast: written only when they do."""

    broadcast = ForeignKey(Broadcast, null=False, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade)
    user = _user()
    read_at = Timestamptz(null=False)


class Popup(DistrictTable, tablename="notifications_popup"):
    """A scheduled pop-up (定时弹窗): shown to its audience within a window, as often as its frequency allows."""

    title = Varchar(length=200, null=False)
    body = Text(null=False, default="")
    image = Varchar(length=500, null=False, default="")
    link = Varchar(length=500, null=False, default="")
    starts_at = Timestamptz(null=False)
    ends_at = Timestamptz(null=False)
    audience = Text(null=False)
    frequency = Varchar(length=20, null=False, default="once")
    priority = Integer(null=False, default=0)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(null=False)


class PopupAction(DistrictTable, tablename="notifications_popup_action"):
    """A pop-up shown to, dismissed or clicked by one user; ``day`` is the local date, for daily caps."""

    popup = ForeignKey(Popup, null=False, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade)
    user = _user()
    action = Varchar(length=10, null=False)
    day = Varchar(length=10, null=False)
    at = Timestamptz(null=False)


class Preference(DistrictTable, tablename="notifications_preference"):
    """How one user wants one category on one channel: immediate, digest or off."""

    user = _user()
    category = Varchar(length=64, null=False)
    channel = Varchar(length=20, null=False)
    mode = Varchar(length=10, null=False)


class Contact(DistrictTable, tablename="notifications_contact"):
    """A user's e-mail address for notifications and their quiet hours (minutes after local midnight)."""

    user = _user(unique=True)
    email = Varchar(length=254, null=False, default="")
    quiet_start = Integer(null=True, default=None)
    quiet_end = Integer(null=True, default=None)


class Webhook(DistrictTable, tablename="notifications_webhook"):
    """A district system that receives events as signed POSTs (HMAC-SHA256 with its secret)."""

    url = Varchar(length=500, null=False)
    secret = Varchar(length=128, null=False, secret=True)
    events = Varchar(length=500, null=False, default="*")
    description = Varchar(length=200, null=False, default="")
    active = Boolean(null=False, default=True)
    created_at = Timestamptz(null=False)


class SendLog(DistrictTable, tablename="notifications_send_log"):
    """One attempt to send a notification (or a digest) over one channel, with its outcome."""

    user = Integer(null=True, default=None)
    notification = Integer(null=True, default=None)
    channel = Varchar(length=40, null=False)
    status = Varchar(length=10, null=False)
    detail = Text(null=False, default="")
    at = Timestamptz(null=False)
