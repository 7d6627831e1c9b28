"""The readers' content API: feeds, channels, articles with likes, favourites, shares and comments, topics,
search."""

from typing import Any

import msgspec
from litestar import Request, Response, Router, delete, get, post
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from newsplus.content import channels, feed, reader, reading
from newsplus.content.schemas import ArticleView, CommentIn, Feed
from newsplus.runtime import NewsplusDep
from newsplus.users.access import anyone, signed_in

# -- readers ---------------------------------------------------------------------------------------------


@get("/feed", guards=[anyone])
async def read_feed(
    newsplus: NewsplusDep,
    channel: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = 20,
) -> Response[Feed]:
    """The home feed or a channel's: pins first on the first page, then newest first; ``next`` pages on."""
    return Response(
        await feed.feed_json(newsplus, channel=channel, cursor=cursor, limit=limit), media_type=MediaType.JSON
    )


@get("/me/feed", guards=[signed_in])
async def read_my_feed(
    request: Request, newsplus: NewsplusDep, cursor: FromQuery[str | None] = None, limit: FromQuery[int] = 20
) -> Feed:
    """The caller's own feed: channels they follow and news of their street."""
    return await feed.my_feed(newsplus, request.user, cursor=cursor, limit=limit)


@get("/channels", guards=[anyone])
async def list_channels(newsplus: NewsplusDep) -> list[dict[str, Any]]:
    """The channel tree in order (``depth`` 0 for top-level channels)."""
    return channels.channel_list(await channels.channel_tree(newsplus))


@post("/channels/{slug:str}/follow", guards=[signed_in], status_code=200)
async def follow_channel(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> dict[str, bool]:
    """Follow a channel."""
    return {"following": await channels.follow(newsplus, request.user, slug, True)}


@delete("/channels/{slug:str}/follow", guards=[signed_in], status_code=200)
async def unfollow_channel(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> dict[str, bool]:
    """Stop following a channel."""
    return {"following": await channels.follow(newsplus, request.user, slug, False)}


@get("/articles/{article_id:int}", guards=[anyone])
async def read_article(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> ArticleView:
    """An article with related items, counted as a view; ``liked``/``favourited`` for a signed-in reader."""
    view = await reading.article(newsplus, article_id)
    reader.view_counter(newsplus).count(article_id, view.channel_id)
    liked, favourited = await reading.reader_state(request.scope.get("user"), article_id)
    if liked or favourited:
        view = msgspec.structs.replace(view, liked=liked, favourited=favourited)
    return view


@post("/articles/{article_id:int}/like", guards=[signed_in], status_code=200)
async def like(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> dict[str, Any]:
    """Like an article (again changes nothing)."""
    return await reader.react(newsplus, request.user, article_id, "like", True)


@delete("/articles/{article_id:int}/like", guards=[signed_in], status_code=200)
async def unlike(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> dict[str, Any]:
    """Take a like back."""
    return await reader.react(newsplus, request.user, article_id, "like", False)


@post("/articles/{article_id:int}/favourite", guards=[signed_in], status_code=200)
async def favourite(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> dict[str, Any]:
    """Keep an article among the caller's favourites."""
    return await reader.react(newsplus, request.user, article_id, "favourite", True)


@delete("/articles/{article_id:int}/favourite", guards=[signed_in], status_code=200)
async def unfavourite(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> dict[str, Any]:
    """Remove an article from the caller's favourites."""
    return await reader.react(newsplus, request.user, article_id, "favourite", False)


@post("/articles/{article_id:int}/share", guards=[anyone], status_code=200)
async def share(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> dict[str, int]:
    """Count a share (the app calls this when a reader shares)."""
    address = request.client.host if request.client else "unknown"
    newsplus.limiter.hit(f"share:{address}:{article_id}", limit=5, per_seconds=3600)
    return {"shares": await reader.share(newsplus, article_id)}


@get("/articles/{article_id:int}/comments", guards=[anyone])
async def list_comments(
    newsplus: NewsplusDep, article_id: FromPath[int], before: FromQuery[int | None] = None
) -> list[dict[str, Any]]:
    """Approved comments of a live article, newest first (``before`` the last id seen, for more)."""
    await reading.article(newsplus, article_id)
    return await reader.comments(article_id, before=before)


@post("/articles/{article_id:int}/comments", guards=[signed_in], status_code=HTTP_201_CREATED)
async def add_comment(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], data: JSONBody[CommentIn]
) -> dict[str, Any]:
    """Comment on an article; it shows once a moderator approves it (``status`` says which)."""
    return await reader.post_comment(newsplus, request.user, article_id, data.body)


@get("/me/favourites", guards=[signed_in])
async def my_favourites(request: Request) -> list[dict[str, Any]]:
    """The caller's favourites that are still live, most recently saved first."""
    return await reader.favourites(request.user)


@get("/topics/{slug:str}", guards=[anyone])
async def read_topic(newsplus: NewsplusDep, slug: FromPath[str]) -> dict[str, Any]:
    """A live topic (专题) with its items by section."""
    return await feed.topic(newsplus, slug)


@get("/search", guards=[anyone])
async def search(
    request: Request,
    newsplus: NewsplusDep,
    q: FromQuery[str],
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = 20,
) -> Feed:
    """Articles whose title or text contains ``q`` (two Chinese characters are enough), newest first."""
    address = request.client.host if request.client else "unknown"
    newsplus.limiter.hit(f"search:{address}", limit=120, per_seconds=60)
    return await feed.search_articles(newsplus, q, cursor=cursor, limit=limit)


router = Router(
    path="/api/v1",
    route_handlers=[
        read_feed,
        read_my_feed,
        list_channels,
        follow_channel,
        unfollow_channel,
        read_article,
        like,
        unlike,
        favourite,
        unfavourite,
        share,
        list_comments,
        add_comment,
        my_favourites,
        read_topic,
        search,
    ],
    tags=["content"],
)
