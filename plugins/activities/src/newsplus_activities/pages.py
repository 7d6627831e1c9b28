"""H5 pages of activities: the list by status, an activity's page (sign up, vote, claim coupons, add to
calendar, share), one's registration with its QR code, results, my activities and coupons."""

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from markupsafe import Markup

from newsplus import (
    DomainError,
    InvalidInput,
    NewsplusDep,
    NotFound,
    anyone,
    field_errors,
    form_number,
    page,
    signed_in,
    translator_for,
)
from newsplus_activities import activities, coupons, registrations, voting
from newsplus_activities.schemas import CandidateIn, RegistrationIn, VoteIn


@get("/activities", guards=[anyone])
async def list_page(request: Request, status: FromQuery[str] = "") -> Template:
    """Activities by status: open for registration, upcoming, ongoing, ended."""
    status = status if status in activities.STATUSES else ""
    return await page(
        request,
        "activities/list.html",
        items=await activities.listing(status=status),
        status=status,
        statuses=activities.STATUSES,
    )


@get("/activities/mine", guards=[signed_in])
async def mine_page(request: Request) -> Template:
    """My registrations and my coupons (with their codes)."""
    return await page(
        request,
        "activities/mine.html",
        registrations=await registrations.mine(request.user),
        coupons=await coupons.mine(request.user),
    )


async def _activity(request: Request, newsplus: Any, slug: str, **context: Any) -> Template:
    row = await activities.by_slug(slug)
    item = activities.describe(row)
    status_code = context.pop("status_code", 200)
    context.setdefault("values", {})
    context.setdefault("errors", {})
    context.setdefault("error", "")
    return await page(
        request,
        "activities/activity.html",
        status_code=status_code,
        item=item,
        sessions=await activities.sessions(row["id"]),
        candidates=await voting.candidates(row["id"]) if row["kind"] == "contest" else [],
        coupons=await coupons.offered(row["id"]),
        share_url=f"{newsplus.settings.site.base_url.rstrip('/')}/activities/{slug}",
        **context,
    )


@get("/activities/{slug:str}", guards=[anyone])
async def activity_page(
    request: Request,
    newsplus: NewsplusDep,
    slug: FromPath[str],
    voted: FromQuery[str] = "",
    proposed: FromQuery[str] = "",
) -> Template:
    """An activity: when and where, sessions, the sign-up form, candidates to vote for, coupons, share."""
    return await _activity(request, newsplus, slug, voted=voted == "1", proposed=proposed == "1")


@post("/activities/{slug:str}/register", guards=[signed_in], status_code=303)
async def register_page(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> Response[Any]:
    """Sign up; a mistake brings the page back with each field's message and what was typed."""
    form = await request.form()
    values = {k: form.get(k) for k in form}
    try:
        row = await activities.by_slug(slug)
        names = [f["name"] for f in activities.describe(row)["form"]]
        data = RegistrationIn(
            seats=form_number(form.get("seats")) or 1,
            name=form.get("name", ""),
            phone=form.get("phone", ""),
            answers={n: form.get(n, "") for n in names},
        )
        newsplus.limiter.hit(f"activities-register:{request.user.id}", limit=20, per_seconds=3600)
        made = await registrations.register(newsplus, request.user, slug, data)
    except DomainError as error:
        _ = translator_for(request)
        return await _activity(
            request,
            newsplus,
            slug,
            status_code=error.status_code,
            values=values,
            errors=field_errors(request, error),
            error=_(error.detail, **error.params),
        )
    return Redirect(f"/activities/registrations/{made['token']}", status_code=303)


@get("/activities/registrations/{token:str}", guards=[signed_in])
async def registration_page(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> Template:
    """One's registration: place or waitlist, the QR code to show at the entrance, cancel."""
    row = await registrations.by_token(token)
    if row["user"] != request.user.id:
        raise NotFound("No such registration")
    activity = activities.describe(await activities.by_id(row["activity"]))
    qr = Markup(registrations.qr_svg(newsplus, token)) if row["status"] == "registered" else ""
    return await page(request, "activities/registration.html", reg=row, activity=activity, qr=qr)


@post("/activities/registrations/{token:str}/cancel", guards=[signed_in], status_code=303)
async def cancel_page(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> Redirect:
    """Cancel one's registration."""
    await registrations.cancel(newsplus, request.user, token)
    return Redirect(f"/activities/registrations/{token}", status_code=303)


@post("/activities/{slug:str}/vote", guards=[signed_in], status_code=303)
async def vote_page(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> Response[Any]:
    """Vote for a candidate; a refusal (limit, closed) shows the contest with the reason."""
    form = await request.form()
    try:
        candidate = form_number(form.get("candidate"))
        if candidate is None:
            raise InvalidInput("Choose a candidate")
        address = request.client.host if request.client else ""
        voting.limit_rate(newsplus, address)
        await voting.vote(
            newsplus, request.user, slug, VoteIn(candidate=candidate, device=form.get("device", "")), address
        )
    except DomainError as error:
        _ = translator_for(request)
        return await _activity(
            request, newsplus, slug, status_code=error.status_code, error=_(error.detail, **error.params)
        )
    return Redirect(f"/activities/{slug}?voted=1#candidates", status_code=303)


@post("/activities/{slug:str}/propose", guards=[signed_in], status_code=303)
async def propose_page(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> Response[Any]:
    """Propose a candidate (it shows once approved)."""
    form = await request.form()
    try:
        newsplus.limiter.hit(f"activities-propose:{request.user.id}", limit=5, per_seconds=3600)
        await voting.propose(
            request.user, slug, CandidateIn(name=form.get("name", ""), description=form.get("description", ""))
        )
    except DomainError as error:
        _ = translator_for(request)
        return await _activity(
            request, newsplus, slug, status_code=error.status_code, error=_(error.detail, **error.params)
        )
    return Redirect(f"/activities/{slug}?proposed=1", status_code=303)


@get("/activities/{slug:str}/results", guards=[anyone])
async def results_page(request: Request, slug: FromPath[str]) -> Template:
    """A contest's results: live while voting is open, final once it closes."""
    item = activities.describe(await activities.by_slug(slug))
    return await page(request, "activities/results.html", item=item, results=await voting.results(slug))


@post("/activities/coupons/{batch_id:int}/claim", guards=[signed_in], status_code=303)
async def claim_page(request: Request, newsplus: NewsplusDep, batch_id: FromPath[int]) -> Redirect:
    """Claim a coupon, then see it among mine."""
    newsplus.limiter.hit(f"activities-claim:{request.user.id}", limit=30, per_seconds=3600)
    await coupons.claim(request.user, batch_id)
    return Redirect("/activities/mine#coupons", status_code=303)


ROUTES: list[Any] = [
    list_page,
    mine_page,
    activity_page,
    register_page,
    registration_page,
    cancel_page,
    vote_page,
    propose_page,
    results_page,
    claim_page,
]
