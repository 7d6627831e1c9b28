"""H5 pages of the life services: the directory, a module's page (guide, FAQs, eligibility, related reading),
its application form and bookings, and the resident's own services, applications and bookings."""

from datetime import date, datetime, timedelta
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from newsplus import (
    DomainError,
    InvalidInput,
    NewsplusDep,
    anyone,
    field_errors,
    page,
    signed_in,
    tagged_articles,
    translator_for,
)
from newsplus_services import applications, bookings, favourites, registry, uploads
from newsplus_services.modules import GROUPS, check_eligibility


@get("/services", guards=[anyone])
async def directory_page(
    request: Request, newsplus: NewsplusDep, q: FromQuery[str] = "", group: FromQuery[str] = ""
) -> Template:
    """The service directory by group, with search and the resident's own services first."""
    kept = await favourites.kept(newsplus, request.scope.get("user"))
    found = registry.directory(newsplus, query=q[:50], group=group[:2])
    return await page(request, "services/directory.html", groups=found, kept=kept, q=q, group=group, all_groups=GROUPS)


@get("/services/mine", guards=[signed_in])
async def mine_page(request: Request, newsplus: NewsplusDep) -> Template:
    """My services, my applications and my bookings."""
    return await page(
        request,
        "services/mine.html",
        kept=await favourites.kept(newsplus, request.user),
        applications=(await applications.mine(newsplus, request.user))["items"],
        bookings=await bookings.mine(newsplus, request.user),
    )


