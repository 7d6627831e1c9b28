"""The residents' activities API under /api/v1/activities: activities and calendars, registration, votes and
results, coupons."""

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from newsplus import NewsplusDep, NotFound, anyone, signed_in
from newsplus_activities import activities, coupons, registrations, voting
from newsplus_activities.calendar import ics
from newsplus_activities.schemas import CandidateIn, RegistrationIn, VoteIn

CALENDAR = "text/calendar; charset=utf-8"


@get("/", guards=[anyone])
async def list_activities(status: FromQuery[str] = "") -> list[dict[str, Any]]:
    """Published activities, soonest first; ``status`` one of upcoming, open, ongoing, ended."""
    return await activities.listing(status=status if status in activities.STATUSES else "")


@get("/calendar.ics", guards=[anyone], media_type=CALENDAR)
async def all_calendar(newsplus: NewsplusDep) -> Response[bytes]:
    """Every activity not yet ended, as iCalendar."""
    found = [a for a in await activities.listing() if a["status"] != "ended"]
    for activity in found:
        activity["sessions"] = await activities.sessions(activity["id"])
    body = ics(found, newsplus.settings.site.base_url, newsplus.settings.site.name)
    return Response(body, media_type=CALENDAR)


@get("/{slug:str}", guards=[anyone])
async def read_activity(slug: FromPath[str]) -> dict[str, Any]:
    """An activity with its sessions, its candidates (a contest) and the coupons on offer."""
    row = await activities.by_slug(slug)
    found = activities.describe(row)
    found["sessions"] = await activities.sessions(row["id"])
    found["candidates"] = await voting.candidates(row["id"]) if row["kind"] == "contest" else []
    found["coupons"] = await coupons.offered(row["id"])
    return found


@get("/{slug:str}/calendar.ics", guards=[anyone], media_type=CALENDAR)
async def one_calendar(newsplus: NewsplusDep, slug: FromPath[str]) -> Response[bytes]:
    """One activity (a festival with its sessions) as iCalendar."""
    row = await activities.by_slug(slug)
    found = activities.describe(row)
    found["sessions"] = await activities.sessions(row["id"])
    return Response(ics([found], newsplus.settings.site.base_url, row["title"]), media_type=CALENDAR)


@post("/{slug:str}/registrations", guards=[signed_in], status_code=HTTP_201_CREATED)
async def register(
    request: Request, newsplus: NewsplusDep, slug: FromPath[str], data: JSONBody[RegistrationIn]
) -> dict[str, Any]:
    """Register: a place if one is free, else the waitlist; the answer carries the registration's token."""
    newsplus.limiter.hit(f"activities-register:{request.user.id}", limit=20, per_seconds=3600)
    row = await registrations.register(newsplus, request.user, slug, data)
    return {"token": row["token"], "status": row["status"], "seats": row["seats"]}


@get("/registrations/mine", guards=[signed_in])
async def my_registrations(request: Request) -> list[dict[str, Any]]:
    """The caller's registrations."""
    return await registrations.mine(request.user)


@get("/registrations/{token:str}", guards=[signed_in])
async def read_registration(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> dict[str, Any]:
    """One's registration with its check-in QR code (SVG) and where it stands on the waitlist."""
    row = await registrations.by_token(token)
    if row["user"] != request.user.id and not request.user.can("activities.manage"):
        raise NotFound("No such registration")
    activity = await activities.by_id(row["activity"])
    return {
        "token": row["token"],
        "status": row["status"],
        "seats": row["seats"],
        "activity": activity["slug"],
        "title": activity["title"],
        "starts_at": activity["starts_at"],
        "place": activity["place"],
        "qr": registrations.qr_svg(newsplus, row["token"]) if row["status"] == "registered" else "",
        "checked_in_at": row["checked_in_at"],
    }


@get("/registrations/{token:str}/qr.png", guards=[signed_in], media_type="image/png")
async def registration_qr(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> Response[bytes]:
    """The check-in QR code of one's registration, as a PNG image."""
    row = await registrations.by_token(token)
    if row["user"] != request.user.id or row["status"] != "registered":
        raise NotFound("No such registration")
    return Response(registrations.qr_png(newsplus, token), media_type="image/png")


@post("/registrations/{token:str}/cancel", guards=[signed_in], status_code=200)
async def cancel(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> dict[str, str]:
    """Cancel before the deadline; a freed place goes to the first on the waitlist."""
    return {"status": (await registrations.cancel(newsplus, request.user, token))["status"]}


@post("/{slug:str}/candidates", guards=[signed_in], status_code=HTTP_201_CREATED)
async def propose(request: Request, newsplus: NewsplusDep, slug: FromPath[str], data: JSONBody[CandidateIn]) -> dict:
    """Propose a candidate for a contest that takes proposals (shown once approved)."""
    newsplus.limiter.hit(f"activities-propose:{request.user.id}", limit=5, per_seconds=3600)
    return {"id": await voting.propose(request.user, slug, data), "status": "pending"}


@post("/{slug:str}/votes", guards=[signed_in], status_code=HTTP_201_CREATED)
async def vote(request: Request, newsplus: NewsplusDep, slug: FromPath[str], data: JSONBody[VoteIn]) -> dict:
    """Vote for a candidate, within the contest's limits."""
    address = request.client.host if request.client else ""
    voting.limit_rate(newsplus, address)
    return await voting.vote(newsplus, request.user, slug, data, address)


@get("/{slug:str}/results", guards=[anyone])
async def results(slug: FromPath[str]) -> dict[str, Any]:
    """A contest's live results, most votes first, with ranks."""
    return await voting.results(slug)


@get("/coupons", guards=[anyone])
async def offered_coupons() -> list[dict[str, Any]]:
    """Coupons residents may still claim."""
    return await coupons.offered()


@get("/coupons/mine", guards=[signed_in])
async def my_coupons(request: Request) -> list[dict[str, Any]]:
    """The caller's coupons with their codes."""
    return await coupons.mine(request.user)


@post("/coupons/{batch_id:int}/claim", guards=[signed_in], status_code=HTTP_201_CREATED)
async def claim(request: Request, newsplus: NewsplusDep, batch_id: FromPath[int]) -> dict[str, Any]:
    """Claim a coupon of a batch."""
    newsplus.limiter.hit(f"activities-claim:{request.user.id}", limit=30, per_seconds=3600)
    return await coupons.claim(request.user, batch_id)


router = Router(
    path="/api/v1/activities",
    route_handlers=[
        list_activities,
        all_calendar,
        offered_coupons,
        my_coupons,
        claim,
        my_registrations,
        read_registration,
        registration_qr,
        cancel,
        read_activity,
        one_calendar,
        register,
        propose,
        vote,
        results,
    ],
    tags=["activities"],
)
