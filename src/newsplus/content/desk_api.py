"""The desk's content API under /api/v1/content: articles and their review, media, comments, channels,
topics, pins and planning."""

from typing import Annotated, Any

from litestar import Request, Router, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from newsplus.content import articles, channels, media, organise, reader, workflow
from newsplus.content.distribution import distributions
from newsplus.content.schemas import ArticleIn, ChannelIn, Decision, Moderation, PinIn, PlanningIn, TopicIn
from newsplus.errors import InvalidInput
from newsplus.runtime import NewsplusDep
from newsplus.users.access import requires

EDIT = requires("content.edit")
REVIEW = requires("content.review")
PUBLISH = requires("content.publish")
ARRANGE = requires("content.arrange")
MODERATE = requires("content.moderate")


@post("/articles", guards=[EDIT], status_code=HTTP_201_CREATED)
async def create_article(request: Request, newsplus: NewsplusDep, data: JSONBody[ArticleIn]) -> dict[str, int]:
    """Start a draft."""
    return {"id": await articles.create_article(newsplus, request.user, data), "revision": 1}


@get("/articles/{article_id:int}", guards=[EDIT])
async def desk_article(article_id: FromPath[int]) -> dict[str, Any]:
    """An article as the desk sees it: every field, tags, state, history, revisions and where it went."""
    row = await articles.article_row(article_id)
    row.pop("search_tokens", None)
    row.pop("search_text", None)
    return {
        **row,
        "tags": await articles.tags_of(article_id),
        "history": await articles.history(article_id),
        "revisions": await articles.revisions(article_id),
        "distributions": await distributions(article_id),
    }


@put("/articles/{article_id:int}", guards=[EDIT])
async def update_article(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], data: JSONBody[ArticleIn]
) -> dict[str, int]:
    """Save a new revision (send back the ``revision`` you started from, or get 409 if someone saved since)."""
    return {"id": article_id, "revision": await articles.update_article(newsplus, request.user, article_id, data)}


@get("/articles/{article_id:int}/compare", guards=[EDIT])
async def compare(article_id: FromPath[int], old: FromQuery[int], new: FromQuery[int]) -> list[dict[str, str]]:
    """What changed between two revisions, line by line (``op``: ``-`` removed, ``+`` added, `` `` same)."""
    return [{"op": op, "text": text} for op, text in await articles.compare(article_id, old, new)]


@post("/articles/{article_id:int}/restore/{number:int}", guards=[EDIT], status_code=200)
async def restore(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], number: FromPath[int]
) -> dict[str, int]:
    """Make an earlier revision the current one (saved as a new revision)."""
    return {"id": article_id, "revision": await articles.restore(newsplus, request.user, article_id, number)}


@post("/articles/{article_id:int}/submit", guards=[EDIT], status_code=200)
async def submit(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], data: JSONBody[Decision | None] = None
) -> dict[str, str]:
    """Send a draft to review."""
    step = await workflow.submit(newsplus, request.user, article_id, data.comment if data else "")
    return {"status": "submitted", "step": step}


@post("/articles/{article_id:int}/approve", guards=[REVIEW], status_code=200)
async def approve(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], data: JSONBody[Decision | None] = None
) -> dict[str, str]:
    """Pass the current review step (the last one publishes, or schedules for ``go_live_at``)."""
    decision = data or Decision()
    return {"status": await workflow.approve(newsplus, request.user, article_id, decision.comment, step=decision.step)}


@post("/articles/{article_id:int}/reject", guards=[REVIEW], status_code=200)
async def reject(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], data: JSONBody[Decision]
) -> dict[str, str]:
    """Send an article back to its author, saying why."""
    await workflow.reject(newsplus, request.user, article_id, data.comment, step=data.step)
    return {"status": "rejected"}


@post("/articles/{article_id:int}/withdraw", guards=[EDIT], status_code=200)
async def withdraw(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> dict[str, str]:
    """Take one's own article out of review."""
    await workflow.withdraw(newsplus, request.user, article_id)
    return {"status": "draft"}


@post("/articles/{article_id:int}/unpublish", guards=[PUBLISH], status_code=200)
async def unpublish(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], data: JSONBody[Decision | None] = None
) -> dict[str, str]:
    """Take a live or scheduled article down."""
    await workflow.unpublish(newsplus, request.user, article_id, data.comment if data else "")
    return {"status": "unpublished"}


@post("/articles/{article_id:int}/archive", guards=[PUBLISH], status_code=200)
async def archive(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], data: JSONBody[Decision | None] = None
) -> dict[str, str]:
    """Put an article that is not live away."""
    await workflow.archive(newsplus, request.user, article_id, data.comment if data else "")
    return {"status": "archived"}


