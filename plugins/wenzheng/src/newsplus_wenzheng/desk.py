"""Desk pages of 问政: the dispatcher console, a department's queue, one inquiry's actions, rates, routing rules."""

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from piccolo.query.functions.aggregate import Count

from newsplus import (
    DomainError,
    Forbidden,
    InvalidInput,
    NewsplusDep,
    form_number,
    now,
    page,
    requires,
    staff,
    translator_for,
)
from newsplus.users.tables import Department
from newsplus_wenzheng import inquiries, rates, workflow
from newsplus_wenzheng.deadlines import open_inquiries, past_deadline
from newsplus_wenzheng.tables import Inquiry, ReplyTemplate, RoutingRule
from newsplus_wenzheng.workflow import check_rule

DISPATCH = requires("wenzheng.dispatch")
SUPERVISE = requires("wenzheng.supervise")


TABS = ("submitted", "accepted", "dispatched", "signed", "in_progress", "replied", "closed")


@get("/desk/wenzheng", guards=[SUPERVISE])
async def console(
    request: Request,
    newsplus: NewsplusDep,
    status: FromQuery[str] = "submitted",
    overdue: FromQuery[bool] = False,
    escalated: FromQuery[bool] = False,
    before: FromQuery[int | None] = None,
) -> Template:
    """The dispatchers' and supervisors' console: the queue by status, the overdue and escalated (督办) lists."""
    if overdue:
        where = past_deadline(now())
    elif escalated:
        where = open_inquiries() & Inquiry.escalated_at.is_not_null()
    else:
        where = Inquiry.status == (status if status in TABS else "submitted")
    # The oldest first: they are the nearest to their deadlines.
    items = await inquiries.listing(newsplus, where, before=before, limit=50, seen_by="staff", oldest_first=True)
    grouped = (
        await Inquiry.select(Inquiry.status, Count(Inquiry.id).as_alias("n"))
        .where(Inquiry.status.is_in(list(TABS[:6])))
        .group_by(Inquiry.status)
    )
    counts = {r["status"]: r["n"] for r in grouped}
    return await page(
        request,
        "wenzheng/desk/console.html",
        items=items["items"],
        next=items["next"],
        status=status,
        overdue=overdue,
        escalated=escalated,
        tabs=TABS,
        counts=counts,
    )


@get("/desk/wenzheng/queue", guards=[staff])
async def department_queue(request: Request, newsplus: NewsplusDep, before: FromQuery[int | None] = None) -> Template:
    """A department's open inquiries, oldest first: to sign for, in progress, back from the resident
    (every department's for those who handle, dispatch or supervise district-wide)."""
    user = request.user
    where = open_inquiries()
    if not any(user.can(p) for p in ("wenzheng.handle", "wenzheng.dispatch", "wenzheng.supervise")):
        departments = sorted(user.departments_with("wenzheng.handle"))
        if not departments:
            raise Forbidden("This page is for department handlers")
        where &= Inquiry.department.is_in(departments)
    items = await inquiries.listing(newsplus, where, before=before, limit=50, seen_by="staff", oldest_first=True)
    return await page(request, "wenzheng/desk/queue.html", items=items["items"], next=items["next"])


@get("/desk/wenzheng/{token:str}", guards=[staff])
async def detail(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> Template:
    """One inquiry with every detail and the actions this staff member may take now."""
    return await _detail_page(request, newsplus, token)


async def _detail_page(request: Request, newsplus: Any, token: str, error: str = "", status: int = 200) -> Template:
    row = await inquiries.by_token(token)
    inquiries.require_staff_view(request.user, row)
    item = await inquiries.view(newsplus, request.user, token)
    departments = await Department.select(Department.id, Department.name, Department.kind).order_by(Department.position)
    templates = await ReplyTemplate.select().where(ReplyTemplate.category.is_in([row["category"], ""]))
    suggested = await workflow.route(row["category"], row["street"])
    return await page(
        request,
        "wenzheng/desk/detail.html",
        item=item,
        row=row,
        departments=departments,
        templates=templates,
        suggested=suggested,
        fields=getattr(inquiries.categories(newsplus).get(row["category"]), "fields", ()),
        dispatcher=request.user.can("wenzheng.dispatch"),
        handler=row["department"] is not None and request.user.can_in("wenzheng.handle", row["department"]),
        error=error,
        status_code=status,
    )


@post("/desk/wenzheng/{token:str}", guards=[staff], status_code=303)
async def act_page(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> Response[Any]:
    """An action button of the detail page."""
    form = await request.form()
    department, days = form_number(form.get("department", "")), form_number(form.get("days", ""))
    try:
        await workflow.act(
            newsplus,
            request.user,
            token,
            form.get("action", ""),
            note=form.get("note", ""),
            department=department,
            days=days,
            into=form.get("into", ""),
        )
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        _ = translator_for(request)
        return await _detail_page(request, newsplus, token, _(error.detail, **error.params), error.status_code)
    return Redirect(f"/desk/wenzheng/{token}", status_code=303)


@get("/desk/wenzheng/rates", guards=[SUPERVISE])
async def rates_page(
    request: Request, newsplus: NewsplusDep, month: FromQuery[str] = "", by: FromQuery[str] = "department"
) -> Template:
    """Rates of a month with a ranking chart; CSV through the API."""
    zone = ZoneInfo(newsplus.settings.site.timezone)
    month = month or (now().astimezone(zone).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    start, end = rates.month_range(month, zone)
    table = await rates.rates(by if by in rates.DIMENSIONS else "department", start, end, zone)
    return await page(request, "wenzheng/desk/rates.html", table=table, month=month, by=by, dimensions=rates.DIMENSIONS)


@get("/desk/wenzheng/rules", guards=[DISPATCH])
async def rules_page(request: Request, newsplus: NewsplusDep) -> Template:
    """Routing rules (category × street → department) and reply templates."""
    rules = await RoutingRule.select(
        RoutingRule.all_columns(),
        RoutingRule.street.name.as_alias("street_name"),
        RoutingRule.department.name.as_alias("department_name"),
    )
    departments = await Department.select(Department.id, Department.name, Department.kind).order_by(Department.position)
    return await page(
        request,
        "wenzheng/desk/rules.html",
        rules=rules,
        departments=departments,
        categories=list(inquiries.categories(newsplus).values()),
        names={c.code: c.name for c in inquiries.categories(newsplus).values()},
        templates=await ReplyTemplate.select().order_by(ReplyTemplate.title),
    )


@post("/desk/wenzheng/rules", guards=[DISPATCH], status_code=303)
async def rules_form(request: Request, newsplus: NewsplusDep) -> Redirect:
    """Add a routing rule or a reply template; or remove a rule."""
    form = await request.form()
    if form_number(form.get("remove", "")) is not None:
        await RoutingRule.delete().where(RoutingRule.id == form_number(form["remove"]))
    elif form.get("template_title"):
        if not form.get("template_body", "").strip():
            raise InvalidInput("A template needs a title and a body", extra={"field": "template_body"})
        await ReplyTemplate(
            title=form["template_title"].strip()[:100],
            body=form["template_body"].strip(),
            category=form.get("template_category", ""),
        ).save()
    else:
        department, street, category = form.get("department", ""), form.get("street", ""), form.get("category", "")
        await check_rule(newsplus, form_number(department), form_number(street), category)
        await RoutingRule(category=category, street=form_number(street), department=form_number(department)).save()
    return Redirect("/desk/wenzheng/rules", status_code=303)


ROUTES: list[Any] = [console, department_queue, rates_page, rules_page, rules_form, detail, act_page]