@get("/services/{slug:str}", guards=[anyone])
async def module_page(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> Template:
    """A module: summary, guide, FAQs, the eligibility check (answered in the query), related articles."""
    module = registry.module(newsplus, slug)
    user = request.scope.get("user")
    answers = {q.name: request.query_params.get(f"q.{q.name}", "") for q in module.eligibility}
    checked = check_eligibility(module, answers) if request.query_params.get("check") else None
    kept = user is not None and any(m.slug == slug for m in await favourites.kept(newsplus, user))
    return await page(
        request,
        "services/module.html",
        module=module,
        group_label=GROUPS[module.group],
        answers=answers,
        checked=checked,
        kept=kept,
        related=await tagged_articles(newsplus, module.tags),
    )


@post("/services/{slug:str}/favourite", guards=[signed_in], status_code=303)
async def favourite_page(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> Redirect:
    """Keep the module in my services, or remove it."""
    form = await request.form()
    if form.get("keep") == "1":
        await favourites.keep(newsplus, request.user, slug)
    else:
        await favourites.drop(request.user, slug)
    return Redirect(f"/services/{registry.module(newsplus, slug).slug}", status_code=303)


async def _read_form(request: Request, newsplus: Any, module: Any, answers: dict[str, Any]) -> str:
    """Fill ``answers`` from the form and return the note. Typed values come first, so a refused file still
    leaves them for the page; each chosen file is stored now and carried as its token (kept across a refused
    send in ``<field>.kept``)."""
    form = await request.form()
    for field in module.form:
        answers[field.name] = form.get(f"{field.name}.kept" if field.type == "file" else field.name, "")
    for field in module.form:
        chosen = form.get(field.name) if field.type == "file" else None
        if not getattr(chosen, "filename", ""):
            continue
        try:
            answers[field.name], _ = await uploads.take_upload(newsplus, request.user, chosen)
        except DomainError as error:
            error.extra.setdefault("field", field.name)
            raise
    return form.get("note", "")


@get("/services/{slug:str}/apply", guards=[signed_in])
async def apply_page(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> Template:
    """The module's application form."""
    module = registry.module(newsplus, slug)
    if not module.form:
        raise InvalidInput("This service takes no online applications")
    return await page(request, "services/apply.html", module=module, values={}, errors={}, error="")


@post("/services/{slug:str}/apply", guards=[signed_in], status_code=303, request_max_body_size=64 * 1024 * 1024)
async def send_application_page(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> Response[Any]:
    """Send the application; on a mistake the form comes back as typed, every refused field marked."""
    module = registry.module(newsplus, slug)
    answers: dict[str, Any] = {}
    try:
        await _read_form(request, newsplus, module, answers)
        newsplus.limiter.hit(
            f"services-apply:{request.user.id}",
            limit=10,
            per_seconds=3600,
            detail="You have sent many applications in the last hour; please wait a little",
        )
        row = await applications.submit(newsplus, request.user, slug, answers)
    except DomainError as error:
        _ = translator_for(request)
        return await page(
            request,
            "services/apply.html",
            status_code=error.status_code,
            module=module,
            values=answers,
            errors=field_errors(request, error),
            error=_(error.detail, **error.params),
        )
    return Redirect(f"/services/applications/{row['token']}?sent=1", status_code=303)


@get("/services/applications/{token:str}", guards=[signed_in])
async def application_page(
    request: Request, newsplus: NewsplusDep, token: FromPath[str], sent: FromQuery[str] = ""
) -> Template:
    """One application: where it stands, every step, and the supplement form when the department asks."""
    item = await applications.view(newsplus, request.user, token)
    module = registry.modules(newsplus).get(item["module"])
    return await page(
        request, "services/application.html", item=item, module=module, sent=sent, values={}, errors={}, error=""
    )


@post(
    "/services/applications/{token:str}/supplement",
    guards=[signed_in],
    status_code=303,
    request_max_body_size=64 * 1024 * 1024,
)
async def supplement_page(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> Response[Any]:
    """Send what the department asked for."""
    item = await applications.view(newsplus, request.user, token)
    module = registry.module(newsplus, item["module"])
    answers: dict[str, Any] = {}
    try:
        note = await _read_form(request, newsplus, module, answers)
        await applications.supplement(newsplus, request.user, token, answers, note)
    except DomainError as error:
        _ = translator_for(request)
        return await page(
            request,
            "services/application.html",
            status_code=error.status_code,
            item=item,
            module=module,
            sent="",
            values=answers,
            errors=field_errors(request, error),
            error=_(error.detail, **error.params),
        )
    return Redirect(f"/services/applications/{token}", status_code=303)


@post("/services/applications/{token:str}/withdraw", guards=[signed_in], status_code=303)
async def withdraw_page(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> Redirect:
    """Take back an open application."""
    await applications.withdraw(newsplus, request.user, token)
    return Redirect(f"/services/applications/{token}", status_code=303)


def _days(newsplus: Any, resource: Any) -> list[date]:
    """The next days (up to 7) the resource opens on."""
    today = bookings.local_today(newsplus)
    found = []
    for offset in range(resource.days_ahead + 1):
        day = today + timedelta(days=offset)
        if (
            resource.slot_starts(day, bookings.zone(newsplus))
            and day.isoformat() not in newsplus.plugin_settings["services"].holidays
        ):
            found.append(day)
        if len(found) == 7:
            break
    return found


@get("/services/{slug:str}/book", guards=[signed_in])
async def book_page(
    request: Request,
    newsplus: NewsplusDep,
    slug: FromPath[str],
    resource: FromQuery[str] = "",
    day: FromQuery[date | None] = None,
    move: FromQuery[str] = "",
) -> Template:
    """Choose a resource, a day and a slot (or a new slot for a booking being moved)."""
    return await _booking_form(request, newsplus, slug, resource, day, move)


async def _booking_form(
    request: Request,
    newsplus: Any,
    slug: str,
    resource: str,
    day: date | None,
    move: str,
    error: str = "",
    status_code: int = 200,
) -> Template:
    module = registry.module(newsplus, slug)
    if not module.resources:
        raise InvalidInput("This service takes no bookings")
    chosen = module.resource(resource) or module.resources[0]
    days = _days(newsplus, chosen)
    day = day or (days[0] if days else bookings.local_today(newsplus))
    return await page(
        request,
        "services/book.html",
        status_code=status_code,
        module=module,
        chosen=chosen,
        days=days,
        day=day,
        slots=await bookings.slots(newsplus, slug, chosen.slug, day),
        move=move,
        error=error,
    )


@post("/services/{slug:str}/book", guards=[signed_in], status_code=303)
async def send_booking_page(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> Response[Any]:
    """Book the chosen slot (or move a booking to it); a full slot or a passed time comes back with the reason."""
    form = await request.form()
    resource, move = form.get("resource", ""), form.get("move", "")
    try:
        try:
            starts_at = datetime.fromisoformat(form.get("starts_at", ""))
        except ValueError:
            raise InvalidInput("There is no booking at this time; please choose a listed one") from None
        if move:
            row = await bookings.reschedule(newsplus, request.user, move, starts_at)
        else:
            newsplus.limiter.hit(
                f"services-book:{request.user.id}",
                limit=20,
                per_seconds=3600,
                detail="Too many bookings; please wait a little",
            )
            row = await bookings.book(newsplus, request.user, slug, resource, starts_at, phone=form.get("phone", ""))
    except DomainError as error:
        _ = translator_for(request)
        day = bookings.local_today(newsplus)
        try:
            day = datetime.fromisoformat(form.get("starts_at", "")).astimezone(bookings.zone(newsplus)).date()
        except ValueError:
            pass
        message = _(error.detail, **error.params)
        return await _booking_form(request, newsplus, slug, resource, day, move, message, error.status_code)
    return Redirect(f"/services/bookings/{row['token']}", status_code=303)


@get("/services/bookings/{token:str}", guards=[signed_in])
async def booking_page(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> Template:
    """One booking: when and where, the check-in code, cancel or move."""
    item = await bookings.view(newsplus, request.user, token)
    module = registry.modules(newsplus).get(item["module"])
    return await page(request, "services/booking.html", item=item, module=module)


@post("/services/bookings/{token:str}/cancel", guards=[signed_in], status_code=303)
async def cancel_page(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> Redirect:
    """Cancel the booking."""
    await bookings.cancel(newsplus, request.user, token)
    return Redirect(f"/services/bookings/{token}", status_code=303)


ROUTES: list[Any] = [
    directory_page,
    mine_page,
    module_page,
    favourite_page,
    apply_page,
    send_application_page,
    application_page,
    supplement_page,
    withdraw_page,
    book_page,
    send_booking_page,
    booking_page,
    cancel_page,
]
