"""Tables of the events app: the outbox, its deliveries, and claimed job runs."""

from piccolo.columns import ForeignKey, Integer, OnDelete, OnUpdate, Text, Timestamptz, Varchar
from piccolo.table import Table

from newsplus.districts.scope import DistrictTable


class EventRecord(DistrictTable, tablename="events_event"):
    """A published domain event, written in the same transaction as the change that caused it."""

    name = Varchar(length=100, null=False)
    key = Varchar(length=64, null=False, unique=True)
    payload = Text(null=False)
    actor = Integer(null=True, default=None)
    created_at = Timestamptz(null=False)


class Delivery(DistrictTable, tablename="events_delivery"):
    """One event on its way to one target (a plugin's handle_event, a webhook …), retried until done."""

    event = ForeignKey(EventRecord, null=False, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, index=True)
    target = Varchar(length=200, null=False)
    status = Varchar(length=20, null=False, default="pending")
    attempts = Integer(null=False, default=0)
    next_attempt_at = Timestamptz(null=False)
    claimed_until = Timestamptz(null=True, default=None)
    claim_token = Varchar(length=32, null=True, default=None)
    last_error = Text(null=False, default="")
    done_at = Timestamptz(null=True, default=None)


class JobRun(Table, tablename="events_job_run"):
    """A claimed run of a scheduled job: one row per (job, slot), so only one worker runs each slot."""

    job = Varchar(length=200, null=False)
    slot = Varchar(length=100, null=False)
    started_at = Timestamptz(null=False)
    finished_at = Timestamptz(null=True, default=None)
    error = Text(null=False, default="")
