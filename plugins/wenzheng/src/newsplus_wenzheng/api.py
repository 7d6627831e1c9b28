"""The 问政 API under /api/v1/wenzheng: residents write, follow and rate; staff dispatch and handle."""

import csv
import io
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, Router, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from newsplus import (
    Forbidden,
    InvalidInput,
    NewsplusDep,
    anyone,
    now,
    read_upload,
    requires,
    signed_in,
    spreadsheet_cell,
    staff,
    verify,
)
from newsplus_wenzheng import inquiries, rates, workflow
from newsplus_wenzheng.deadlines import past_deadline
from newsplus_wenzheng.schemas import Action, InquiryIn, Rating, RuleIn, TemplateIn
from newsplus_wenzheng.tables import Inquiry, ReplyTemplate, RoutingRule
from newsplus_wenzheng.targets import Callback, receive_callback

DISPATCH = requires("wenzheng.dispatch")
SUPERVISE = requires("wenzheng.supervise")


@get("/categories", guards=[anyone])
async def list_categories(newsplus: NewsplusDep) -> list[dict[str, Any]]:
    """The categories residents choose from, with their own form fields and deadlines (working days)."""
    return [msgspec.to_builtins(c) for c in inquiries.categories(newsplus).values()]


@post("/inquiries", guards=[signed_in], status_code=HTTP_201_CREATED)
async def submit(request: Request, newsplus: NewsplusDep, data: JSONBody[InquiryIn]) -> dict[str, Any]:
    """Write an inquiry; the answer carries its tracking number and the token of its page."""
    newsplus.limiter.hit(
        f"wenzheng-submit:{request.user.id}",
        limit=10,
        per_seconds=3600,
        detail="You have written many inquiries in the last hour; please wait a little",
    )
    row = await inquiries.submit(newsplus, request.user, data)
    return {"number": row.number, "token": row.token, "status": row.status, "response_due_at": row.response_due_at}


