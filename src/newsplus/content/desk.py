"""The desk's front page for editors (dashboard), the planning board and reach statistics."""

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from newsplus.clock import now
from newsplus.content import organise, reach, workflow
from newsplus.content.channels import channel_tree
from newsplus.content.schemas import PlanningIn
from newsplus.content.tables import Article, Pin, PlanningItem, Topic
from newsplus.errors import DomainError, InvalidInput
from newsplus.runtime import NewsplusDep
from newsplus.users.access import requires
from newsplus.users.accounts import staff_accounts
from newsplus.users.tables import User
from newsplus.web.render import page, translator_for

EDIT = requires("content.edit")


async def awaiting_review(newsplus: Any, user: Any) -> list[dict[str, Any]]:
    """Articles waiting at a step this user may pass (not their own, not a step they passed already)."""
    rows = (
        await Article.select(
            Article.id, Article.title, Article.author, Article.review_step, Article.chain, Article.updated_at
        )
        .where(Article.status == "submitted")
        .order_by(Article.updated_at)
        .limit(300)
    )
    distinct = newsplus.plugin_settings["content"].distinct_reviewers
    ids = [r["id"] for r in rows]
    passed, writers = (await workflow.passed_by(ids), await workflow.writers_of(ids)) if distinct else ({}, {})
    waiting = []
    for row in rows:
        step = workflow.chain_of(newsplus, row)[row["review_step"]]
        if not user.holds(step.role):
            continue
        if distinct and (row["author"] == user.id or user.id in passed[row["id"]] or user.id in writers[row["id"]]):
            continue
        waiting.append({**row, "step": step.name})
    return waiting


async def scheduled_calendar(newsplus: Any, days: int = 14) -> list[tuple[str, list[dict[str, Any]]]]:
    """What goes live or ends in the coming days, by local date: articles, topics, pins."""
    zone = ZoneInfo(newsplus.settings.site.timezone)
    start, end = now(), now() + timedelta(days=days)
    entries: list[dict[str, Any]] = []
    for row in await Article.select(Article.id, Article.title, Article.published_at).where(
        (Article.status == "scheduled") & (Article.published_at >= start) & (Article.published_at < end)
    ):
        entries.append(
            {
                "at": row["published_at"],
                "what": "goes live",
                "title": row["title"],
                "url": f"/desk/content/articles/{row['id']}",
            }
        )
    for row in await Article.select(Article.id, Article.title, Article.expire_at).where(
        Article.status.is_in(["published", "scheduled"]) & (Article.expire_at >= start) & (Article.expire_at < end)
    ):
        entries.append(
            {
                "at": row["expire_at"],
                "what": "expires",
                "title": row["title"],
                "url": f"/desk/content/articles/{row['id']}",
            }
        )
    for row in await Topic.select(Topic.id, Topic.title, Topic.go_live_at).where(
        (Topic.published == True) & (Topic.go_live_at >= start) & (Topic.go_live_at < end)  # noqa: E712
    ):
        entries.append(
            {
                "at": row["go_live_at"],
                "what": "topic goes live",
                "title": row["title"],
                "url": f"/desk/content/topics/{row['id']}",
            }
        )
    for row in await Pin.select(
        Pin.id, Pin.pinned_until, Pin.article.title.as_alias("a"), Pin.topic.title.as_alias("t")
    ).where((Pin.pinned_until >= start) & (Pin.pinned_until < end)):
        entries.append(
            {
                "at": row["pinned_until"],
                "what": "pin ends",
                "title": row["a"] or row["t"],
                "url": "/desk/content/channels",
            }
        )
    calendar: dict[str, list[dict[str, Any]]] = {}
    for entry in sorted(entries, key=lambda e: e["at"]):
        calendar.setdefault(entry["at"].astimezone(zone).strftime("%Y-%m-%d"), []).append(entry)
    return list(calendar.items())


@get("/desk/content", guards=[EDIT])
async def dashboard(request: Request, newsplus: NewsplusDep) -> Template:
    """The editorial desk: awaiting my review, my tasks, the planning board, the calendar, recent reach."""
    user = request.user
    board = await organise.planning_board()
    my_items = [i for items in board.values() for i in items if user.id in i["assignees"]]
    my_articles = (
        await Article.select(Article.id, Article.title, Article.status, Article.updated_at)
        .where((Article.author == user.id) & Article.status.is_in(["draft", "rejected"]))
        .order_by(Article.updated_at, ascending=False)
        .limit(20)
    )
    return await page(
        request,
        "content/desk/dashboard.html",
        waiting=await awaiting_review(newsplus, user),
        my_items=my_items,
        my_articles=my_articles,
        board=board,
        calendar=await scheduled_calendar(newsplus),
        recent=await reach.recently_published(),
    )


