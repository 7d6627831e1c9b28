"""H5 pages for readers: channel, article, topic, search and favourites; Atom feeds; uploaded media files."""

import mimetypes
import re
from pathlib import Path
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import File, Redirect, Response, Template

from newsplus.content import feed, reader, reading
from newsplus.content.atom import atom_feed
from newsplus.content.cache import content_cache
from newsplus.content.channels import channel_by_slug, channel_tree, follow, followed
from newsplus.content.feed import next_change
from newsplus.content.media import PRIVATE, media_root
from newsplus.districts.scope import current_district
from newsplus.errors import DomainError, NotFound
from newsplus.runtime import NewsplusDep
from newsplus.users.access import anyone, signed_in
from newsplus.web.render import page


class CommentForm(msgspec.Struct):
    """The comment box under an article."""

    body: str = ""


@get("/channels/{slug:str}", guards=[anyone])
async def channel_page(
    request: Request, newsplus: NewsplusDep, slug: FromPath[str], cursor: FromQuery[str | None] = None
) -> Template:
    """A channel's feed, with its sub-channels as tabs."""
    node = await channel_by_slug(newsplus, slug)
    items = await feed.feed(newsplus, channel=slug, cursor=cursor)
    children = [c for c in await channel_tree(newsplus) if c.parent == node.id]
    user = request.scope.get("user")
    following = user is not None and node.id in await followed(user)
    return await page(request, "content/channel.html", channel=node, children=children, feed=items, following=following)


