"""The reader's side: feeds with a keyset cursor and pins first, article pages, topics, search.

What every reader sees alike (first pages, article bodies, topics) comes from the content cache; per-reader
parts (what they liked) are added on top. No OFFSET anywhere: a page ends with a signed cursor holding the
(published_at, id) of its last item, so new articles never shift later pages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec
from piccolo.query.functions.aggregate import Min

from newsplus.clock import now
from newsplus.content import search
from newsplus.content.cache import content_cache
from newsplus.content.channels import SLUG, ChannelNode, channel_by_slug, channel_tree, followed
from newsplus.content.media import url_of
from newsplus.content.sanitize import summary_of
from newsplus.content.schemas import Feed, FeedItem
from newsplus.content.tables import Article, Pin, Topic, TopicItem
from newsplus.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser

MAX_LIMIT = 50
CARD = (
    Article.id,
    Article.kind,
    Article.title,
    Article.summary,
    Article.channel,
    Article.published_at,
    Article.link,
    Article.source,
    Article.extra,
    Article.view_count,
    Article.like_count,
    Article.comment_count,
    Article.cover.path.as_alias("cover_path"),
    Article.cover.thumb.as_alias("cover_thumb"),
)


def visible(moment: datetime) -> Any:
    """The condition for an article readers may see at a moment."""
    return (
        Article.status.is_in(["published", "scheduled"])
        & (Article.published_at <= moment)
        & (Article.expire_at.is_null() | (Article.expire_at > moment))
    )


def _secret(newsplus: Newsplus) -> bytes:
    return hashlib.sha256(b"content-cursor:" + newsplus.settings.site.secret.encode()).digest()


def make_cursor(newsplus: Newsplus, published_at: datetime, article_id: int) -> str:
    """A signed cursor pointing after one item."""
    raw = msgspec.json.encode([published_at.isoformat(), article_id])
    mac = hmac.new(_secret(newsplus), raw, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(raw + mac).decode().rstrip("=")


def read_cursor(newsplus: Newsplus, cursor: str) -> tuple[datetime, int]:
    """The (published_at, id) a cursor points after; a tampered or foreign cursor is refused."""
    try:
        blob = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        raw, mac = blob[:-12], blob[-12:]
        if not hmac.compare_digest(mac, hmac.new(_secret(newsplus), raw, hashlib.sha256).digest()[:12]):
            raise ValueError
        moment, article_id = msgspec.json.decode(raw)
        return datetime.fromisoformat(moment), int(article_id)
    except (ValueError, TypeError, msgspec.DecodeError):
        raise InvalidInput(
            "This cursor is not valid; start again from the first page", extra={"field": "cursor"}
        ) from None


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit must be between 1 and {max}", max=MAX_LIMIT, extra={"field": "limit"})
    return limit


def card(row: dict[str, Any], channels: dict[int, ChannelNode], *, pinned: bool = False) -> FeedItem:
    """A feed entry from an article row."""
    channel = channels.get(row["channel"])
    return FeedItem(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        url=f"/articles/{row['id']}",
        summary=row["summary"],
        cover=url_of(row.get("cover_thumb") or row.get("cover_path") or ""),
        channel=channel.slug if channel else "",
        channel_name=channel.name if channel else "",
        published_at=row["published_at"],
        link=row["link"],
        source=row["source"],
        extra=msgspec.json.decode(row["extra"] or "{}"),
        pinned=pinned,
        views=row["view_count"],
        likes=row["like_count"],
        comments=row["comment_count"],
    )


async def _channels(newsplus: Newsplus) -> dict[int, ChannelNode]:
    return {n.id: n for n in await channel_tree(newsplus)}


async def _page(newsplus: Newsplus, where: Any, cursor: str | None, limit: int, skip: list[int]) -> Feed:
    moment = now()
    query = Article.select(*CARD).where(visible(moment)).where(where)
    if skip:
        query = query.where(Article.id.not_in(skip))
    if cursor:
        at, last = read_cursor(newsplus, cursor)
        query = query.where((Article.published_at < at) | ((Article.published_at == at) & (Article.id < last)))
    rows = await query.order_by(Article.published_at, Article.id, ascending=False).limit(limit + 1)
    channels = await _channels(newsplus)
    items = [card(r, channels) for r in rows[:limit]]
    following = (
        make_cursor(newsplus, rows[limit - 1]["published_at"], rows[limit - 1]["id"]) if len(rows) > limit else None
    )
    return Feed(items=items, next=following)


async def _pins(newsplus: Newsplus, channel_id: int | None) -> list[tuple[dict[str, Any], datetime | None]]:
    moment = now()
    place = Pin.channel.is_null() if channel_id is None else (Pin.channel == channel_id)
    return [
        (p, p["pinned_until"])
        for p in await Pin.select()
        .where(place & (Pin.go_live_at <= moment) & (Pin.pinned_until.is_null() | (Pin.pinned_until > moment)))
        .order_by(Pin.rank)
        .order_by(Pin.id)
    ]


async def pinned_items(newsplus: Newsplus, channel_id: int | None) -> list[FeedItem]:
    """The pins of the home feed (None) or a channel that are live now, by rank: articles and topics."""
    pins = await _pins(newsplus, channel_id)
    moment = now()
    article_ids = [p["article"] for p, _ in pins if p["article"]]
    topic_ids = [p["topic"] for p, _ in pins if p["topic"]]
    articles = (
        {r["id"]: r for r in await Article.select(*CARD).where(Article.id.is_in(article_ids) & visible(moment))}
        if article_ids
        else {}
    )
    topics = {t.id: t for t in await live_topics(topic_ids)} if topic_ids else {}
    channels = await _channels(newsplus)
    items: list[FeedItem] = []
    for pin, _ in pins:
        if pin["article"] in articles:
            items.append(card(articles[pin["article"]], channels, pinned=True))
        elif pin["topic"] in topics:
            items.append(topics[pin["topic"]])
    return items


async def live_topics(ids: list[int] | None = None) -> list[FeedItem]:
    """Topics live now (all, or of these ids) as feed entries."""
    moment = now()
    query = Topic.select(
        Topic.id, Topic.slug, Topic.title, Topic.intro, Topic.go_live_at, Topic.cover.path.as_alias("cover_path")
    ).where(
        (Topic.published == True)  # noqa: E712
        & (Topic.go_live_at.is_null() | (Topic.go_live_at <= moment))
        & (Topic.expire_at.is_null() | (Topic.expire_at > moment))
    )
    if ids is not None:
        query = query.where(Topic.id.is_in(ids))
    return [
        FeedItem(
            id=t["id"],
            kind="topic",
            title=t["title"],
            url=f"/topics/{t['slug']}",
            summary=summary_of(t["intro"]),
            cover=url_of(t["cover_path"] or ""),
            published_at=t["go_live_at"],
            pinned=True,
        )
        for t in await query.order_by(Topic.id, ascending=False)
    ]


async def _next_change() -> datetime | None:
    moment = now()
    candidates = [
        await Article.select(Min(Article.published_at).as_alias("at")).where(
            (Article.status == "scheduled") & (Article.published_at > moment)
        ),
        await Article.select(Min(Article.expire_at).as_alias("at")).where(
            Article.status.is_in(["published", "scheduled"]) & (Article.expire_at > moment)
        ),
        await Pin.select(Min(Pin.go_live_at).as_alias("at")).where(Pin.go_live_at > moment),
        await Pin.select(Min(Pin.pinned_until).as_alias("at")).where(Pin.pinned_until > moment),
        await Topic.select(Min(Topic.go_live_at).as_alias("at")).where(Topic.go_live_at > moment),
        await Topic.select(Min(Topic.expire_at).as_alias("at")).where(Topic.expire_at > moment),
    ]
    times = [_as_time(r[0]["at"]) for r in candidates if r and r[0]["at"] is not None]
    return min(times) if times else None


async def banner_topics(newsplus: Newsplus, limit: int = 3) -> list[FeedItem]:
    """The newest live topics, for the home banner when none is pinned (cached)."""

    async def build() -> tuple[list[FeedItem], datetime | None]:
        return (await live_topics())[:limit], await next_change(newsplus)

    return await content_cache(newsplus).get(("banner", limit), build)


async def next_change(newsplus: Newsplus) -> datetime | None:
    """The next moment the feeds change by time alone: a go-live, an expiry, a pin starting or ending."""

    async def build() -> tuple[tuple[datetime | None], datetime | None]:
        moment = await _next_change()
        return (moment,), moment  # boxed: "nothing scheduled" (None) is an answer worth keeping

    return (await content_cache(newsplus).get("next_change", build))[0]


def _as_time(value: datetime | str) -> datetime:
    """An aggregate's time (SQLite hands MIN() of a timestamp back as text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _feed_page(
    newsplus: Newsplus, channel: str, cursor: str | None, limit: int
) -> tuple[tuple[Any, ...], Callable[[], Awaitable[tuple[Feed, datetime | None]]]]:
    """A feed page's cache key and the function that builds it (with the time it next changes)."""
    limit = _limit(limit)
    node = await channel_by_slug(newsplus, channel) if channel else None

    async def pins() -> tuple[list[FeedItem], datetime | None]:
        return await pinned_items(newsplus, node.id if node else None), await next_change(newsplus)

    async def build() -> tuple[Feed, datetime | None]:
        pinned = await content_cache(newsplus).get(("pins", node.id if node else 0), pins)
        skip = [p.id for p in pinned if p.kind != "topic"]
        where = Article.channel.is_in(node.subtree) if node else Article.id > 0
        page = await _page(newsplus, where, cursor, limit, skip)
        if cursor is None:
            page.pinned = pinned
        return page, await next_change(newsplus)

    return ("feed", node.id if node else 0, limit, cursor), build


