"""Desk pages of government information: a department's notices and the form to write one, review, pop-ups,
pinned livelihood topics, imports with their progress and report."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from newsplus import (
    DomainError,
    Forbidden,
    InvalidInput,
    NewsplusDep,
    form_number,
    page,
    read_upload,
    requires,
    staff,
    translator_for,
)
from newsplus.content.tables import Topic
from newsplus.users.tables import Department
from newsplus_govinfo import imports, notices, outreach
from newsplus_govinfo.schemas import Attachment, NoticeIn, PinIn, PopupIn
from newsplus_govinfo.settings import LEVELS

REVIEW = requires("govinfo.review")
MANAGE = requires("govinfo.manage")
IMPORT = requires("govinfo.import")
STATUSES = ("draft", "submitted", "rejected", "published", "scheduled", "unpublished")


def _date(value: str, field: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Give a date as YYYY-MM-DD", extra={"field": field}) from None


def _moment(newsplus: Any, value: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidInput("Give a date and time", extra={"field": field}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(newsplus.settings.site.timezone))


def _notice_in(form: Any) -> NoticeIn:
    """A notice from the desk form (attachments one per line as ``name | address``; explained ids by comma)."""
    attachments = []
    for line in (form.get("attachments") or "").splitlines():
        if line.strip():
            name, _, url = line.partition("|")
            attachments.append(Attachment(name=name.strip(), url=url.strip()))
    explains = [n for n in (form_number(x) for x in (form.get("explains") or "").replace("，", ",").split(",")) if n]
    kind = form.get("kind") if form.get("kind") in ("notice", "interpretation") else "notice"
    return NoticeIn(
        title=form.get("title", ""),
        level=form.get("level", ""),
        category=form.get("category", ""),
        department=form_number(form.get("department")),
        kind=kind,
        summary=form.get("summary", ""),
        body=form.get("body", ""),
        doc_number=form.get("doc_number", ""),
        effective_on=_date(form.get("effective_on", ""), "effective_on"),
        expires_on=_date(form.get("expires_on", ""), "expires_on"),
        original_url=form.get("original_url", ""),
        attachments=attachments,
        explains=explains,
        revision=form_number(form.get("revision")) or 0,
    )


async def _form(request: Request, newsplus: Any, **context: Any) -> Template:
    departments = await Department.select(Department.id, Department.name).where(
        Department.kind.is_in(["bureau", "street"])
    )
    user = request.user
    if not user.can("govinfo.review"):
        mine = user.departments_with("govinfo.publish")
        departments = [d for d in departments if d["id"] in mine]
    context.setdefault("form", {})
    context.setdefault("error", "")
    return await page(
        request,
        "govinfo/desk/form.html",
        levels=LEVELS,
        categories=newsplus.plugin_settings["govinfo"].categories,
        departments=departments,
        status_code=context.pop("status_code", 200),
        **context,
    )


@get("/desk/govinfo", guards=[staff])
async def list_page(request: Request, status: FromQuery[str] = "") -> Template:
    """The notices of the caller's departments (every one for editors), by status."""
    status = status if status in STATUSES else ""
    items = await notices.desk_list(request.user, status=status)
    return await page(request, "govinfo/desk/list.html", items=items, status=status, statuses=STATUSES, levels=LEVELS)


@get("/desk/govinfo/new", guards=[staff])
async def new_page(request: Request, newsplus: NewsplusDep) -> Template:
    """The form to write a notice or an interpretation."""
    return await _form(request, newsplus, action="/desk/govinfo/new")