@post("/media", guards=[EDIT], status_code=HTTP_201_CREATED, request_max_body_size=64 * 1024 * 1024)
async def upload(
    request: Request,
    newsplus: NewsplusDep,
    data: Annotated[dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> dict[str, Any]:
    """Upload an image or video to the media library (field ``file``; images are re-encoded)."""
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("Choose a file", extra={"field": "file"})
    row = await media.store_upload(
        newsplus, await media.read_upload(newsplus, upload), upload.filename, user_id=request.user.id
    )
    return {"id": row.id, "url": media.url_of(row.path), "thumb": media.url_of(row.thumb), "type": row.content_type}


@get("/comments", guards=[MODERATE])
async def comment_queue(status: FromQuery[str] = "pending") -> list[dict[str, Any]]:
    """Comments by moderation status (pending, oldest first)."""
    return await reader.moderation_queue(status=status)


@post("/comments/{comment_id:int}", guards=[MODERATE], status_code=200)
async def moderate(
    request: Request, newsplus: NewsplusDep, comment_id: FromPath[int], data: JSONBody[Moderation]
) -> dict[str, str]:
    """Approve or reject a pending comment."""
    return {"status": await reader.moderate(newsplus, request.user, comment_id, data.decision, data.reason)}


@post("/channels", guards=[ARRANGE], status_code=HTTP_201_CREATED)
async def create_channel(newsplus: NewsplusDep, data: JSONBody[ChannelIn]) -> dict[str, int]:
    """Add a channel (with its own review chain, if it needs one)."""
    return {"id": await channels.save_channel(newsplus, data)}


@put("/channels/{channel_id:int}", guards=[ARRANGE])
async def update_channel(newsplus: NewsplusDep, channel_id: FromPath[int], data: JSONBody[ChannelIn]) -> dict[str, int]:
    """Change a channel."""
    return {"id": await channels.save_channel(newsplus, data, channel_id)}


@post("/topics", guards=[ARRANGE], status_code=HTTP_201_CREATED)
async def create_topic(newsplus: NewsplusDep, data: JSONBody[TopicIn]) -> dict[str, int]:
    """Make a topic (专题) with its ordered items."""
    return {"id": await organise.save_topic(newsplus, data)}


@put("/topics/{topic_id:int}", guards=[ARRANGE])
async def update_topic(newsplus: NewsplusDep, topic_id: FromPath[int], data: JSONBody[TopicIn]) -> dict[str, int]:
    """Change a topic and its items."""
    return {"id": await organise.save_topic(newsplus, data, topic_id)}


@post("/topics/{topic_id:int}/publish", guards=[ARRANGE], status_code=200)
async def publish_topic(newsplus: NewsplusDep, topic_id: FromPath[int]) -> dict[str, bool]:
    """Put a topic live (between its go-live and expiry times)."""
    await organise.set_topic_published(newsplus, topic_id, True)
    return {"published": True}


@post("/topics/{topic_id:int}/unpublish", guards=[ARRANGE], status_code=200)
async def unpublish_topic(newsplus: NewsplusDep, topic_id: FromPath[int]) -> dict[str, bool]:
    """Take a topic down."""
    await organise.set_topic_published(newsplus, topic_id, False)
    return {"published": False}


@get("/pins", guards=[ARRANGE])
async def list_pins() -> list[dict[str, Any]]:
    """Pins that have not ended."""
    return await organise.pins()


@post("/pins", guards=[ARRANGE], status_code=HTTP_201_CREATED)
async def add_pin(request: Request, newsplus: NewsplusDep, data: JSONBody[PinIn]) -> dict[str, int]:
    """Pin (置顶) an article or topic to the home feed or a channel, by rank, until a time."""
    return {"id": await organise.add_pin(newsplus, request.user, data)}


@delete("/pins/{pin_id:int}", guards=[ARRANGE], status_code=HTTP_204_NO_CONTENT)
async def remove_pin(newsplus: NewsplusDep, pin_id: FromPath[int]) -> None:
    """Unpin."""
    await organise.remove_pin(newsplus, pin_id)


@get("/planning", guards=[EDIT])
async def planning(closed: FromQuery[bool] = False) -> dict[str, list[dict[str, Any]]]:
    """The planning board (选题) by status."""
    return await organise.planning_board(include_closed=closed)


@post("/planning", guards=[EDIT], status_code=HTTP_201_CREATED)
async def create_planning(request: Request, newsplus: NewsplusDep, data: JSONBody[PlanningIn]) -> dict[str, int]:
    """Propose a story."""
    return {"id": await organise.save_planning(newsplus, request.user, data)}


@put("/planning/{item_id:int}", guards=[EDIT])
async def update_planning(
    request: Request, newsplus: NewsplusDep, item_id: FromPath[int], data: JSONBody[PlanningIn]
) -> dict[str, int]:
    """Change a planning item (assign it, move it along, link its article)."""
    return {"id": await organise.save_planning(newsplus, request.user, data, item_id)}


router = Router(
    path="/api/v1/content",
    route_handlers=[
        create_article,
        desk_article,
        update_article,
        compare,
        restore,
        submit,
        approve,
        reject,
        withdraw,
        unpublish,
        archive,
        upload,
        comment_queue,
        moderate,
        create_channel,
        update_channel,
        create_topic,
        update_topic,
        publish_topic,
        unpublish_topic,
        list_pins,
        add_pin,
        remove_pin,
        planning,
        create_planning,
        update_planning,
    ],
    tags=["content desk"],
)
