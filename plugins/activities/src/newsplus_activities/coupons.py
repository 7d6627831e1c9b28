"""Merchants and coupons (优惠券): batches with stock, a per-resident limit, a validity window and who may claim
them; claiming within stock; redemption by the merchant's own staff, once; statistics per merchant."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from piccolo.query.functions.aggregate import Count

from newsplus import Conflict, Forbidden, InvalidInput, NotFound, now, transaction
from newsplus.db import is_unique_violation
from newsplus.users.accounts import create_department
from newsplus.users.tables import Department
from newsplus_activities.activities import by_slug
from newsplus_activities.tables import Coupon, CouponBatch, Registration

if TYPE_CHECKING:
    from newsplus import CurrentUser
    from newsplus_activities.schemas import BatchIn

LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


async def add_merchant(name: str) -> int:
    """Register a merchant (a department of kind ``merchant``; its clerks hold ``merchant_clerk`` there)."""
    return await create_department(name, "merchant")


async def merchants() -> list[dict[str, Any]]:
    """Every merchant of the district."""
    return await Department.select(Department.id, Department.name).where(Department.kind == "merchant")


async def add_batch(data: BatchIn) -> int:
    """Create a batch of coupons; return its id."""
    if not await Department.exists().where((Department.id == data.merchant) & (Department.kind == "merchant")):
        raise InvalidInput("No such merchant", extra={"field": "merchant"})
    if not data.title.strip():
        raise InvalidInput("A title is required", extra={"field": "title"})
    if data.value <= 0 or (data.kind == "percent" and data.value >= 100):
        raise InvalidInput("An amount in fen above 0, or a percentage from 1 to 99", extra={"field": "value"})
    if data.stock < 1 or data.per_user < 1 or data.min_spend < 0:
        raise InvalidInput("Stock and the per-resident limit are at least 1", extra={"field": "stock"})
    if data.valid_from.tzinfo is None or data.valid_until.tzinfo is None:
        raise InvalidInput("Give times with their time zone", extra={"field": "valid_from"})
    if data.valid_until <= data.valid_from:
        raise InvalidInput("A coupon must stop being valid after it starts", extra={"field": "valid_until"})
    activity = await by_slug(data.activity, published=False) if data.activity else None
    if data.audience == "participants" and activity is None:
        raise InvalidInput("Coupons for participants belong to an activity", extra={"field": "activity"})
    row = CouponBatch(
        merchant=data.merchant,
        activity=activity["id"] if activity else None,
        title=data.title.strip()[:200],
        kind=data.kind,
        value=data.value,
        min_spend=data.min_spend,
        stock=data.stock,
        per_user=data.per_user,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        audience=data.audience,
        created_at=now(),
    )
    await row.save()
    return row.id


BATCH_COLUMNS = (
    CouponBatch.id,
    CouponBatch.title,
    CouponBatch.kind,
    CouponBatch.value,
    CouponBatch.min_spend,
    CouponBatch.stock,
    CouponBatch.claimed,
    CouponBatch.per_user,
    CouponBatch.valid_from,
    CouponBatch.valid_until,
    CouponBatch.audience,
    CouponBatch.merchant.name.as_alias("merchant_name"),
)


async def offered(activity_id: int | None = None) -> list[dict[str, Any]]:
    """Batches residents may still claim (valid and in stock), of one activity or all."""
    moment = now()
    query = CouponBatch.select(*BATCH_COLUMNS).where(
        (CouponBatch.valid_until > moment) & (CouponBatch.claimed < CouponBatch.stock)
    )
    if activity_id is not None:
        query = query.where(CouponBatch.activity == activity_id)
    return [{**r, "left": r["stock"] - r["claimed"]} for r in await query.order_by(CouponBatch.id)]


async def claim(user: CurrentUser, batch_id: int) -> dict[str, Any]:
    """Claim a coupon: within stock, within the per-resident limit, by whom the batch is meant for."""
    batch = await CouponBatch.select().where(CouponBatch.id == batch_id).first()
    if batch is None:
        raise NotFound("No such coupon")
    moment = now()
    if moment >= batch["valid_until"]:
        raise Conflict("This coupon has expired")
    if batch["audience"] == "participants" and not await Registration.exists().where(
        (Registration.activity == batch["activity"])
        & (Registration.user == user.id)
        & Registration.status.is_in(["registered", "attended"])
    ):
        raise Forbidden("Only participants of the activity can claim this coupon")
    try:
        async with transaction():
            held = await Coupon.count().where((Coupon.batch == batch_id) & (Coupon.user == user.id))
            if held >= batch["per_user"]:
                raise Conflict("You have claimed as many of these coupons as one resident may")
            taken = (
                await CouponBatch.update({CouponBatch.claimed: CouponBatch.claimed + 1})
                .where((CouponBatch.id == batch_id) & (CouponBatch.claimed < CouponBatch.stock))
                .returning(CouponBatch.id)
            )
            if not taken:
                raise Conflict("These coupons are all gone")
            row = Coupon(
                batch=batch_id,
                user=user.id,
                seq=held + 1,  # a unique (batch, user, seq) index holds the limit when two claims race
                code="".join(secrets.choice(LETTERS) for _ in range(10)),
                claimed_at=moment,
            )
            await row.save()
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("You have claimed as many of these coupons as one resident may") from None
        raise
    return {"code": row.code, "batch": batch_id, "title": batch["title"], "valid_until": batch["valid_until"]}


async def mine(user: CurrentUser) -> list[dict[str, Any]]:
    """The resident's coupons with their codes, newest first."""
    return (
        await Coupon.select(
            Coupon.code,
            Coupon.status,
            Coupon.claimed_at,
            Coupon.redeemed_at,
            Coupon.batch.title.as_alias("title"),
            Coupon.batch.kind.as_alias("kind"),
            Coupon.batch.value.as_alias("value"),
            Coupon.batch.min_spend.as_alias("min_spend"),
            Coupon.batch.valid_until.as_alias("valid_until"),
            Coupon.batch.merchant.name.as_alias("merchant_name"),
        )
        .where(Coupon.user == user.id)
        .order_by(Coupon.id, ascending=False)
    )


