"""Desk pages of activities: the list with participation and redemption charts, the activity form,
registrations (CSV), candidates to moderate and the vote audit, check-in by scanning, merchants and coupon
batches, redemption at a merchant's counter."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from newsplus import (
    DomainError,
    FormField,
    InvalidInput,
    NewsplusDep,
    form_number,
    page,
    requires,
    staff,
    translator_for,
)
from newsplus_activities import activities, coupons, registrations, voting
from newsplus_activities.schemas import ActivityIn, BatchIn, CandidateIn, SessionIn

MANAGE = requires("activities.manage")


def _moment(newsplus: Any, value: str | None, field: str, required: bool = False) -> datetime | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput("Give a date and time", extra={"field": field})
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Give a date and time", extra={"field": field}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(newsplus.settings.site.timezone))


def _lines(text: str | None) -> list[list[str]]:
    return [[p.strip() for p in line.split("|")] for line in (text or "").splitlines() if line.strip()]


def _activity_in(newsplus: Any, form: Any) -> ActivityIn:
    """An activity from the desk form (sessions one per line ``title | start | end | place``; form fields one
    per line ``name | label | type | required | choice,choice``)."""
    sessions = [
        SessionIn(
            title=p[0],
            starts_at=_moment(newsplus, p[1] if len(p) > 1 else "", "sessions", True),
            ends_at=_moment(newsplus, p[2] if len(p) > 2 else "", "sessions", True),
            place=p[3] if len(p) > 3 else "",
        )
        for p in _lines(form.get("sessions"))
    ]
    try:
        fields = [
            msgspec.convert(
                {
                    "name": p[0],
                    "label": p[1] if len(p) > 1 else p[0],
                    "type": p[2] if len(p) > 2 and p[2] else "text",
                    "required": len(p) > 3 and p[3] in ("1", "yes", "required", "必填"),
                    "choices": [c.strip() for c in p[4].split(",")] if len(p) > 4 and p[4] else [],
                },
                FormField,
            )
            for p in _lines(form.get("form"))
        ]
    except msgspec.ValidationError:
        raise InvalidInput(
            "Each form line is name | label | type | required | choices", extra={"field": "form"}
        ) from None
    return ActivityIn(
        slug=form.get("slug", ""),
        title=form.get("title", ""),
        kind=form.get("kind") if form.get("kind") in ("event", "contest", "festival") else "event",
        summary=form.get("summary", ""),
        description=form.get("description", ""),
        cover=form.get("cover", ""),
        place=form.get("place", ""),
        starts_at=_moment(newsplus, form.get("starts_at"), "starts_at", True),
        ends_at=_moment(newsplus, form.get("ends_at"), "ends_at", True),
        opens_at=_moment(newsplus, form.get("opens_at"), "opens_at"),
        closes_at=_moment(newsplus, form.get("closes_at"), "closes_at"),
        cancel_until=_moment(newsplus, form.get("cancel_until"), "cancel_until"),
        capacity=form_number(form.get("capacity")) or 0,
        per_user=form_number(form.get("per_user")) or 1,
        waitlist=form.get("waitlist") == "1",
        form=fields,
        votes_per_day=form_number(form.get("votes_per_day")) or 0,
        votes_total=form_number(form.get("votes_total")) or 0,
        voting_opens_at=_moment(newsplus, form.get("voting_opens_at"), "voting_opens_at"),
        voting_closes_at=_moment(newsplus, form.get("voting_closes_at"), "voting_closes_at"),
        proposals=form.get("proposals") == "1",
        published=form.get("published") == "1",
        sessions=sessions,
    )


@get("/desk/activities", guards=[MANAGE])
async def list_page(request: Request) -> Template:
    """Every activity with its participation, and redemption by merchant."""
    items = await activities.listing(include_unpublished=True)
    return await page(request, "activities/desk/list.html", items=items, statistics=await coupons.statistics())


async def _form(request: Request, newsplus: Any, action: str, form: dict, error: str = "", status_code: int = 200):
    return await page(
        request, "activities/desk/form.html", status_code=status_code, action=action, form=form, error=error
    )


@get("/desk/activities/new", guards=[MANAGE])
async def new_page(request: Request, newsplus: NewsplusDep) -> Template:
    """The form for a new activity."""
    return await _form(request, newsplus, "/desk/activities/new", {"waitlist": "1", "per_user": "1"})


@post("/desk/activities/new", guards=[MANAGE], status_code=303)
async def create_page(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Create the activity; a mistake brings the form back as typed."""
    form = await request.form()
    try:
        activity_id = await activities.save(_activity_in(newsplus, form), request.user.id)
    except DomainError as error:
        _ = translator_for(request)
        return await _form(
            request, newsplus, "/desk/activities/new", dict(form), _(error.detail, **error.params), error.status_code
        )
    return Redirect(f"/desk/activities/{activity_id}", status_code=303)


