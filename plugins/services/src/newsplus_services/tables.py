"""Tables of the life-services app: applications with their append-only history and files, booked slots,
bookings, residents' favourite services."""

from piccolo.columns import Integer, OnDelete, Text, Timestamptz, Varchar

from newsplus import DistrictTable, reference
from newsplus.users.tables import Department, User


class Application(DistrictTable, tablename="services_application"):
    """A resident's online application to a module (办件), from submission to completion."""

    number = Varchar(length=32, null=False)
    token = Varchar(length=32, null=False)
    module = Varchar(length=64, null=False)
    user = reference(User, null=True, on_delete=OnDelete.set_null)
    department = reference(Department, null=True, on_delete=OnDelete.set_null)
    status = Varchar(length=20, null=False, default="submitted")
    answers = Text(null=False, default="{}")
    note = Text(null=False, default="")
    """The department's last word to the resident (what is missing, why it was refused)."""
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)


class ApplicationStep(DistrictTable, tablename="services_application_step"):
    """One thing that happened to an application: never edited, never deleted."""

    application = reference(Application)
    action = Varchar(length=20, null=False)
    from_status = Varchar(length=20, null=False, default="")
    to_status = Varchar(length=20, null=False)
    actor = Integer(null=True, default=None)
    note = Text(null=False, default="")
    created_at = Timestamptz(null=False)


class ApplicationFile(DistrictTable, tablename="services_application_file"):
    """A file a resident uploaded for a form field; unattached until an application claims it."""

    token = Varchar(length=32, null=False)
    user = reference(User, null=True, on_delete=OnDelete.set_null)
    application = reference(Application, null=True)
    field = Varchar(length=64, null=False, default="")
    path = Varchar(length=300, null=False)
    thumb = Varchar(length=300, null=False, default="")
    created_at = Timestamptz(null=False)


class Slot(DistrictTable, tablename="services_slot"):
    """How many bookings one slot of one resource holds (a row appears with its first booking)."""

    module = Varchar(length=64, null=False)
    resource = Varchar(length=64, null=False)
    starts_at = Timestamptz(null=False)
    booked = Integer(null=False, default=0)


class Booking(DistrictTable, tablename="services_booking"):
    """A resident's booking of one slot, with the code shown at the counter."""

    token = Varchar(length=32, null=False)
    code = Varchar(length=12, null=False)
    module = Varchar(length=64, null=False)
    resource = Varchar(length=64, null=False)
    starts_at = Timestamptz(null=False)
    user = reference(User, null=True, on_delete=OnDelete.set_null)
    name = Varchar(length=100, null=False, default="")
    phone = Varchar(length=20, null=False, default="")
    status = Varchar(length=20, null=False, default="booked")
    hold = Varchar(length=40, null=False)
    """The local date while booked (one booking per resident, resource and day); the token once it is not."""
    reminded_at = Timestamptz(null=True, default=None)
    checked_in_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)


class Favourite(DistrictTable, tablename="services_favourite"):
    """A module a resident keeps in "my services"."""

    user = reference(User)
    module = Varchar(length=64, null=False)
    created_at = Timestamptz(null=False)
