"""The desk's article pages: the list, the editor, review actions, history, compare, restore and exports."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from piccolo.columns.combination import WhereRaw

from newsplus.content import articles, workflow
from newsplus.content.channels import channel_tree
from newsplus.content.distribution import distribution_targets, distributions, wechat_html, weibo_text
from newsplus.content.schemas import KINDS, ArticleIn
from newsplus.content.tables import Article
from newsplus.errors import DomainError, Forbidden, InvalidInput, NotFound
from newsplus.runtime import NewsplusDep
from newsplus.users.access import requires
from newsplus.users.tables import Department, User
from newsplus.web.forms import form_number
from newsplus.web.render import page, translator_for

EDIT = requires("content.edit")
STATUSES = ("draft", "submitted", "rejected", "scheduled", "published", "unpublished", "archived")
ACTIONS = {
    "submit": "content.edit",
    "approve": "content.review",
    "reject": "content.review",
    "withdraw": "content.edit",
    "unpublish": "content.publish",
    "archive": "content.publish",
    "unarchive": "content.edit",
}


def parse_local_time(value: str, zone: ZoneInfo, field: str) -> datetime | None:
    """A desk form's date and time: in the site's zone unless it names its own offset; empty for none."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("Please give a date and time", extra={"field": field}) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def _ids(value: str, field: str) -> list[int]:
    try:
        return [int(v) for v in value.replace("，", ",").split(",") if v.strip()]
    except ValueError:
        raise InvalidInput(
            "Give image numbers from the media library, separated by commas", extra={"field": field}
        ) from None


def article_from_form(form: Any, zone: ZoneInfo) -> ArticleIn:
    """An ArticleIn from the editor's form fields."""
    cover = form.get("cover", "").strip()
    street = form.get("street", "").strip()
    try:
        return ArticleIn(
            title=form.get("title", ""),
            channel=form.get("channel", ""),
            kind=form.get("kind", "article") if form.get("kind") in KINDS else "article",
            summary=form.get("summary", ""),
            body=form.get("body", ""),
            cover=int(cover) if cover else None,
            link=form.get("link", ""),
            gallery=_ids(form.get("gallery", ""), "gallery"),
            tags=[t for t in form.get("tags", "").replace("，", ",").split(",") if t.strip()],
            street=int(street) if street else None,
            go_live_at=parse_local_time(form.get("go_live_at", ""), zone, "go_live_at"),
            expire_at=parse_local_time(form.get("expire_at", ""), zone, "expire_at"),
            allow_comments=form.get("allow_comments") == "1",
            targets=form.getall("targets", []) if hasattr(form, "getall") else [],
            revision=int(form.get("revision") or 0),
            note=form.get("note", ""),
        )
    except ValueError:
        raise InvalidInput("Please choose from the list") from None


async def _editor_context(newsplus: Any, article_id: int | None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "channels": await channel_tree(newsplus),
        "streets": await Department.select(Department.id, Department.name).where(Department.kind == "street"),
        "kinds": KINDS,
        "targets": list(distribution_targets(newsplus).values()),
    }
    if article_id is not None:
        context["history"] = await articles.history(article_id)
        context["revisions"] = await articles.revisions(article_id)
        context["distributions"] = await distributions(article_id)
        ids = {h["actor"] for h in context["history"] if h["actor"]} | {
            r["author"] for r in context["revisions"] if r["author"]
        }
        names = (
            await User.select(User.id, User.display_name, User.username).where(User.id.is_in(list(ids))) if ids else []
        )
        context["names"] = {n["id"]: n["display_name"] or n["username"] for n in names}
    return context