async def feed(newsplus: Newsplus, *, channel: str = "", cursor: str | None = None, limit: int = 20) -> Feed:
    """The home feed, or a channel's (with its sub-channels): pins first on page one, then newest first."""
    key, build = await _feed_page(newsplus, channel, cursor, limit)
    return await content_cache(newsplus, cursor_pages=cursor is not None).get(key, build)


async def feed_json(newsplus: Newsplus, *, channel: str = "", cursor: str | None = None, limit: int = 20) -> bytes:
    """``feed()`` as the JSON sent to every reader, encoded once per cached page rather than per request."""
    key, build = await _feed_page(newsplus, channel, cursor, limit)

    async def encode() -> tuple[bytes, datetime | None]:
        # Page one's object is shared with the HTML pages; a later page is kept only as these bytes.
        page = await content_cache(newsplus).get(key, build) if cursor is None else (await build())[0]
        return msgspec.json.encode(page), await next_change(newsplus)

    return await content_cache(newsplus, cursor_pages=cursor is not None).get(("feed.json", *key), encode)


async def my_feed(newsplus: Newsplus, user: CurrentUser, *, cursor: str | None = None, limit: int = 20) -> Feed:
    """A resident's own feed: the channels they follow and news of their street."""
    limit = _limit(limit)
    channels = await followed(user)
    nodes = {n.id: n for n in await channel_tree(newsplus)}
    wanted = sorted({c for ch in channels if ch in nodes for c in nodes[ch].subtree})
    where = Article.channel.is_in(wanted) if wanted else None
    if user.street is not None:
        local = Article.street == user.street
        where = local if where is None else (where | local)
    if where is None:
        return Feed(items=[])
    return await _page(newsplus, where, cursor, limit, [])