def _as_form(item: dict[str, Any], sessions: list[dict[str, Any]], zone: ZoneInfo) -> dict[str, Any]:
    def local(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if value else ""

    form = {k: v for k, v in item.items() if not isinstance(v, datetime | list)}
    for key in ("starts_at", "ends_at", "opens_at", "cancel_until", "voting_opens_at", "voting_closes_at"):
        form[key] = local(item[key])
    form["closes_at"] = local(item["closes_at"]) if item["closes_at"] != item["starts_at"] else ""
    form["waitlist"] = "1" if item["waitlist"] else ""
    form["published"] = "1" if item["published"] else ""
    form["proposals"] = "1" if item["proposals"] else ""
    form["sessions"] = "\n".join(
        f"{s['title']} | {local(s['starts_at'])} | {local(s['ends_at'])} | {s['place']}" for s in sessions
    )
    form["form"] = "\n".join(
        f"{f['name']} | {f['label']} | {f['type']} | {'1' if f['required'] else ''} | {','.join(f['choices'])}"
        for f in item["form"]
    )
    return form


@get("/desk/activities/{activity_id:int}", guards=[MANAGE])
async def activity_page(request: Request, newsplus: NewsplusDep, activity_id: FromPath[int]) -> Template:
    """One activity: its form, registrations, candidates to moderate and the vote audit."""
    row = await activities.by_id(activity_id)
    item = activities.describe(row)
    zone = ZoneInfo(newsplus.settings.site.timezone)
    return await page(
        request,
        "activities/desk/activity.html",
        item=item,
        form=_as_form(item, await activities.sessions(activity_id), zone),
        action=f"/desk/activities/{activity_id}",
        roster=await registrations.roster(activity_id),
        pending=await voting.candidates(activity_id, status="pending", full=True) if row["kind"] == "contest" else [],
        approved=await voting.candidates(activity_id, full=True) if row["kind"] == "contest" else [],
        audit=await voting.audit(activity_id) if row["kind"] == "contest" else None,
        error="",
    )


@post("/desk/activities/{activity_id:int}", guards=[MANAGE], status_code=303)
async def update_page(request: Request, newsplus: NewsplusDep, activity_id: FromPath[int]) -> Response[Any]:
    """Save the activity's changes."""
    form = await request.form()
    try:
        await activities.save(_activity_in(newsplus, form), request.user.id, activity_id)
        await registrations.promote(newsplus, activity_id)  # a larger capacity gives the waitlist its places
    except DomainError as error:
        _ = translator_for(request)
        return await _form(
            request,
            newsplus,
            f"/desk/activities/{activity_id}",
            dict(form),
            _(error.detail, **error.params),
            error.status_code,
        )
    return Redirect(f"/desk/activities/{activity_id}", status_code=303)


@get("/desk/activities/{activity_id:int}/registrations.csv", guards=[MANAGE])
async def roster_csv_page(newsplus: NewsplusDep, activity_id: FromPath[int]) -> Response[str]:
    """The registrations as CSV (phones and ID numbers masked)."""
    return Response(
        await registrations.roster_csv(newsplus, activity_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="registrations-{activity_id}.csv"'},
    )


@post("/desk/activities/{activity_id:int}/candidates", guards=[MANAGE], status_code=303)
async def candidate_page(request: Request, activity_id: FromPath[int]) -> Redirect:
    """Add a candidate, or approve or reject a proposed one."""
    form = await request.form()
    candidate = form_number(form.get("candidate"))
    if candidate is not None and form.get("status") in ("approved", "rejected"):
        await voting.moderate(candidate, form.get("status"))
    else:
        await voting.add_candidate(
            activity_id,
            CandidateIn(
                name=form.get("name", ""), description=form.get("description", ""), photo=form.get("photo", "")
            ),
        )
    return Redirect(f"/desk/activities/{activity_id}#candidates", status_code=303)


@get("/desk/activities/check-in", guards=[MANAGE])
async def scan_page(request: Request, code: FromQuery[str] = "") -> Template:
    """The check-in page a scanned QR code opens (or where a code is typed)."""
    return await page(request, "activities/desk/check_in.html", code=code, message="", error="")


@post("/desk/activities/check-in", guards=[MANAGE], status_code=200)
async def check_in_page(request: Request, newsplus: NewsplusDep) -> Template:
    """Check the resident in and say who it was (or why not)."""
    form = await request.form()
    _ = translator_for(request)
    try:
        row = await registrations.check_in(newsplus, request.user, form.get("code", ""))
        message = _("Checked in: {name} ({seats} places)", name=row["name"], seats=row["seats"])
        return await page(request, "activities/desk/check_in.html", code="", message=message, error="")
    except DomainError as error:
        return await page(
            request,
            "activities/desk/check_in.html",
            status_code=error.status_code,
            code="",
            message="",
            error=_(error.detail, **error.params),
        )


@get("/desk/activities/merchants", guards=[MANAGE])
async def merchants_page(request: Request) -> Template:
    """Merchants, their coupon batches and what was claimed and redeemed."""
    return await page(
        request,
        "activities/desk/merchants.html",
        merchants=await coupons.merchants(),
        statistics=await coupons.statistics(),
        activities=await activities.listing(include_unpublished=True),
        error="",
    )


@post("/desk/activities/merchants", guards=[MANAGE], status_code=303)
async def add_merchant_page(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Add a merchant, or a batch of coupons for one."""
    form = await request.form()
    try:
        if form.get("what") == "batch":
            await coupons.add_batch(
                BatchIn(
                    merchant=form_number(form.get("merchant")) or 0,
                    title=form.get("title", ""),
                    kind="percent" if form.get("kind") == "percent" else "amount",
                    value=form_number(form.get("value")) or 0,
                    min_spend=form_number(form.get("min_spend")) or 0,
                    stock=form_number(form.get("stock")) or 0,
                    per_user=form_number(form.get("per_user")) or 1,
                    valid_from=_moment(newsplus, form.get("valid_from"), "valid_from", True),
                    valid_until=_moment(newsplus, form.get("valid_until"), "valid_until", True),
                    activity=form.get("activity", ""),
                    audience="participants" if form.get("audience") == "participants" else "everyone",
                )
            )
        else:
            await coupons.add_merchant(form.get("name", ""))
    except DomainError as error:
        _ = translator_for(request)
        return await page(
            request,
            "activities/desk/merchants.html",
            status_code=error.status_code,
            merchants=await coupons.merchants(),
            statistics=await coupons.statistics(),
            activities=await activities.listing(include_unpublished=True),
            error=_(error.detail, **error.params),
        )
    return Redirect("/desk/activities/merchants", status_code=303)


async def _redeem_page(request: Request, message: str = "", error: str = "", status_code: int = 200) -> Template:
    user = request.user
    own = sorted(user.departments_with("activities.redeem"))
    statistics = await coupons.statistics(None if user.can("activities.manage") else (own[0] if own else -1))
    return await page(
        request,
        "activities/desk/redeem.html",
        status_code=status_code,
        statistics=statistics,
        message=message,
        error=error,
    )


@get("/desk/activities/redeem", guards=[staff])
async def redeem_page(request: Request) -> Template:
    """A merchant's counter: type or scan a coupon's code; the merchant's statistics."""
    return await _redeem_page(request)


@post("/desk/activities/redeem", guards=[staff], status_code=200)
async def redeem_form(request: Request, newsplus: NewsplusDep) -> Template:
    """Redeem the coupon and say which it was (or why not)."""
    form = await request.form()
    _ = translator_for(request)
    try:
        newsplus.limiter.hit(f"activities-redeem:{request.user.id}", limit=120, per_seconds=60)
        done = await coupons.redeem(request.user, form.get("code", ""))
        return await _redeem_page(request, message=_("Redeemed: {title}", title=done["title"]))
    except DomainError as error:
        return await _redeem_page(request, error=_(error.detail, **error.params), status_code=error.status_code)


ROUTES: list[Any] = [
    list_page,
    new_page,
    create_page,
    scan_page,
    check_in_page,
    merchants_page,
    add_merchant_page,
    redeem_page,
    redeem_form,
    activity_page,
    update_page,
    roster_csv_page,
    candidate_page,
]
