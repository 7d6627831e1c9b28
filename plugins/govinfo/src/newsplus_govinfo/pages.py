"""H5 pages of the 政务 tab: every department's notices in one place with filters and search, the department
directory, a department's page, one notice, following categories and departments."""

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from newsplus import InvalidInput, NewsplusDep, NotFound, anyone, form_number, page, signed_in
from newsplus.users.tables import Department
from newsplus.web.links import is_safe_link
from newsplus_govinfo import reading, subscriptions
from newsplus_govinfo.settings import LEVELS


@get("/govinfo", guards=[anyone])
async def tab_page(
    request: Request,
    newsplus: NewsplusDep,
    level: FromQuery[str] = "",
    category: FromQuery[str] = "",
    department: FromQuery[str] = "",
    q: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
) -> Template:
    """The 政务 tab: notices of every level and department, filtered and searched."""
    found = await reading.listing(
        newsplus, level=level, category=category, department=form_number(department), query=q[:50], cursor=cursor
    )
    return await page(
        request,
        "govinfo/tab.html",
        feed=found,
        levels=LEVELS,
        categories=newsplus.plugin_settings["govinfo"].categories,
        departments=[d for d in await reading.directory() if d["notices"]],
        chosen={"level": level, "category": category, "department": form_number(department), "q": q},
        following=await subscriptions.following(request.scope.get("user")),
    )


@get("/govinfo/departments", guards=[anyone])
async def directory_page(request: Request) -> Template:
    """Every bureau and street office, with its count of notices."""
    return await page(request, "govinfo/departments.html", departments=await reading.directory())


@get("/govinfo/departments/{department_id:int}", guards=[anyone])
async def department_page(
    request: Request, newsplus: NewsplusDep, department_id: FromPath[int], cursor: FromQuery[str | None] = None
) -> Template:
    """One department's notices, and following it."""
    row = await Department.select(Department.id, Department.name).where(Department.id == department_id).first()
    if row is None:
        raise NotFound("No such department")
    return await page(
        request,
        "govinfo/department.html",
        department=row,
        feed=await reading.listing(newsplus, department=department_id, cursor=cursor),
        following=await subscriptions.following(request.scope.get("user")),
    )


@get("/govinfo/notices/{article_id:int}", guards=[anyone])
async def notice_page(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> Template:
    """One notice: who issued it, its 文号 and dates, the text, attachments, the original, interpretations."""
    item = await reading.notice(newsplus, article_id)
    following = await subscriptions.following(request.scope.get("user"))
    return await page(request, "govinfo/notice.html", item=item, following=following)


@post("/govinfo/follow", guards=[signed_in], status_code=303)
async def follow_page(request: Request, newsplus: NewsplusDep) -> Redirect:
    """Follow or stop following a category or a department, then go back."""
    form = await request.form()
    kind, value = form.get("kind", ""), form.get("value", "")
    if kind not in ("category", "department"):
        raise InvalidInput("Choose a category or a department", extra={"field": "kind"})
    if form.get("on") == "1":
        await subscriptions.follow(newsplus, request.user, kind, value)
    else:
        await subscriptions.unfollow(request.user, kind, value)
    back = form.get("next", "")
    return Redirect(back if back.startswith("/") and is_safe_link(back) else "/govinfo", status_code=303)


ROUTES: list[Any] = [tab_page, directory_page, department_page, notice_page, follow_page]