@post("/desk/govinfo/new", guards=[staff], status_code=303)
async def create_page(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Save the new notice as a draft; a mistake brings the form back as typed."""
    form = await request.form()
    try:
        article_id = await notices.create(newsplus, request.user, _notice_in(form))
    except DomainError as error:
        _ = translator_for(request)
        return await _form(
            request,
            newsplus,
            action="/desk/govinfo/new",
            form=dict(form),
            error=_(error.detail, **error.params),
            status_code=error.status_code,
        )
    return Redirect(f"/desk/govinfo/notices/{article_id}", status_code=303)


@get("/desk/govinfo/notices/{article_id:int}", guards=[staff])
async def notice_page(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> Template:
    """A notice with what the caller may do next: edit and submit, approve or reject, pop it up."""
    return await _notice(request, newsplus, article_id)


async def _notice(
    request: Request, newsplus: Any, article_id: int, error: str = "", status_code: int = 200
) -> Template:
    item = await notices.desk_view(request.user, article_id)
    streets = await Department.select(Department.id, Department.name, Department.kind).where(
        Department.kind.is_in(["street", "community"])
    )
    form = {
        **item,
        "effective_on": item["effective_on"] or "",
        "expires_on": item["expires_on"] or "",
        "attachments": "\n".join(f"{a['name']} | {a['url']}" for a in item["attachments"]),
        "explains": ", ".join(str(i) for i in item["explains"]),
    }
    return await _form(
        request,
        newsplus,
        action=f"/desk/govinfo/notices/{article_id}/edit",
        item=item,
        form=form,
        streets=streets,
        error=error,
        status_code=status_code,
    )


@post("/desk/govinfo/notices/{article_id:int}/{action:str}", guards=[staff], status_code=303)
async def act_page(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], action: FromPath[str]
) -> Response[Any]:
    """Edit, submit, approve, reject or pop up a notice; a refusal shows the notice with the reason."""
    form = await request.form()
    user = request.user
    try:
        if action == "edit":
            await notices.update(newsplus, user, article_id, _notice_in(form))
        elif action == "submit":
            await notices.submit(newsplus, user, article_id)
        elif action in ("approve", "reject"):
            if not user.can("govinfo.review"):
                raise Forbidden("You do not have permission to do this")
            await notices.decide(newsplus, user, article_id, action, form.get("comment", ""))
        elif action == "popup":
            if not user.can("govinfo.manage"):
                raise Forbidden("You do not have permission to do this")
            await outreach.pop_up(
                newsplus,
                user,
                article_id,
                PopupIn(
                    starts_at=_moment(newsplus, form.get("starts_at", ""), "starts_at"),
                    ends_at=_moment(newsplus, form.get("ends_at", ""), "ends_at"),
                    streets=[
                        n for n in map(form_number, form.getall("streets", []) if hasattr(form, "getall") else []) if n
                    ],
                    communities=[
                        n
                        for n in map(form_number, form.getall("communities", []) if hasattr(form, "getall") else [])
                        if n
                    ],
                    tags=[t.strip() for t in (form.get("tags") or "").split(",") if t.strip()],
                ),
            )
        else:
            raise InvalidInput("Unknown action {action}", action=action)
    except DomainError as error:
        _ = translator_for(request)
        return await _notice(request, newsplus, article_id, _(error.detail, **error.params), error.status_code)
    return Redirect(f"/desk/govinfo/notices/{article_id}", status_code=303)


async def _live_topics() -> set[str]:
    """Slugs of the topics that exist (a category's topic appears with its first notice, or its first pin)."""
    return {r["slug"] for r in await Topic.select(Topic.slug)}


@get("/desk/govinfo/topics", guards=[MANAGE])
async def topics_page(request: Request, newsplus: NewsplusDep) -> Template:
    """The livelihood topics by category, with a form to pin each on the home page for a while."""
    settings = newsplus.plugin_settings["govinfo"]
    return await page(request, "govinfo/desk/topics.html", topics=settings.topics, live=await _live_topics(), error="")


@post("/desk/govinfo/topics/{category:str}/pin", guards=[MANAGE], status_code=303)
async def pin_page(request: Request, newsplus: NewsplusDep, category: FromPath[str]) -> Response[Any]:
    """Pin a category's topic on the home page from one moment to another."""
    form = await request.form()
    try:
        data = PinIn(
            starts_at=_moment(newsplus, form.get("starts_at", ""), "starts_at"),
            ends_at=_moment(newsplus, form.get("ends_at", ""), "ends_at"),
        )
        await outreach.pin_topic(newsplus, request.user, category, data)
    except DomainError as error:
        _ = translator_for(request)
        settings = newsplus.plugin_settings["govinfo"]
        return await page(
            request,
            "govinfo/desk/topics.html",
            status_code=error.status_code,
            topics=settings.topics,
            error=_(error.detail, **error.params),
        )
    return Redirect("/desk/content/arrange", status_code=303)


@get("/desk/govinfo/imports", guards=[IMPORT])
async def imports_page(request: Request) -> Template:
    """Upload a CSV or JSON file of notices; the latest imports."""
    return await page(request, "govinfo/desk/imports.html", runs=await imports.runs(), error="")


@post("/desk/govinfo/imports", guards=[IMPORT], status_code=303, request_max_body_size=64 * 1024 * 1024)
async def upload_page(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Start an import and follow its progress."""
    form = await request.form()
    upload = form.get("file")
    try:
        if not getattr(upload, "filename", ""):
            raise InvalidInput("Choose a file", extra={"field": "file"})
        run_id = await imports.start(newsplus, request.user, upload.filename, await read_upload(newsplus, upload))
    except DomainError as error:
        _ = translator_for(request)
        return await page(
            request,
            "govinfo/desk/imports.html",
            status_code=error.status_code,
            runs=await imports.runs(),
            error=_(error.detail, **error.params),
        )
    return Redirect(f"/desk/govinfo/imports/{run_id}", status_code=303)


@get("/desk/govinfo/imports/{run_id:int}", guards=[IMPORT])
async def import_page(request: Request, run_id: FromPath[int]) -> Template:
    """An import's progress bar (the page refreshes itself while it runs) and its report."""
    return await page(request, "govinfo/desk/import.html", run=await imports.report(run_id, translator_for(request)))


ROUTES: list[Any] = [
    list_page,
    new_page,
    create_page,
    notice_page,
    act_page,
    topics_page,
    pin_page,
    imports_page,
    upload_page,
    import_page,
]
