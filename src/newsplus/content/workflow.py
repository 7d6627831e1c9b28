"""The review chain: draft → submitted → each step passed by its role → published or scheduled → unpublished
→ archived. Only the chain publishes; every transition is recorded and emits an event."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus.clock import now
from newsplus.content.articles import EDITABLE, article_row
from newsplus.content.cache import changes
from newsplus.content.channels import channel_by_id, parse_chain
from newsplus.content.settings import ReviewStep
from newsplus.content.tables import Article, Revision, Transition
from newsplus.errors import Conflict, Forbidden, InvalidInput
from newsplus.events.outbox import Event, publish
from newsplus.notifications.inbox import notify_many
from newsplus.users.accounts import role_holders

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser


class ArticleSubmitted(Event, tag="content.article_submitted"):
    """An article waits at a review step (after submission, or after the step before it passed)."""

    article_id: int
    title: str
    step: str
    role: str
    author_id: int | None = None


class ArticleRejected(Event, tag="content.article_rejected"):
    """A reviewer sent an article back to its author with a comment."""

    article_id: int
    title: str
    step: str
    comment: str
    author_id: int | None = None


class ArticlePublished(Event, tag="content.article_published"):
    """An article went live (at approval, or at its go-live time)."""

    article_id: int
    title: str
    channel_id: int


class ArticleUnpublished(Event, tag="content.article_unpublished"):
    """An article was taken down (by an editor, or at its expiry time)."""

    article_id: int
    title: str
    reason: str


EVENTS = [ArticleSubmitted, ArticleRejected, ArticlePublished, ArticleUnpublished]


def chain_of(newsplus: Newsplus, row: dict[str, Any]) -> tuple[ReviewStep, ...]:
    """The review chain an article in review follows (fixed when it was submitted)."""
    return parse_chain(newsplus, row["chain"])


async def _move(row: dict[str, Any], to: str, actor: int | None, comment: str, step: str = "", **values: Any) -> None:
    expected = row["status"]
    changed = (
        await Article.update(
            {Article.status: to, Article.updated_at: now(), **{getattr(Article, k): v for k, v in values.items()}}
        )
        .where(
            (Article.id == row["id"])
            & (Article.status == expected)
            & (Article.revision == row["revision"])
            & (Article.review_step == row["review_step"])
        )
        .returning(Article.id)
    )
    if not changed:  # someone else acted on it first
        raise Conflict("This article changed while you were looking at it; reload and try again")
    await Transition(
        article=row["id"], from_status=expected, to_status=to, step=step, actor=actor, comment=comment, created_at=now()
    ).save()


async def submit(newsplus: Newsplus, user: CurrentUser, article_id: int, comment: str = "") -> str:
    """Send a draft into review at the first step of its channel's chain; return the step's name."""
    async with changes(newsplus):
        row = await article_row(article_id)
        if row["status"] not in EDITABLE:
            raise Conflict("Only a draft or a returned article can be submitted")
        channel = await channel_by_id(newsplus, row["channel"])
        chain = parse_chain(newsplus, channel.review_chain if channel else "")
        await _move(
            row,
            "submitted",
            user.id,
            comment,
            step=chain[0].name,
            review_step=0,
            chain=msgspec.json.encode(chain).decode(),
        )
        await publish(
            newsplus,
            ArticleSubmitted(
                article_id=article_id,
                title=row["title"],
                step=chain[0].name,
                role=chain[0].role,
                author_id=row["author"],
            ),
            actor=user.id,
        )
    return chain[0].name


async def passed_by(article_ids: list[int]) -> dict[int, set[int]]:
    """Who passed a step of each article since it was last submitted (one query for all)."""
    rows = (
        (
            await Transition.select(Transition.article, Transition.actor, Transition.to_status)
            .where(Transition.article.is_in(article_ids))
            .order_by(Transition.article)
            .order_by(Transition.id, ascending=False)
        )
        if article_ids
        else []
    )
    passed: dict[int, set[int]] = {a: set() for a in article_ids}
    closed: set[int] = set()
    for r in rows:
        if r["article"] in closed:
            continue
        if r["to_status"] != "submitted" or r["actor"] is None:
            closed.add(r["article"])
            continue
        passed[r["article"]].add(r["actor"])
    return passed


async def writers_of(article_ids: list[int]) -> dict[int, set[int]]:
    """Everyone who saved a revision of each article: none of them reviews it (四眼原则)."""
    rows = (
        await Revision.select(Revision.article, Revision.author).where(Revision.article.is_in(article_ids))
        if article_ids
        else []
    )
    writers: dict[int, set[int]] = {a: set() for a in article_ids}
    for r in rows:
        if r["author"] is not None:
            writers[r["article"]].add(r["author"])
    return writers


async def _step_for(
    newsplus: Newsplus, user: CurrentUser, row: dict[str, Any], expected: int | None
) -> tuple[tuple[ReviewStep, ...], int]:
    if row["status"] != "submitted":
        raise Conflict("This article is not waiting for review")
    chain, index = chain_of(newsplus, row), row["review_step"]
    if expected is not None and expected != index:
        raise Conflict("This article has moved on to {step}; reload and look again", step=chain[index].name)
    step = chain[index]
    if not user.holds(step.role):
        raise Forbidden("The step {step} is for the role {role}", step=step.name, role=step.role)
    if newsplus.plugin_settings["content"].distinct_reviewers:
        if user.id == row["author"] or user.id in (await writers_of([row["id"]]))[row["id"]]:
            raise Forbidden("Authors do not review their own articles")
        if user.id in (await passed_by([row["id"]]))[row["id"]]:
            raise Forbidden("Each step needs a different reviewer")
    return chain, index


async def approve(
    newsplus: Newsplus, user: CurrentUser, article_id: int, comment: str = "", *, step: int | None = None
) -> str:
    """Pass the current step; after the last, publish now or schedule for ``go_live_at``. Return the new status."""
    async with changes(newsplus):
        row = await article_row(article_id)
        chain, index = await _step_for(newsplus, user, row, step)
        if index + 1 < len(chain):
            following = chain[index + 1]
            await _move(row, "submitted", user.id, comment, step=chain[index].name, review_step=index + 1)
            await publish(
                newsplus,
                ArticleSubmitted(
                    article_id=article_id,
                    title=row["title"],
                    step=following.name,
                    role=following.role,
                    author_id=row["author"],
                ),
                actor=user.id,
            )
            return "submitted"
        await _move(row, "approved", user.id, comment, step=chain[index].name)
        row = await article_row(article_id)
        return await _go_out(newsplus, row, user.id)


async def _go_out(newsplus: Newsplus, row: dict[str, Any], actor: int | None) -> str:
    """Publish an approved article, or schedule it when its go-live time is still ahead."""
    moment = now()
    if row["expire_at"] is not None and row["expire_at"] <= moment:
        await _move(row, "unpublished", actor, "Expired before it went live")
        return "unpublished"
    if row["go_live_at"] is not None and row["go_live_at"] > moment:
        await _move(row, "scheduled", actor, "", published_at=row["go_live_at"])
        return "scheduled"
    await _move(row, "published", actor, "", published_at=moment)
    await publish(
        newsplus, ArticlePublished(article_id=row["id"], title=row["title"], channel_id=row["channel"]), actor=actor
    )
    return "published"


async def publish_trusted(
    newsplus: Newsplus, user: CurrentUser, article_id: int, *, published_at: datetime | None = None, comment: str = ""
) -> None:
    """Publish a draft without the review chain, for what was already published elsewhere (a government
    open-data export brought in by an editor): recorded as a transition and announced like any publish. The
    caller decides who may do this."""
    async with changes(newsplus):
        row = await article_row(article_id)
        if row["status"] not in EDITABLE:
            raise Conflict("Only a draft or a returned article can be submitted")
        await _move(row, "published", user.id, comment or "Published as imported", published_at=published_at or now())
        await publish(
            newsplus,
            ArticlePublished(article_id=row["id"], title=row["title"], channel_id=row["channel"]),
            actor=user.id,
        )


async def reject(
    newsplus: Newsplus, user: CurrentUser, article_id: int, comment: str, *, step: int | None = None
) -> None:
    """Send an article back to its author from the current step, with a comment saying why."""
    comment = comment.strip()
    if not comment:
        raise InvalidInput("Say why it goes back", extra={"field": "comment"})
    async with changes(newsplus):
        row = await article_row(article_id)
        chain, index = await _step_for(newsplus, user, row, step)
        await _move(row, "rejected", user.id, comment, step=chain[index].name, review_step=0)
        await publish(
            newsplus,
            ArticleRejected(
                article_id=article_id,
                title=row["title"],
                step=chain[index].name,
                comment=comment,
                author_id=row["author"],
            ),
            actor=user.id,
        )


async def withdraw(newsplus: Newsplus, user: CurrentUser, article_id: int) -> None:
    """Take an article out of review back to draft (its author, or anyone who may publish)."""
    async with changes(newsplus):
        row = await article_row(article_id)
        if row["status"] != "submitted":
            raise Conflict("This article is not waiting for review")
        if user.id != row["author"] and not user.can("content.publish"):
            raise Forbidden("Only its author can withdraw this article")
        await _move(row, "draft", user.id, "Withdrawn", review_step=0)


async def unpublish(newsplus: Newsplus, user: CurrentUser | None, article_id: int, comment: str) -> None:
    """Take a live or scheduled article down (an editor with publish rights, or expiry)."""
    async with changes(newsplus):
        row = await article_row(article_id)
        if row["status"] not in ("published", "scheduled"):
            raise Conflict("Only a live or scheduled article can be unpublished")
        await _move(row, "unpublished", user.id if user else None, comment)
        await publish(
            newsplus, ArticleUnpublished(article_id=article_id, title=row["title"], reason=comment or "unpublished")
        )


async def archive(newsplus: Newsplus, user: CurrentUser, article_id: int, comment: str = "") -> None:
    """Put an article that is not live away."""
    async with changes(newsplus):
        row = await article_row(article_id)
        if row["status"] not in (*EDITABLE, "unpublished"):
            raise Conflict("Unpublish it before archiving")
        await _move(row, "archived", user.id, comment)


async def unarchive(newsplus: Newsplus, user: CurrentUser, article_id: int) -> None:
    """Bring an archived article back as a draft."""
    async with changes(newsplus):
        row = await article_row(article_id)
        if row["status"] != "archived":
            raise Conflict("This article is not archived")
        await _move(row, "draft", user.id, "")


def due_to_go_live(moment: datetime) -> Any:
    """Scheduled articles whose go-live time has come (at most 500: the next run takes the rest)."""
    return Article.select().where((Article.status == "scheduled") & (Article.published_at <= moment)).limit(500)


async def run_schedule(newsplus: Newsplus) -> dict[str, int]:
    """The scheduled job: publish what reached its go-live time, unpublish what reached its expiry."""
    moment = now()
    due = await due_to_go_live(moment)
    expired = (
        await Article.select()
        .where(Article.status.is_in(["published", "scheduled"]) & (Article.expire_at <= moment))
        .limit(500)
    )
    done = {"published": 0, "unpublished": 0}
    for row in expired:
        try:
            async with changes(newsplus):
                await _move(row, "unpublished", None, "Expired")
                await publish(newsplus, ArticleUnpublished(article_id=row["id"], title=row["title"], reason="expired"))
        except Conflict:  # an editor acted on it meanwhile; the next run sees its new state
            continue
        done["unpublished"] += 1
    gone = {r["id"] for r in expired}
    for row in due:
        if row["id"] in gone:
            continue
        try:
            async with changes(newsplus):
                await _move(row, "published", None, "Went live at its scheduled time")
                await publish(
                    newsplus, ArticlePublished(article_id=row["id"], title=row["title"], channel_id=row["channel"])
                )
        except Conflict:
            continue
        done["published"] += 1
    return done


async def tell_reviewers(newsplus: Newsplus, event: ArticleSubmitted) -> None:
    """On a submission or a passed step: the holders of the waiting step's role find it in their inbox."""
    await notify_many(
        newsplus,
        [user_id for user_id in await role_holders(event.role) if user_id != event.author_id],
        f"待{event.step}：{event.title}",
        link=f"/desk/content/articles/{event.article_id}",
        category="content.workflow",
    )
