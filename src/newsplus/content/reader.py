"""What readers do with an article: views (counted in memory, written in batches), likes, favourites,
shares and comments (moderated), each also counted per day for the desk's reach statistics (监测)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from newsplus import db
from newsplus.clock import now
from newsplus.content.cache import content_cache
from newsplus.content.reading import article
from newsplus.content.tables import Article, Comment, DailyReach, Reaction
from newsplus.districts.scope import current_district, district_scope
from newsplus.errors import Conflict, InvalidInput, NotFound
from newsplus.events.outbox import Event, publish

if TYPE_CHECKING:
    from newsplus.districts.scope import CurrentDistrict
    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser


class CommentPosted(Event, tag="content.comment_posted"):
    """A resident commented (other plugins watch comments, e.g. for 舆情 words)."""

    comment_id: int
    article_id: int
    body: str
    status: str


COUNTERS = {"like": "like_count", "favourite": "favourite_count"}
REACH = {"view": "views", "like": "likes", "favourite": "favourites", "share": "shares", "comment": "comments"}
MAX_COMMENT = 500


def local_day(newsplus: Newsplus) -> date:
    """Today in the site's time zone (reach is counted per local day)."""
    return now().astimezone(ZoneInfo(newsplus.settings.site.timezone)).date()


async def add_reach(newsplus: Newsplus, article_id: int, channel_id: int, what: str, amount: int = 1) -> None:
    """Add to one article's count of the day (views, likes, favourites, shares or comments)."""
    column = getattr(DailyReach, REACH[what])
    day = local_day(newsplus)
    where = (DailyReach.article == article_id) & (DailyReach.day == day)
    if await DailyReach.update({column: column + amount}).where(where).returning(DailyReach.id):
        return
    await DailyReach.insert(DailyReach(article=article_id, channel=channel_id, day=day)).on_conflict(
        action="DO NOTHING"
    )
    await DailyReach.update({column: column + amount}).where(where)


class ViewCounter:
    """Views counted in this worker's memory and written every few seconds, so reading costs no write."""

    def __init__(self) -> None:
        self.pending: Counter[tuple[CurrentDistrict, int, int]] = Counter()

    def count(self, article_id: int, channel_id: int) -> None:
        """One more view of an article."""
        self.pending[(current_district(), article_id, channel_id)] += 1

    async def flush(self, newsplus: Newsplus) -> int:
        """Write the counted views, one transaction per district; return how many."""
        pending, self.pending = self.pending, Counter()
        by_district: dict[CurrentDistrict, list[tuple[int, int, int]]] = {}
        for (district, article_id, channel_id), amount in pending.items():
            by_district.setdefault(district, []).append((article_id, channel_id, amount))
        for district, counts in by_district.items():
            with district_scope(district):
                async with db.transaction():
                    for article_id, channel_id, amount in counts:
                        await Article.update(
                            {Article.view_count: Article.view_count + amount}, use_auto_update=False
                        ).where(Article.id == article_id)
                        await add_reach(newsplus, article_id, channel_id, "view", amount)
        return sum(pending.values())


def view_counter(newsplus: Newsplus) -> ViewCounter:
    """The worker's view counter."""
    return newsplus.state.setdefault("content.views", ViewCounter())


async def react(newsplus: Newsplus, user: CurrentUser, article_id: int, kind: str, on: bool) -> dict[str, Any]:
    """Like or favourite (or take it back); saying the same twice changes nothing. Return the new state."""
    counter = getattr(Article, COUNTERS[kind])
    if on:
        channel_id = (await article(newsplus, article_id)).channel_id
    elif not await Article.exists().where(Article.id == article_id):  # taking back works on expired ones too
        raise NotFound("No such article")
    # Counters do not move the content version: a like must not empty every worker's cache.
    async with db.transaction():
        where = (Reaction.article == article_id) & (Reaction.user == user.id) & (Reaction.kind == kind)
        if on:  # a second tap (even at the same moment) inserts nothing and counts nothing
            made = await Reaction.insert(
                Reaction(article=article_id, user=user.id, kind=kind, created_at=now())
            ).on_conflict(action="DO NOTHING")
            if made:
                await Article.update({counter: counter + 1}).where(Article.id == article_id)
                await add_reach(newsplus, article_id, channel_id, kind)
        elif await Reaction.delete().where(where).returning(Reaction.id):
            await Article.update({counter: counter - 1}).where(Article.id == article_id)
    content_cache(newsplus).drop(("counts", article_id))
    row = await Article.select(counter).where(Article.id == article_id).first()
    return {kind: on, "count": row[COUNTERS[kind]]}


async def share(newsplus: Newsplus, article_id: int) -> int:
    """Count a share; return the new total."""
    view = await article(newsplus, article_id)
    async with db.transaction():
        await Article.update({Article.share_count: Article.share_count + 1}).where(Article.id == article_id)
        await add_reach(newsplus, article_id, view.channel_id, "share")
        row = await Article.select(Article.share_count).where(Article.id == article_id).first()
    content_cache(newsplus).drop(("counts", article_id))
    return row["share_count"]


