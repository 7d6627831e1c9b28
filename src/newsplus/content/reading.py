"""An article as readers open it: the shared part cached (body, related items), counters cached apart
for a few seconds, and what this reader did with it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import msgspec

from newsplus.clock import now
from newsplus.content.cache import content_cache
from newsplus.content.feed import CARD, _channels, card, next_change, visible
from newsplus.content.media import url_of
from newsplus.content.schemas import ArticleView, FeedItem
from newsplus.content.tables import Article, ArticleTag, Media, Reaction
from newsplus.errors import NotFound

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser


async def article(newsplus: Newsplus, article_id: int) -> ArticleView:
    """An article readers may see now, with related items (cached); NotFound otherwise."""

    async def build() -> tuple[ArticleView | None, datetime | None]:
        moment = now()
        row = (
            await Article.select(
                *CARD,
                Article.body,
                Article.gallery,
                Article.favourite_count,
                Article.share_count,
                Article.allow_comments,
                Article.expire_at,
                Article.cover.path.as_alias("cover_full"),
            )
            .where((Article.id == article_id) & visible(moment))
            .first()
        )
        if row is None:
            return None, await next_change(newsplus)
        tags = [r["tag"] for r in await ArticleTag.select(ArticleTag.tag).where(ArticleTag.article == article_id)]
        gallery_ids = msgspec.json.decode(row["gallery"] or "[]")
        paths = (
            {m["id"]: m["path"] for m in await Media.select(Media.id, Media.path).where(Media.id.is_in(gallery_ids))}
            if gallery_ids
            else {}
        )
        related = await _related(newsplus, article_id, row["channel"], tags)
        channel = (await _channels(newsplus)).get(row["channel"])
        view = ArticleView(
            id=row["id"],
            kind=row["kind"],
            title=row["title"],
            summary=row["summary"],
            body=row["body"],
            cover=url_of(row["cover_full"] or ""),
            link=row["link"],
            gallery=[url_of(paths[m]) for m in gallery_ids if m in paths],
            channel=channel.slug if channel else "",
            channel_name=channel.name if channel else "",
            tags=tags,
            channel_id=row["channel"],
            published_at=row["published_at"],
            source=row["source"],
            extra=msgspec.json.decode(row["extra"] or "{}"),
            views=row["view_count"],
            likes=row["like_count"],
            favourites=row["favourite_count"],
            shares=row["share_count"],
            comments=row["comment_count"],
            allow_comments=row["allow_comments"],
            related=related,
        )
        changes_at = [t for t in (row["expire_at"], await next_change(newsplus)) if t is not None]
        return view, min(changes_at, default=None)

    view = await content_cache(newsplus).get(("article", article_id), build)
    if view is None:
        raise NotFound("No such article")
    return await with_counts(newsplus, view)


COUNTS_SECONDS = 5


async def with_counts(newsplus: Newsplus, view: ArticleView) -> ArticleView:
    """The view with its likes, favourites, shares, comments and views as of the last few seconds.

    Counters change too often to move the content version (that would empty every cache), so they are
    cached apart for a few seconds; the worker that took a like drops its entry at once.
    """

    async def build() -> tuple[dict[str, int] | None, datetime | None]:
        row = (
            await Article.select(
                Article.view_count,
                Article.like_count,
                Article.favourite_count,
                Article.share_count,
                Article.comment_count,
            )
            .where(Article.id == view.id)
            .first()
        )
        return row, now() + timedelta(seconds=COUNTS_SECONDS)

    counts = await content_cache(newsplus).get(("counts", view.id), build)
    if counts is None:
        return view
    return msgspec.structs.replace(
        view,
        views=counts["view_count"],
        likes=counts["like_count"],
        favourites=counts["favourite_count"],
        shares=counts["share_count"],
        comments=counts["comment_count"],
    )


async def _related(
    newsplus: Newsplus, article_id: int, channel_id: int, tags: list[str], limit: int = 5
) -> list[FeedItem]:
    found = await tagged_articles(newsplus, tags, limit=limit, exclude=article_id) if tags else []
    if found:
        return found
    moment = now()
    query = Article.select(*CARD).where(visible(moment) & (Article.id != article_id) & (Article.channel == channel_id))
    rows = await query.order_by(Article.published_at, ascending=False).limit(limit)
    channels = await _channels(newsplus)
    return [card(r, channels) for r in rows]


async def tagged_articles(
    newsplus: Newsplus, tags: list[str] | tuple[str, ...], *, limit: int = 5, exclude: int | None = None
) -> list[FeedItem]:
    """The newest published articles carrying any of these tags (a service's or a notice's related reading)."""
    if not tags:
        return []
    rows = (
        await ArticleTag.select(ArticleTag.article)
        .where(ArticleTag.tag.is_in(list(tags)) & (ArticleTag.article != (exclude or 0)))
        .order_by(ArticleTag.article, ascending=False)
        .limit(50)
    )
    ids = list(dict.fromkeys(r["article"] for r in rows))
    if not ids:
        return []
    query = Article.select(*CARD).where(visible(now()) & Article.id.is_in(ids))
    rows = await query.order_by(Article.published_at, ascending=False).limit(limit)
    channels = await _channels(newsplus)
    return [card(r, channels) for r in rows]


async def reader_state(user: CurrentUser | None, article_id: int) -> tuple[bool, bool]:
    """Whether the reader liked and favourited an article."""
    if user is None:
        return False, False
    kinds = {
        r["kind"]
        for r in await Reaction.select(Reaction.kind).where(
            (Reaction.article == article_id) & (Reaction.user == user.id)
        )
    }
    return "like" in kinds, "favourite" in kinds