@post(
    "/inquiries/{token:str}/photos",
    guards=[signed_in],
    status_code=HTTP_201_CREATED,
    request_max_body_size=64 * 1024 * 1024,
)
async def add_photo(
    request: Request,
    newsplus: NewsplusDep,
    token: FromPath[str],
    data: Annotated[dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> dict[str, str]:
    """Attach a photo (field ``file``; JPEG, PNG, GIF or WebP, re-encoded)."""
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("Choose a file", extra={"field": "file"})
    return await inquiries.add_photo(newsplus, request.user, token, await read_upload(newsplus, upload))


@get("/inquiries/mine", guards=[signed_in])
async def mine(
    request: Request, newsplus: NewsplusDep, before: FromQuery[int | None] = None, limit: FromQuery[int] = 20
) -> dict[str, Any]:
    """The caller's own inquiries, newest first."""
    return await inquiries.mine(newsplus, request.user, before=before, limit=limit)


@get("/board", guards=[anyone])
async def board(
    newsplus: NewsplusDep, before: FromQuery[int | None] = None, limit: FromQuery[int] = 20
) -> dict[str, Any]:
    """Public inquiries and their replies, personal details masked."""
    return await inquiries.board(newsplus, before=before, limit=limit)


@get("/inquiries/{token:str}", guards=[anyone])
async def read(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> dict[str, Any]:
    """One inquiry with its timeline: all of it for its resident and the staff on it, masked for others."""
    return await inquiries.view(newsplus, request.scope.get("user"), token)


@post("/inquiries/{token:str}/rate", guards=[signed_in], status_code=200)
async def rate(request: Request, newsplus: NewsplusDep, token: FromPath[str], data: JSONBody[Rating]) -> dict[str, Any]:
    """Rate the reply: 满意 / 基本满意 close it, 不满意 sends it back to the department."""
    row = await workflow.rate(newsplus, request.user, token, data.rating, data.comment)
    return {"status": row["status"], "rating": data.rating}


@get("/queue", guards=[staff])
async def queue(
    request: Request,
    newsplus: NewsplusDep,
    status: FromQuery[str] = "",
    overdue: FromQuery[bool] = False,
    before: FromQuery[int | None] = None,
    limit: FromQuery[int] = 20,
) -> dict[str, Any]:
    """Inquiries to work on: everything for dispatchers and supervisors, a department's own for its handlers."""
    user = request.user
    where = Inquiry.id > 0
    if not (user.can("wenzheng.dispatch") or user.can("wenzheng.supervise")):
        departments = sorted(user.departments_with("wenzheng.handle"))
        if not departments:
            raise Forbidden("You do not have permission to do this")
        where = Inquiry.department.is_in(departments)
    if status:
        where &= Inquiry.status == status
    if overdue:
        where &= past_deadline(now())
    return await inquiries.listing(newsplus, where, before=before, limit=limit, seen_by="staff")


@post("/inquiries/{token:str}/{action:str}", guards=[staff], status_code=200)
async def act(
    request: Request, newsplus: NewsplusDep, token: FromPath[str], action: FromPath[str], data: JSONBody[Action]
) -> dict[str, Any]:
    """A staff step: accept, reject, dispatch, sign, progress, reply, return, close, merge, deadline."""
    row = await workflow.act(
        newsplus,
        request.user,
        token,
        action,
        note=data.note,
        department=data.department,
        days=data.days,
        into=data.into,
    )
    return {"status": row["status"], "department": row["department"]}


@get("/rules", guards=[DISPATCH])
async def list_rules() -> list[dict[str, Any]]:
    """Routing rules: category × street → department."""
    return await RoutingRule.select().order_by(RoutingRule.category).order_by(RoutingRule.id)


@post("/rules", guards=[DISPATCH], status_code=HTTP_201_CREATED)
async def add_rule(newsplus: NewsplusDep, data: JSONBody[RuleIn]) -> dict[str, int]:
    """Add a routing rule."""
    await workflow.check_rule(newsplus, data.department, data.street, data.category)
    row = RoutingRule(category=data.category, street=data.street, department=data.department)
    await row.save()
    return {"id": row.id}


@delete("/rules/{rule_id:int}", guards=[DISPATCH], status_code=HTTP_204_NO_CONTENT)
async def remove_rule(rule_id: FromPath[int]) -> None:
    """Remove a routing rule."""
    await RoutingRule.delete().where(RoutingRule.id == rule_id)


@get("/templates", guards=[staff])
async def list_templates(category: FromQuery[str] = "") -> list[dict[str, Any]]:
    """Reply templates (for one category and the general ones)."""
    query = ReplyTemplate.select().order_by(ReplyTemplate.title)
    if category:
        query = query.where(ReplyTemplate.category.is_in([category, ""]))
    return await query


@post("/templates", guards=[DISPATCH], status_code=HTTP_201_CREATED)
async def add_template(data: JSONBody[TemplateIn]) -> dict[str, int]:
    """Add a reply template."""
    if not data.title.strip() or not data.body.strip():
        raise InvalidInput("A template needs a title and a body", extra={"field": "title"})
    row = ReplyTemplate(title=data.title.strip()[:100], body=data.body.strip(), category=data.category)
    await row.save()
    return {"id": row.id}


@get("/rates", guards=[SUPERVISE])
async def read_rates(
    newsplus: NewsplusDep, month: FromQuery[str], by: FromQuery[str] = "department", format: FromQuery[str] = "json"
) -> Any:
    """Rates of one month (YYYY-MM) by department, street, category or month; ``format=csv`` to download."""
    zone = ZoneInfo(newsplus.settings.site.timezone)
    start, end = rates.month_range(month, zone)
    table = await rates.rates(by, start, end, zone)
    if format != "csv":
        return table
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(table[0]) if table else ["key"])
    writer.writeheader()
    writer.writerows({key: spreadsheet_cell(value) for key, value in row.items()} for row in table)
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="wenzheng-{month}-{by}.csv"'},
    )


@post("/callback", guards=[anyone], status_code=200)
async def callback(request: Request, newsplus: NewsplusDep) -> dict[str, Any]:
    """Status updates from the handling platform, signed like what it receives (X-Newsplus-Signature)."""
    body = await request.body()
    if not verify(
        newsplus.plugin_settings["wenzheng"].platform_secret, body, request.headers.get("x-newsplus-signature", "")
    ):
        raise Forbidden("The signature does not match")
    try:
        data = msgspec.json.decode(body, type=Callback)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InvalidInput("The request data is invalid: {reason}", reason=str(exc)) from None
    return await receive_callback(newsplus, data)


router = Router(
    path="/api/v1/wenzheng",
    route_handlers=[
        list_categories,
        submit,
        add_photo,
        mine,
        board,
        read,
        rate,
        queue,
        list_rules,
        add_rule,
        remove_rule,
        list_templates,
        add_template,
        read_rates,
        callback,
        act,
    ],
    tags=["wenzheng"],
)
