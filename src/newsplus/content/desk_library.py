"""The desk's library pages: media uploads, comment moderation, channels, topics (专题) and pins (置顶)."""

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from newsplus.content import media, organise, reader
from newsplus.content.channels import channel_tree, parse_chain, save_channel
from newsplus.content.desk_articles import parse_local_time
from newsplus.content.schemas import ChannelIn, PinIn, TopicIn
from newsplus.content.tables import Topic
from newsplus.errors import DomainError, InvalidInput, NotFound
from newsplus.runtime import NewsplusDep
from newsplus.users.access import requires
from newsplus.web.forms import form_number
from newsplus.web.render import page, translator_for

EDIT = requires("content.edit")
MODERATE = requires("content.moderate")
ARRANGE = requires("content.arrange")


def _message(request: Request, error: Exception) -> str:
    _ = translator_for(request)
    return _(error.detail, **error.params) if isinstance(error, DomainError) else _("The request data is invalid")


@get("/desk/content/media", guards=[EDIT])
async def media_page(request: Request, before: FromQuery[int | None] = None) -> Template:
    """The media library: upload, and pick numbers for covers and galleries."""
    items = await media.library(before=before)
    return await page(
        request, "content/desk/media.html", items=items, more=items[-1]["id"] if len(items) == 48 else None
    )