async def redeem(user: CurrentUser, code: str) -> dict[str, Any]:
    """A merchant's clerk redeems a coupon by its code: theirs, valid today, once."""
    code = code.strip().upper().replace(" ", "").replace("-", "")[:16]
    coupon = (
        await Coupon.select(
            Coupon.id,
            Coupon.status,
            Coupon.batch.merchant.as_alias("merchant"),
            Coupon.batch.title.as_alias("title"),
            Coupon.batch.valid_from.as_alias("valid_from"),
            Coupon.batch.valid_until.as_alias("valid_until"),
        )
        .where(Coupon.code == code)
        .first()
    )
    if coupon is None:
        raise NotFound("No such coupon")
    if not user.can_in("activities.redeem", coupon["merchant"]):
        raise Forbidden("This coupon is for another merchant")
    moment = now()
    if coupon["status"] == "redeemed":
        raise Conflict("This coupon has been used")
    if moment < coupon["valid_from"]:
        raise Conflict("This coupon is not valid yet")
    if moment >= coupon["valid_until"]:
        raise Conflict("This coupon has expired")
    done = (
        await Coupon.update({Coupon.status: "redeemed", Coupon.redeemed_at: moment, Coupon.redeemed_by: user.id})
        .where((Coupon.id == coupon["id"]) & (Coupon.status == "claimed"))
        .returning(Coupon.id)
    )
    if not done:
        raise Conflict("This coupon has been used")
    return {"title": coupon["title"], "status": "redeemed"}


async def statistics(merchant: int | None = None) -> list[dict[str, Any]]:
    """Per batch: stock, claimed and redeemed (one merchant's, or every merchant's)."""
    query = CouponBatch.select(*BATCH_COLUMNS, CouponBatch.merchant)
    if merchant is not None:
        query = query.where(CouponBatch.merchant == merchant)
    batches = await query.order_by(CouponBatch.merchant).order_by(CouponBatch.id)
    redeemed: dict[int, int] = {}
    if batches:
        counts = (
            await Coupon.select(Coupon.batch, Count(Coupon.id).as_alias("n"))
            .where(Coupon.batch.is_in([b["id"] for b in batches]) & (Coupon.status == "redeemed"))
            .group_by(Coupon.batch)
        )
        redeemed = {r["batch"]: r["n"] for r in counts}
    return [{**b, "redeemed": redeemed.get(b["id"], 0)} for b in batches]
