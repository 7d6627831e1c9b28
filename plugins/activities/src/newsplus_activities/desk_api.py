"""The organisers' and merchants' activities API under /api/v1/activities/desk: activities, registrations and
check-in, candidates and the vote audit, merchants, coupon batches, redemption and statistics."""

from typing import Any

from litestar import Request, Response, Router, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from newsplus import NewsplusDep, requires, staff
from newsplus_activities import activities, coupons, registrations, voting
from newsplus_activities.schemas import ActivityIn, BatchIn, CandidateIn, CodeIn, MerchantIn, Moderation

MANAGE = requires("activities.manage")


@get("/activities", guards=[MANAGE])
async def all_activities() -> list[dict[str, Any]]:
    """Every activity, published or not."""
    return await activities.listing(include_unpublished=True)


@post("/activities", guards=[MANAGE], status_code=HTTP_201_CREATED)
async def create(request: Request, data: JSONBody[ActivityIn]) -> dict[str, int]:
    """Create an activity (with its sessions)."""
    return {"id": await activities.save(data, request.user.id)}


@put("/activities/{activity_id:int}", guards=[MANAGE])
async def update(
    request: Request, newsplus: NewsplusDep, activity_id: FromPath[int], data: JSONBody[ActivityIn]
) -> dict[str, int]:
    """Change an activity; its capacity cannot drop below the places taken, and places it adds go to the
    waitlist in order."""
    await activities.save(data, request.user.id, activity_id)
    await registrations.promote(newsplus, activity_id)
    return {"id": activity_id}


@get("/activities/{activity_id:int}/registrations", guards=[MANAGE])
async def roster(activity_id: FromPath[int]) -> list[dict[str, Any]]:
    """Every registration in the order it came (the waitlist's order included)."""
    await activities.by_id(activity_id)
    keys = ("token", "name", "phone", "seats", "status", "created_at", "checked_in_at")
    return [{k: r[k] for k in keys} for r in await registrations.roster(activity_id)]


@get("/activities/{activity_id:int}/registrations.csv", guards=[MANAGE], media_type="text/csv")
async def roster_csv(newsplus: NewsplusDep, activity_id: FromPath[int]) -> Response[str]:
    """The registrations as CSV (phones and ID numbers masked)."""
    body = await registrations.roster_csv(newsplus, activity_id)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="registrations-{activity_id}.csv"'},
    )


@post("/check-in", guards=[MANAGE], status_code=200)
async def check_in(request: Request, newsplus: NewsplusDep, data: JSONBody[CodeIn]) -> dict[str, Any]:
    """Check a resident in by the QR code on their registration (the scanned address or its token)."""
    row = await registrations.check_in(newsplus, request.user, data.code)
    return {"status": row["status"], "name": row["name"], "seats": row["seats"], "activity": row["activity_title"]}


@post("/activities/{activity_id:int}/candidates", guards=[MANAGE], status_code=HTTP_201_CREATED)
async def add_candidate(activity_id: FromPath[int], data: JSONBody[CandidateIn]) -> dict[str, int]:
    """Add a curated candidate to a contest."""
    return {"id": await voting.add_candidate(activity_id, data)}


@get("/activities/{activity_id:int}/candidates", guards=[MANAGE])
async def list_candidates(activity_id: FromPath[int], status: FromQuery[str] = "pending") -> list[dict[str, Any]]:
    """A contest's candidates of one status (``pending`` ones await moderation)."""
    return await voting.candidates(activity_id, status=status, full=True)


@post("/candidates/{candidate_id:int}", guards=[MANAGE], status_code=HTTP_204_NO_CONTENT)
async def moderate(candidate_id: FromPath[int], data: JSONBody[Moderation]) -> None:
    """Approve or reject a proposed candidate."""
    await voting.moderate(candidate_id, data.status)


@get("/activities/{activity_id:int}/audit", guards=[MANAGE])
async def audit(activity_id: FromPath[int]) -> dict[str, Any]:
    """Counted and flagged votes and the addresses that cast the most."""
    return await voting.audit(activity_id)


@get("/merchants", guards=[MANAGE])
async def merchants() -> list[dict[str, Any]]:
    """The district's merchants."""
    return await coupons.merchants()


@post("/merchants", guards=[MANAGE], status_code=HTTP_201_CREATED)
async def add_merchant(data: JSONBody[MerchantIn]) -> dict[str, int]:
    """Register a merchant; give its clerks the ``merchant_clerk`` role in it."""
    return {"id": await coupons.add_merchant(data.name)}


@post("/batches", guards=[MANAGE], status_code=HTTP_201_CREATED)
async def add_batch(data: JSONBody[BatchIn]) -> dict[str, int]:
    """Create a batch of coupons for a merchant."""
    return {"id": await coupons.add_batch(data)}


@get("/statistics", guards=[staff])
async def statistics(request: Request, merchant: FromQuery[int | None] = None) -> list[dict[str, Any]]:
    """Claimed and redeemed per batch: every merchant's for organisers, their own for a merchant's clerks."""
    user = request.user
    if not user.can("activities.manage"):
        own = sorted(user.departments_with("activities.redeem"))
        merchant = merchant if merchant in own else (own[0] if own else -1)
    return await coupons.statistics(merchant)


@post("/redeem", guards=[staff], status_code=200)
async def redeem(request: Request, newsplus: NewsplusDep, data: JSONBody[CodeIn]) -> dict[str, Any]:
    """A merchant's clerk redeems a coupon by its code (typed or scanned), once."""
    newsplus.limiter.hit(f"activities-redeem:{request.user.id}", limit=120, per_seconds=60)
    return await coupons.redeem(request.user, data.code)


router = Router(
    path="/api/v1/activities/desk",
    route_handlers=[
        all_activities,
        create,
        update,
        roster,
        roster_csv,
        check_in,
        add_candidate,
        list_candidates,
        moderate,
        audit,
        merchants,
        add_merchant,
        add_batch,
        statistics,
        redeem,
    ],
    tags=["activities"],
)