async def topic(newsplus: Newsplus, slug: str) -> dict[str, Any]:
    """A live topic with its items by section, in order (cached)."""
    if not SLUG.match(slug):
        raise NotFound("No such topic")

    async def build() -> tuple[dict[str, Any] | None, datetime | None]:
        row = (
            await Topic.select(
                Topic.id, Topic.slug, Topic.title, Topic.intro, Topic.cover.path.as_alias("cover_path"), Topic.expire_at
            )
            .where(Topic.slug == slug)
            .first()
        )
        live = {t.id for t in await live_topics([row["id"]])} if row else set()
        if row is None or row["id"] not in live:
            return None, await next_change(newsplus)
        moment = now()
        items = (
            await TopicItem.select(TopicItem.article, TopicItem.section)
            .where(TopicItem.topic == row["id"])
            .order_by(TopicItem.position)
        )
        ids = [i["article"] for i in items]
        rows = (
            {r["id"]: r for r in await Article.select(*CARD).where(Article.id.is_in(ids) & visible(moment))}
            if ids
            else {}
        )
        channels = await _channels(newsplus)
        sections: dict[str, list[FeedItem]] = {}
        for item in items:
            if item["article"] in rows:
                sections.setdefault(item["section"], []).append(card(rows[item["article"]], channels))
        value = {
            "id": row["id"],
            "slug": row["slug"],
            "title": row["title"],
            "intro": row["intro"],
            "cover": url_of(row["cover_path"] or ""),
            "sections": [{"name": name, "items": items} for name, items in sections.items()],
        }
        return value, await next_change(newsplus)

    value = await content_cache(newsplus).get(("topic", slug), build)
    if value is None:
        raise NotFound("No such topic")
    return value


async def articles_where(
    newsplus: Newsplus, where: Any, *, query: str = "", cursor: str | None = None, limit: int = 20
) -> Feed:
    """Visible articles matching a condition (a plugin's own listing: one department's notices …), newest first
    with a cursor; ``query`` keeps those whose title or text contains it."""
    limit = _limit(limit)
    if not query.strip():
        return await _page(newsplus, where, cursor, limit, [])
    clause = search.match_clause(query)
    if clause is None:  # only punctuation: it names nothing, so it finds nothing (not everything)
        return Feed(items=[], next=None)
    return await _page(newsplus, where & clause, cursor, limit, [])


async def search_articles(newsplus: Newsplus, query: str, *, cursor: str | None = None, limit: int = 20) -> Feed:
    """Articles readers may see whose title or text contains the query (Chinese substrings too), newest first."""
    limit = _limit(limit)
    clause = search.match_clause(query)
    if clause is None:
        raise InvalidInput("Type something to search for", extra={"field": "q"})
    return await _page(newsplus, clause, cursor, limit, [])