@post("/desk/content/media", guards=[EDIT], status_code=303, request_max_body_size=64 * 1024 * 1024)
async def upload_page(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Upload from the library page."""
    form = await request.form()
    upload = form.get("file")
    try:
        if upload is None or not hasattr(upload, "read"):
            raise InvalidInput("Choose a file", extra={"field": "file"})
        await media.store_upload(
            newsplus,
            await media.read_upload(newsplus, upload),
            upload.filename,
            user_id=request.user.id,
            alt=form.get("alt", ""),
        )
    except DomainError as error:
        return await page(
            request,
            "content/desk/media.html",
            status_code=error.status_code,
            error=_message(request, error),
            items=await media.library(),
            more=None,
        )
    return Redirect("/desk/content/media", status_code=303)


@get("/desk/content/comments", guards=[MODERATE])
async def comments_page(request: Request, status: FromQuery[str] = "pending") -> Template:
    """The moderation queue (pending first), and what was decided."""
    if status not in ("pending", "approved", "rejected"):
        status = "pending"
    return await page(
        request, "content/desk/comments.html", rows=await reader.moderation_queue(status=status), status=status
    )


@post("/desk/content/comments/{comment_id:int}", guards=[MODERATE], status_code=303)
async def moderate_page(request: Request, newsplus: NewsplusDep, comment_id: FromPath[int]) -> Redirect:
    """Approve or reject one comment."""
    form = await request.form()
    await reader.moderate(newsplus, request.user, comment_id, form.get("decision", ""), form.get("reason", ""))
    return Redirect("/desk/content/comments", status_code=303)


async def _arrange_context(newsplus: Any) -> dict[str, Any]:
    channels = await channel_tree(newsplus)
    return {
        "channels": channels,
        "chains": {c.id: parse_chain(newsplus, c.review_chain) for c in channels if c.review_chain},
        "topics": await organise.topics(),
        "pins": await organise.pins(),
        "roles": sorted(newsplus.roles),
    }


async def _arrange_error(request: Request, newsplus: Any, error: Exception) -> Template:
    """The channels page again, saying what was wrong with the form."""
    return await page(
        request,
        "content/desk/arrange.html",
        status_code=getattr(error, "status_code", 400),
        error=_message(request, error),
        **await _arrange_context(newsplus),
    )


@get("/desk/content/channels", guards=[ARRANGE])
async def arrange_page(request: Request, newsplus: NewsplusDep) -> Template:
    """Channels, topics and pins in one place."""
    return await page(request, "content/desk/arrange.html", **await _arrange_context(newsplus))


@post("/desk/content/channels", guards=[ARRANGE], status_code=303)
async def channel_form(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Add a channel, or change the one named by ``id``."""
    form = await request.form()
    try:
        chain = [
            {"name": n.strip(), "role": r.strip()}
            for n, r in (
                step.split(":", 1) for step in form.get("review_chain", "").replace("，", ",").split(",") if ":" in step
            )
        ]
        if form.get("review_chain", "").strip() and not chain:
            raise InvalidInput("Each review step needs a name and a role", extra={"field": "review_chain"})
        data = ChannelIn(
            slug=form.get("slug", "").strip(),
            name=form.get("name", ""),
            parent=form.get("parent", ""),
            position=int(form.get("position") or 0),
            description=form.get("description", ""),
            review_chain=chain,
        )
        await save_channel(newsplus, data, int(form["id"]) if form.get("id") else None)
    except (DomainError, ValueError) as error:
        return await _arrange_error(request, newsplus, error)
    return Redirect("/desk/content/channels", status_code=303)


@post("/desk/content/pins", guards=[ARRANGE], status_code=303)
async def pin_form(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Pin an article or topic; or unpin (``remove``)."""
    form = await request.form()
    zone = ZoneInfo(newsplus.settings.site.timezone)
    try:
        if form.get("remove"):
            await organise.remove_pin(newsplus, int(form["remove"]))
        else:
            article = form.get("article", "").strip()
            data = PinIn(
                article=int(article) if article else None,
                topic=form.get("topic", ""),
                channel=form.get("channel", ""),
                rank=int(form.get("rank") or 0),
                go_live_at=parse_local_time(form.get("go_live_at", ""), zone, "go_live_at"),
                pinned_until=parse_local_time(form.get("pinned_until", ""), zone, "pinned_until"),
            )
            await organise.add_pin(newsplus, request.user, data)
    except (DomainError, ValueError) as error:
        return await _arrange_error(request, newsplus, error)
    return Redirect("/desk/content/channels", status_code=303)


@get("/desk/content/topics/{topic_id:int}", guards=[ARRANGE])
async def topic_page(request: Request, newsplus: NewsplusDep, topic_id: FromPath[int]) -> Template:
    """A topic's editor: title, intro, times and its items by section."""
    topic = await Topic.select().where(Topic.id == topic_id).first()
    if topic is None:
        raise NotFound("No such topic")
    items = await organise.topic_items(topic_id)
    sections: dict[str, list[str]] = {}
    for item in items:
        sections.setdefault(item["section"], []).append(str(item["article"]))
    lines = "\n".join(f"{name}: {', '.join(ids)}" if name else ", ".join(ids) for name, ids in sections.items())
    return await page(request, "content/desk/topic.html", topic=topic, items=items, item_lines=lines)


def _topic_from_form(form: Any, zone: ZoneInfo) -> TopicIn:
    items = []
    for line in form.get("items", "").replace("：", ":").splitlines():
        section, _, ids = line.rpartition(":") if ":" in line else ("", "", line)
        for value in ids.replace("，", ",").split(","):
            if value.strip():
                items.append({"article": int(value), "section": section.strip()})
    cover = form.get("cover", "").strip()
    return TopicIn(
        slug=form.get("slug", "").strip(),
        title=form.get("title", ""),
        intro=form.get("intro", ""),
        cover=int(cover) if cover else None,
        go_live_at=parse_local_time(form.get("go_live_at", ""), zone, "go_live_at"),
        expire_at=parse_local_time(form.get("expire_at", ""), zone, "expire_at"),
        items=items,
    )


@post("/desk/content/topics", guards=[ARRANGE], status_code=303)
async def topic_form(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Save a topic (new, or the one named by ``id``); ``publish`` puts it live or takes it down."""
    form = await request.form()
    zone = ZoneInfo(newsplus.settings.site.timezone)
    topic_id = form_number(form.get("id"))
    try:
        if form.get("publish") in ("1", "0") and topic_id:
            await organise.set_topic_published(newsplus, topic_id, form["publish"] == "1")
        else:
            topic_id = await organise.save_topic(newsplus, _topic_from_form(form, zone), topic_id)
    except (DomainError, ValueError) as error:
        return await _arrange_error(request, newsplus, error)
    return Redirect(f"/desk/content/topics/{topic_id}", status_code=303)


ROUTES: list[Any] = [
    media_page,
    upload_page,
    comments_page,
    moderate_page,
    arrange_page,
    channel_form,
    pin_form,
    topic_page,
    topic_form,
]