async def favourites(user: CurrentUser, limit: int = 50) -> list[dict[str, Any]]:
    """The live articles a user favourited, most recently favourited first (one query)."""
    moment, target = now(), Reaction.article
    live = (
        target.status.is_in(["published", "scheduled"])
        & (target.published_at <= moment)
        & (target.expire_at.is_null() | (target.expire_at > moment))
    )
    rows = (
        await Reaction.select(
            Reaction.article.as_alias("id"),
            Reaction.article.title.as_alias("title"),
            Reaction.article.summary.as_alias("summary"),
            Reaction.article.published_at.as_alias("published_at"),
        )
        .where((Reaction.user == user.id) & (Reaction.kind == "favourite"))
        .where(live)
        .order_by(Reaction.created_at, ascending=False)
        .limit(limit)
    )
    return [dict(r, url=f"/articles/{r['id']}") for r in rows]


def flagged_words(newsplus: Newsplus, text: str) -> list[str]:
    """The configured sensitive words a text contains."""
    lowered = text.lower()
    return [w for w in newsplus.plugin_settings["content"].sensitive_words if w and w.lower() in lowered]


async def post_comment(newsplus: Newsplus, user: CurrentUser, article_id: int, body: str) -> dict[str, Any]:
    """A resident comments: held for moderation (all, or only those with sensitive words). Return it."""
    body = body.strip()
    if not body or len(body) > MAX_COMMENT:
        raise InvalidInput("A comment of 1 to {max} characters is required", max=MAX_COMMENT, extra={"field": "body"})
    view = await article(newsplus, article_id)
    if not view.allow_comments:
        raise Conflict("Comments are closed for this article")
    newsplus.limiter.hit(f"comment:{user.id}", limit=10, per_seconds=600, detail="You are commenting too fast")
    words = flagged_words(newsplus, body)
    moderated = newsplus.plugin_settings["content"].comment_moderation == "all"
    status = "pending" if words or moderated else "approved"
    async with db.transaction():
        row = Comment(
            article=article_id, user=user.id, body=body, status=status, flagged=",".join(words)[:200], created_at=now()
        )
        await row.save()
        await publish(
            newsplus,
            CommentPosted(comment_id=row.id, article_id=article_id, body=body[:200], status=status),
            actor=user.id,
        )
        if status == "approved":
            await _count_comment(newsplus, article_id, view.channel_id)
    content_cache(newsplus).drop(("counts", article_id))
    return {"id": row.id, "status": status}


async def _count_comment(newsplus: Newsplus, article_id: int, channel_id: int) -> None:
    await Article.update({Article.comment_count: Article.comment_count + 1}).where(Article.id == article_id)
    await add_reach(newsplus, article_id, channel_id, "comment")


async def moderate(newsplus: Newsplus, user: CurrentUser, comment_id: int, decision: str, reason: str = "") -> str:
    """Approve or reject a pending comment; return its new status."""
    status = {"approve": "approved", "reject": "rejected"}.get(decision)
    if status is None:
        raise InvalidInput("Approve or reject", extra={"field": "decision"})
    async with db.transaction():
        row = await Comment.select(Comment.article, Comment.status).where(Comment.id == comment_id).first()
        if row is None:
            raise NotFound("No such comment")
        if row["status"] != "pending":
            raise Conflict("This comment was already moderated")
        decided = (
            await Comment.update(
                {
                    Comment.status: status,
                    Comment.moderated_by: user.id,
                    Comment.moderated_at: now(),
                    Comment.reason: reason[:200],
                }
            )
            .where((Comment.id == comment_id) & (Comment.status == "pending"))
            .returning(Comment.id)
        )
        if not decided:  # another moderator decided first
            raise Conflict("This comment was already moderated")
        if status == "approved":
            channel = await Article.select(Article.channel).where(Article.id == row["article"]).first()
            await _count_comment(newsplus, row["article"], channel["channel"] if channel else 0)
    content_cache(newsplus).drop(("counts", row["article"]))
    return status


async def comments(article_id: int, *, before: int | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Approved comments of an article, newest first (``before`` a comment id, for the next page)."""
    query = (
        Comment.select(Comment.id, Comment.body, Comment.created_at, Comment.user.display_name.as_alias("author"))
        .where((Comment.article == article_id) & (Comment.status == "approved"))
        .order_by(Comment.id, ascending=False)
        .limit(limit)
    )
    if before:
        query = query.where(Comment.id < before)
    return await query


async def moderation_queue(*, status: str = "pending", limit: int = 50) -> list[dict[str, Any]]:
    """Comments waiting for (or given) a decision, oldest pending first."""
    return (
        await Comment.select(
            Comment.id,
            Comment.body,
            Comment.status,
            Comment.flagged,
            Comment.created_at,
            Comment.reason,
            Comment.article,
            Comment.article.title.as_alias("article_title"),
            Comment.user.display_name.as_alias("author"),
        )
        .where(Comment.status == status)
        .order_by(Comment.id, ascending=status == "pending")
        .limit(limit)
    )