async def _staff() -> list[dict[str, Any]]:
    return await staff_accounts(User.id, User.display_name, User.username).where(User.is_active == True)  # noqa: E712


@get("/desk/content/planning", guards=[EDIT])
async def planning_page(
    request: Request, newsplus: NewsplusDep, closed: FromQuery[bool] = False, edit: FromQuery[int | None] = None
) -> Template:
    """The planning board (选题) by status, with the form to propose or change an item."""
    item = None
    if edit:
        item = await PlanningItem.select().where(PlanningItem.id == edit).first()
        if item:
            item["assignees"] = msgspec.json.decode(item["assignees"])
    return await page(
        request,
        "content/desk/planning.html",
        board=await organise.planning_board(include_closed=closed),
        staff=await _staff(),
        channels=await channel_tree(newsplus),
        item=item,
        closed=closed,
        statuses=organise.PLANNING_STATUSES,
    )


@post("/desk/content/planning", guards=[EDIT], status_code=303)
async def save_planning_page(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Save the planning form (new, or the item named by ``id``)."""
    form = await request.form()
    try:
        assignees = [int(a) for a in form.getall("assignees", [])] if hasattr(form, "getall") else []
        article = form.get("article", "").strip()
        data = PlanningIn(
            title=form.get("title", ""),
            brief=form.get("brief", ""),
            channel=form.get("channel", ""),
            assignees=assignees,
            due_on=form.get("due_on", ""),
            status=form.get("status", "proposed") if form.get("status") in organise.PLANNING_STATUSES else "proposed",
            article=int(article) if article else None,
        )
        item_id = int(form["id"]) if form.get("id") else None
        await organise.save_planning(newsplus, request.user, data, item_id)
    except (DomainError, ValueError) as error:
        _ = translator_for(request)
        message = (
            _(error.detail, **error.params) if isinstance(error, DomainError) else _("Please choose from the list")
        )
        return await page(
            request,
            "content/desk/planning.html",
            status_code=getattr(error, "status_code", 400),
            error=message,
            board=await organise.planning_board(),
            staff=await _staff(),
            channels=await channel_tree(newsplus),
            item=None,
            closed=False,
            statuses=organise.PLANNING_STATUSES,
        )
    return Redirect("/desk/content/planning", status_code=303)


@get("/desk/content/reach", guards=[EDIT])
async def reach_page(
    request: Request, newsplus: NewsplusDep, days: FromQuery[int] = 14, article: FromQuery[int | None] = None
) -> Template:
    """Reach by day with a chart, per channel and the most read articles; or one article's reach."""
    if not 1 <= days <= 366:
        raise InvalidInput("days must be between 1 and 366", extra={"field": "days"})
    zone = ZoneInfo(newsplus.settings.site.timezone)
    end = now().astimezone(zone).date()
    start = end - timedelta(days=days - 1)
    series = await reach.daily(start, end, article_id=article)
    channels = {c.id: c.name for c in await channel_tree(newsplus)}
    title = None
    if article is not None:
        row = await Article.select(Article.title).where(Article.id == article).first()
        title = row["title"] if row else None
    return await page(
        request,
        "content/desk/reach.html",
        series=series,
        chart=reach.bars(series),
        days=days,
        article=article,
        title=title,
        totals={m: sum(d[m] for d in series) for m in reach.MEASURES},
        per_channel=[]
        if article
        else [{**r, "name": channels.get(r["channel"], "—")} for r in await reach.by_channel(start, end)],
        top=[] if article else await reach.top_articles(start, end),
        measures=reach.MEASURES,
    )


@get("/desk/content/planning/{item_id:int}", guards=[EDIT])
async def planning_item(item_id: FromPath[int]) -> Redirect:
    """A planning item opens in the board's form."""
    return Redirect(f"/desk/content/planning?edit={item_id}", status_code=303)


ROUTES: list[Any] = [dashboard, planning_page, save_planning_page, planning_item, reach_page]