@post("/channels/{slug:str}/follow", guards=[signed_in], status_code=303)
async def follow_page(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> Redirect:
    """The follow button of a channel page (toggle)."""
    form = await request.form()
    await follow(newsplus, request.user, slug, form.get("on") == "1")
    return Redirect(f"/channels/{slug}", status_code=303)


@get("/articles/{article_id:int}", guards=[anyone])
async def article_page(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> Template:
    """An article as readers see it: body, related items, comments and the reader's buttons."""
    view = await reading.article(newsplus, article_id)
    reader.view_counter(newsplus).count(article_id, view.channel_id)
    liked, favourited = await reading.reader_state(request.scope.get("user"), article_id)
    comments = await reader.comments(article_id) if view.allow_comments else []
    return await page(
        request,
        "content/article.html",
        article=view,
        liked=liked,
        favourited=favourited,
        comments=comments,
        posted=request.query_params.get("posted"),
    )


@post("/articles/{article_id:int}/react", guards=[signed_in], status_code=303)
async def react_page(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> Redirect:
    """The like and favourite buttons of the H5 page (toggle)."""
    form = await request.form()
    kind = form.get("kind")
    if kind not in ("like", "favourite"):
        raise NotFound("No such action")
    await reader.react(newsplus, request.user, article_id, kind, form.get("on") == "1")
    return Redirect(f"/articles/{article_id}", status_code=303)


@post("/articles/{article_id:int}/comment", guards=[signed_in], status_code=303)
async def comment_page(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], data: URLEncodedBody[CommentForm]
) -> Redirect | Template:
    """The comment box: held for moderation, so the page says so."""
    try:
        result = await reader.post_comment(newsplus, request.user, article_id, data.body)
    except DomainError as error:
        if error.status_code == 404:
            raise
        view = await reading.article(newsplus, article_id)
        liked, favourited = await reading.reader_state(request.user, article_id)
        return await page(
            request,
            "content/article.html",
            status_code=error.status_code,
            article=view,
            liked=liked,
            favourited=favourited,
            comments=await reader.comments(article_id),
            error=error,
            draft=data.body,
        )
    return Redirect(f"/articles/{article_id}?posted={result['status']}#comments", status_code=303)


@get("/topics/{slug:str}", guards=[anyone])
async def topic_page(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> Template:
    """A topic (专题): cover, intro and its items by section."""
    return await page(request, "content/topic.html", topic=await feed.topic(newsplus, slug))


@get("/search", guards=[anyone])
async def search_page(
    request: Request, newsplus: NewsplusDep, q: FromQuery[str] = "", cursor: FromQuery[str | None] = None
) -> Template:
    """Search articles; a two-character Chinese word is enough."""
    results = None
    error = None
    if q.strip():
        address = request.client.host if request.client else "unknown"
        newsplus.limiter.hit(f"search:{address}", limit=120, per_seconds=60)
        try:
            results = await feed.search_articles(newsplus, q, cursor=cursor)
        except DomainError as problem:
            error = problem
    return await page(request, "content/search.html", q=q, results=results, error=error)


@get("/me/favourites", guards=[signed_in])
async def favourites_page(request: Request) -> Template:
    """The articles a resident kept."""
    return await page(request, "content/favourites.html", items=await reader.favourites(request.user))


ATOM = "application/atom+xml; charset=utf-8"
STORED = re.compile(r"^\d{4}/\d{2}/[A-Za-z0-9_-]{16}(_t)?\.(jpg|png|mp4)$")


@get("/feed.atom", guards=[anyone], media_type=ATOM)
async def site_atom(newsplus: NewsplusDep) -> Response[bytes]:
    """The Atom feed of the newest articles."""
    body = await content_cache(newsplus).get(("atom", ""), _atom_builder(newsplus, ""))
    return Response(body, media_type=ATOM)


@get("/channels/{slug:str}/feed.atom", guards=[anyone], media_type=ATOM)
async def channel_atom(newsplus: NewsplusDep, slug: FromPath[str]) -> Response[bytes]:
    """The Atom feed of one channel (with its sub-channels)."""
    await channel_by_slug(newsplus, slug)
    body = await content_cache(newsplus).get(("atom", slug), _atom_builder(newsplus, slug))
    return Response(body, media_type=ATOM)


def _atom_builder(newsplus: Any, slug: str):
    async def build() -> tuple[bytes, Any]:
        return await atom_feed(newsplus, slug), await next_change(newsplus)

    return build


@get("/media/{path:path}", guards=[anyone], include_in_schema=False)
async def media_file(newsplus: NewsplusDep, path: FromPath[str]) -> File:
    """A file of this district's media library."""
    parts = _stored_parts(path)
    full = media_root(newsplus).joinpath(*parts)
    if not full.is_file():
        raise NotFound("No such file")
    return _stored(full, "public, max-age=31536000, immutable")


@get("/files/{path:path}", guards=[anyone], include_in_schema=False)
async def private_file(request: Request, newsplus: NewsplusDep, path: FromPath[str]) -> File:
    """A resident's private file, for those a plugin admits (the resident, the department handling it)."""
    parts = _stored_parts(path)
    stored = "/".join([PRIVATE, *parts])
    answers = await newsplus.call_each("may_read_file", newsplus=newsplus, user=request.user, path=stored)
    full = media_root(newsplus).joinpath(PRIVATE, *parts)
    if True not in answers or False in answers or not full.is_file():
        raise NotFound("No such file")  # the same answer whether it exists or not
    return _stored(full, "private, no-store")


def _stored_parts(path: str) -> list[str]:
    """The parts of a stored file's address (district, year, month, name), or 404 for anything else."""
    parts = path.strip("/").split("/")
    if len(parts) != 4 or parts[0] != current_district().slug or not STORED.match("/".join(parts[1:])):
        raise NotFound("No such file")
    return parts


def _stored(full: Path, cache_control: str) -> File:
    """A stored upload answered inline with its type (never sniffed by the browser) and caching rule."""
    return File(
        path=full,
        media_type=mimetypes.guess_type(full.name)[0] or "application/octet-stream",
        content_disposition_type="inline",
        headers={"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"},
    )


ROUTES: list[Any] = [
    channel_page,
    follow_page,
    article_page,
    react_page,
    comment_page,
    topic_page,
    search_page,
    favourites_page,
    site_atom,
    channel_atom,
    media_file,
    private_file,
]
