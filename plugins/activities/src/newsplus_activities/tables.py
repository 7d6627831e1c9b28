"""Tables of the activities app: activities and their sessions, registrations with the waitlist, contest
candidates and votes with their quotas, merchants' coupon batches and coupons."""

from piccolo.columns import Boolean, Integer, OnDelete, Text, Timestamptz, Varchar

from newsplus import DistrictTable, reference
from newsplus.users.tables import Department, User


class Activity(DistrictTable, tablename="activities_activity"):
    """An event (报名), a contest (评比) or a festival (sessions, merchants, coupons)."""

    slug = Varchar(length=64, null=False)
    kind = Varchar(length=20, null=False, default="event")
    title = Varchar(length=200, null=False)
    summary = Varchar(length=500, null=False, default="")
    description = Text(null=False, default="")
    cover = Varchar(length=500, null=False, default="")
    place = Varchar(length=200, null=False, default="")
    starts_at = Timestamptz(null=False)
    ends_at = Timestamptz(null=False)
    opens_at = Timestamptz(null=True, default=None)
    """When registration (or proposing candidates) opens; none: as soon as it is published."""
    closes_at = Timestamptz(null=True, default=None)
    """When registration closes; none: when the activity starts."""
    cancel_until = Timestamptz(null=True, default=None)
    capacity = Integer(null=False, default=0)
    """Places in all (0: no registration)."""
    taken = Integer(null=False, default=0)
    per_user = Integer(null=False, default=1)
    """Places one resident may take in one registration (themselves and family)."""
    waitlist = Boolean(null=False, default=True)
    form = Text(null=False, default="[]")
    votes_per_day = Integer(null=False, default=0)
    votes_total = Integer(null=False, default=0)
    voting_opens_at = Timestamptz(null=True, default=None)
    voting_closes_at = Timestamptz(null=True, default=None)
    proposals = Boolean(null=False, default=False)
    """Residents may propose candidates (moderated before they show)."""
    published = Boolean(null=False, default=False)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)


class Session(DistrictTable, tablename="activities_session"):
    """One session of a festival (opening, a market day, a show)."""

    activity = reference(Activity)
    title = Varchar(length=200, null=False)
    place = Varchar(length=200, null=False, default="")
    starts_at = Timestamptz(null=False)
    ends_at = Timestamptz(null=False)


class Registration(DistrictTable, tablename="activities_registration"):
    """A resident's sign-up: registered, waitlisted, cancelled or attended."""

    activity = reference(Activity)
    user = reference(User, null=True, on_delete=OnDelete.set_null)
    token = Varchar(length=32, null=False)
    status = Varchar(length=20, null=False)
    seats = Integer(null=False, default=1)
    hold = Varchar(length=40, null=False)
    """``active`` while registered or waitlisted (one per resident and activity); the token once cancelled."""
    answers = Text(null=False, default="{}")
    name = Varchar(length=100, null=False, default="")
    phone = Varchar(length=20, null=False, default="")
    reminded_at = Timestamptz(null=True, default=None)
    checked_in_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)


class Candidate(DistrictTable, tablename="activities_candidate"):
    """Someone or something to vote for in a contest: curated by staff or proposed by a resident."""

    activity = reference(Activity)
    name = Varchar(length=100, null=False)
    description = Text(null=False, default="")
    photo = Varchar(length=300, null=False, default="")
    status = Varchar(length=20, null=False, default="pending")
    proposed_by = Integer(null=True, default=None)
    votes = Integer(null=False, default=0)
    created_at = Timestamptz(null=False)


class VoteQuota(DistrictTable, tablename="activities_vote_quota"):
    """How many votes a resident has cast in a contest on one day (``period`` the date) or in all (``total``)."""

    activity = reference(Activity)
    user = reference(User)
    period = Varchar(length=20, null=False)
    used = Integer(null=False, default=0)


class Vote(DistrictTable, tablename="activities_vote"):
    """One vote, kept for the audit: who, for whom, from which address and device; flagged in a burst."""

    activity = reference(Activity)
    candidate = reference(Candidate)
    user = reference(User, null=True, on_delete=OnDelete.set_null)
    address = Varchar(length=64, null=False, default="")
    device = Varchar(length=64, null=False, default="")
    flagged = Boolean(null=False, default=False)
    created_at = Timestamptz(null=False)


class CouponBatch(DistrictTable, tablename="activities_coupon_batch"):
    """Coupons a merchant offers: an amount (fen) or a percentage off, stock, per-resident limit, validity."""

    merchant = reference(Department)
    activity = reference(Activity, null=True, on_delete=OnDelete.set_null)
    title = Varchar(length=200, null=False)
    kind = Varchar(length=20, null=False, default="amount")
    value = Integer(null=False)
    """Fen off (``amount``) or percent off (``percent``)."""
    min_spend = Integer(null=False, default=0)
    stock = Integer(null=False)
    claimed = Integer(null=False, default=0)
    per_user = Integer(null=False, default=1)
    valid_from = Timestamptz(null=False)
    valid_until = Timestamptz(null=False)
    audience = Varchar(length=20, null=False, default="everyone")
    """``everyone``, or ``participants`` (residents registered for the batch's activity)."""
    created_at = Timestamptz(null=False)


class Coupon(DistrictTable, tablename="activities_coupon"):
    """A claimed coupon with its private code; redeemed once by the merchant's staff."""

    batch = reference(CouponBatch)
    user = reference(User, null=True, on_delete=OnDelete.set_null)
    seq = Integer(null=False)
    """The resident's n-th coupon of the batch (a unique index holds the per-resident limit)."""
    code = Varchar(length=16, null=False)
    status = Varchar(length=20, null=False, default="claimed")
    claimed_at = Timestamptz(null=False)
    redeemed_at = Timestamptz(null=True, default=None)
    redeemed_by = Integer(null=True, default=None)
