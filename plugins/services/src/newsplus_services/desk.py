"""Desk pages of the life services: a department's application queue, one application's steps, the day's
bookings per resource with check-in."""

from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from newsplus import DomainError, NewsplusDep, NotFound, page, staff, translator_for
from newsplus_services import applications, bookings, registry
from newsplus_services.applications import MOVES

TABS = ("submitted", "accepted", "need_info", "approved", "rejected", "completed", "withdrawn")


@get("/desk/services", guards=[staff])
async def queue_page(
    request: Request, newsplus: NewsplusDep, status: FromQuery[str] = "submitted", before: FromQuery[int | None] = None
) -> Template:
    """The applications of the caller's departments (every one for managers) by status, newest first."""
    status = status if status in TABS else "submitted"
    found = await applications.queue(newsplus, request.user, status=status, before=before)
    return await page(
        request, "services/desk/queue.html", items=found["items"], next=found["next"], status=status, tabs=TABS
    )


@get("/desk/services/applications/{token:str}", guards=[staff])
async def application_page(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> Template:
    """One application: the answers and files in full, the timeline, and the steps the department may take."""
    item = await applications.view(newsplus, request.user, token)
    if not item["may_handle"]:
        raise NotFound("No such application")
    module = registry.modules(newsplus).get(item["module"])
    actions = [a for a, (allowed, _) in MOVES.items() if item["status"] in allowed]
    return await page(request, "services/desk/application.html", item=item, module=module, actions=actions, error="")


@post("/desk/services/applications/{token:str}/{action:str}", guards=[staff], status_code=303)
async def act_page(
    request: Request, newsplus: NewsplusDep, token: FromPath[str], action: FromPath[str]
) -> Response[Any]:
    """Take a step; a refused one shows the application again with the reason."""
    form = await request.form()
    try:
        await applications.act(newsplus, request.user, token, action, form.get("note", ""))
    except DomainError as error:
        _ = translator_for(request)
        item = await applications.view(newsplus, request.user, token)
        module = registry.modules(newsplus).get(item["module"])
        actions = [a for a, (allowed, _x) in MOVES.items() if item["status"] in allowed]
        return await page(
            request,
            "services/desk/application.html",
            status_code=error.status_code,
            item=item,
            module=module,
            actions=actions,
            error=_(error.detail, **error.params),
        )
    return Redirect(f"/desk/services/applications/{token}", status_code=303)


@get("/desk/services/bookings", guards=[staff])
async def day_page(request: Request, newsplus: NewsplusDep, day: FromQuery[date | None] = None) -> Template:
    """The day's bookings per resource, with a box to check a resident in by code."""
    day = day or bookings.local_today(newsplus)
    board = await bookings.day_list(newsplus, request.user, day)
    return await page(request, "services/desk/bookings.html", board=board, day=day, message="", error="")


@post("/desk/services/check-in", guards=[staff], status_code=303)
async def check_in_page(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Check a resident in by code (typed, or the button beside a booking); the list comes back with the result."""
    form = await request.form()
    _ = translator_for(request)
    message = error = ""
    status = 200
    try:
        row = await bookings.check_in(newsplus, request.user, form.get("code", ""))
        message = _("Checked in: {name}", name=row["name"])
    except DomainError as refused:
        error, status = _(refused.detail, **refused.params), refused.status_code
    day = bookings.local_today(newsplus)
    board = await bookings.day_list(newsplus, request.user, day)
    return await page(
        request, "services/desk/bookings.html", status_code=status, board=board, day=day, message=message, error=error
    )


ROUTES: list[Any] = [queue_page, application_page, act_page, day_page, check_in_page]