def _form_values(row: dict[str, Any], tags: list[str], zone: ZoneInfo) -> dict[str, Any]:
    def local(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if value else ""

    return {
        **row,
        "tags": ", ".join(tags),
        "gallery": ", ".join(str(i) for i in msgspec.json.decode(row.get("gallery") or "[]")),
        "go_live_at": local(row.get("go_live_at")),
        "expire_at": local(row.get("expire_at")),
        "targets": msgspec.json.decode(row["targets"]) if row.get("targets") else [],
    }


def article_rows(status: str = "", author: int | None = None, before: int | None = None) -> Any:
    """The desk's article list: 50 at a time, newest first, of one status or author if asked."""
    query = (
        Article.select(
            Article.id,
            Article.title,
            Article.status,
            Article.updated_at,
            Article.published_at,
            Article.kind,
            Article.channel.name.as_alias("channel_name"),
            Article.author.display_name.as_alias("author_name"),
        )
        .order_by(Article.id, ascending=False)
        .limit(50)
    )
    if status in STATUSES:
        query = query.where(Article.status == status)
        if status != "published":  # written out: the condition of the small index of unpublished articles
            query = query.where(WhereRaw("content_article.status <> 'published'"))
    if author is not None:
        query = query.where(Article.author == author)
    if before:
        query = query.where(Article.id < before)
    return query


@get("/desk/content/articles", guards=[EDIT])
async def article_list(
    request: Request, status: FromQuery[str] = "", mine: FromQuery[bool] = False, before: FromQuery[int | None] = None
) -> Template:
    """Articles by status or of one's own, newest first."""
    rows = await article_rows(status, request.user.id if mine else None, before)
    return await page(
        request,
        "content/desk/articles.html",
        rows=rows,
        status=status,
        mine=mine,
        statuses=STATUSES,
        more=rows[-1]["id"] if len(rows) == 50 else None,
    )


@get("/desk/content/articles/new", guards=[EDIT])
async def new_article(request: Request, newsplus: NewsplusDep, channel: FromQuery[str] = "") -> Template:
    """The editor, empty."""
    form = {"channel": channel, "kind": "article", "allow_comments": True, "targets": [], "revision": 0}
    return await page(
        request, "content/desk/editor.html", form=form, article=None, **await _editor_context(newsplus, None)
    )


@post("/desk/content/articles/new", guards=[EDIT], status_code=303)
async def create_article(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Save a new draft from the editor."""
    form = await request.form()
    zone = ZoneInfo(newsplus.settings.site.timezone)
    try:
        article_id = await articles.create_article(newsplus, request.user, article_from_form(form, zone))
    except DomainError as error:
        return await _editor(request, newsplus, None, form=form, error=error)
    return Redirect(f"/desk/content/articles/{article_id}?saved=1", status_code=303)


async def _editor(
    request: Request,
    newsplus: Any,
    article_id: int | None,
    *,
    form: Any = None,
    error: DomainError | None = None,
    saved: str = "",
) -> Template:
    """The editor page: the article's state and actions, and the form (as saved, or as just typed)."""
    zone = ZoneInfo(newsplus.settings.site.timezone)
    row = await articles.article_row(article_id) if article_id else None
    if form is None:
        values = _form_values(row, await articles.tags_of(article_id), zone) if row else {}
    else:
        values = {k: form.get(k) for k in form}
        values["targets"] = form.getall("targets", []) if hasattr(form, "getall") else []
        values["allow_comments"] = form.get("allow_comments") == "1"
    step = workflow.chain_of(newsplus, row)[row["review_step"]] if row and row["status"] == "submitted" else None
    _ = translator_for(request)
    return await page(
        request,
        "content/desk/editor.html",
        status_code=error.status_code if error else 200,
        form=values,
        article=row,
        step=step,
        saved=saved,
        editable=row is None or row["status"] in articles.EDITABLE,
        error=_(error.detail, **error.params) if error else "",
        field=error.extra.get("field", "") if error else "",
        **await _editor_context(newsplus, article_id),
    )


@get("/desk/content/articles/{article_id:int}", guards=[EDIT])
async def edit_article(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], saved: FromQuery[str] = ""
) -> Template:
    """The editor with the article's state, review actions, history, revisions and where it went."""
    return await _editor(request, newsplus, article_id, saved=saved)


@post("/desk/content/articles/{article_id:int}", guards=[EDIT], status_code=303)
async def save_article(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> Response[Any]:
    """Save the editor as a new revision."""
    form = await request.form()
    zone = ZoneInfo(newsplus.settings.site.timezone)
    try:
        await articles.update_article(newsplus, request.user, article_id, article_from_form(form, zone))
    except DomainError as error:
        if error.status_code == 404:
            raise
        return await _editor(request, newsplus, article_id, form=form, error=error)
    return Redirect(f"/desk/content/articles/{article_id}?saved=1", status_code=303)


@post("/desk/content/articles/{article_id:int}/action", guards=[EDIT], status_code=303)
async def act(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> Response[Any]:
    """A workflow button: submit, approve, reject, withdraw, unpublish, archive, unarchive."""
    form = await request.form()
    action, comment = form.get("action", ""), form.get("comment", "")
    if action not in ACTIONS:
        raise InvalidInput("Unknown action")
    if not request.user.can(ACTIONS[action]):
        raise Forbidden("You do not have permission to do this")
    user = request.user
    try:
        if action in ("withdraw", "unarchive"):
            await getattr(workflow, action)(newsplus, user, article_id)
        elif action in ("approve", "reject"):
            step = form_number(form.get("step"))
            await getattr(workflow, action)(newsplus, user, article_id, comment, step=step)
        else:
            await getattr(workflow, action)(newsplus, user, article_id, comment)
    except DomainError as error:
        if error.status_code == 404:
            raise
        return await _editor(request, newsplus, article_id, error=error)
    return Redirect(f"/desk/content/articles/{article_id}?saved={action}", status_code=303)


@get("/desk/content/articles/{article_id:int}/compare", guards=[EDIT])
async def compare_page(
    request: Request, article_id: FromPath[int], old: FromQuery[int], new: FromQuery[int]
) -> Template:
    """Two revisions side by side, changes marked."""
    row = await articles.article_row(article_id)
    lines = await articles.compare(article_id, old, new)
    return await page(request, "content/desk/compare.html", article=row, lines=lines, old=old, new=new)


@post("/desk/content/articles/{article_id:int}/restore", guards=[EDIT], status_code=303)
async def restore_page(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> Redirect:
    """Restore a revision (saved as a new one)."""
    form = await request.form()
    try:
        number = int(form.get("number", ""))
    except ValueError:
        raise InvalidInput("Choose a revision") from None
    await articles.restore(newsplus, request.user, article_id, number)
    return Redirect(f"/desk/content/articles/{article_id}?saved=restored", status_code=303)


@get("/desk/content/articles/{article_id:int}/export/{target:str}", guards=[EDIT])
async def export(request: Request, newsplus: NewsplusDep, article_id: FromPath[int], target: FromPath[str]) -> Template:
    """The article ready for the WeChat editor (styled HTML to copy) or Weibo (text and images)."""
    if target not in ("wechat", "weibo"):
        raise NotFound("No such export")
    row = await articles.article_row(article_id)
    context: dict[str, Any] = {"article": row, "target": target}
    if target == "wechat":
        context["html"] = wechat_html(newsplus, row)
    else:
        context["text"], context["images"] = weibo_text(newsplus, row)
    return await page(request, "content/desk/export.html", **context)


ROUTES: list[Any] = [
    article_list,
    new_article,
    create_article,
    edit_article,
    save_article,
    act,
    compare_page,
    restore_page,
    export,
]
