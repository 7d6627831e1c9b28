"""How the desk arranges what readers see: topics (专题), pins (置顶) and the planning board (选题)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus import db
from newsplus.clock import now
from newsplus.content.articles import require_zone
from newsplus.content.cache import changes
from newsplus.content.channels import SLUG, channel_by_slug
from newsplus.content.sanitize import clean_html
from newsplus.content.schemas import PinIn, PlanningIn, TopicIn
from newsplus.content.tables import Article, Media, Pin, PlanningItem, Topic, TopicItem
from newsplus.errors import Conflict, InvalidInput, NotFound
from newsplus.users.tables import User

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser

PLANNING_STATUSES = ("proposed", "assigned", "in_progress", "done", "dropped")


async def save_topic(newsplus: Newsplus, data: TopicIn, topic_id: int | None = None) -> int:
    """Create or change a topic and its ordered items; return its id."""
    if not SLUG.match(data.slug):
        raise InvalidInput("A slug uses lowercase letters, digits and hyphens", extra={"field": "slug"})
    title = data.title.strip()
    if not title or len(title) > 200:
        raise InvalidInput("A title of 1 to 200 characters is required", extra={"field": "title"})
    go_live_at, expire_at = require_zone(data.go_live_at, "go_live_at"), require_zone(data.expire_at, "expire_at")
    if go_live_at and expire_at and expire_at <= go_live_at:
        raise InvalidInput("It must expire after it goes live", extra={"field": "expire_at"})
    try:
        items = [(int(i["article"]), str(i.get("section", ""))[:100]) for i in data.items]
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("Each item needs an article id", extra={"field": "items"}) from None
    ids = list(dict.fromkeys(a for a, _ in items))
    if ids and len(await Article.select(Article.id).where(Article.id.is_in(ids))) != len(ids):
        raise InvalidInput("An item is not an article of this district", extra={"field": "items"})
    if data.cover is not None and not await Media.exists().where(Media.id == data.cover):
        raise InvalidInput("The cover is not in the media library", extra={"field": "cover"})
    values = {
        Topic.slug: data.slug,
        Topic.title: title,
        Topic.intro: clean_html(data.intro),
        Topic.cover: data.cover,
        Topic.go_live_at: go_live_at,
        Topic.expire_at: expire_at,
        Topic.updated_at: now(),
    }
    taken = Topic.exists().where(Topic.slug == data.slug)
    if topic_id is not None:
        taken = taken.where(Topic.id != topic_id)
    try:
        return await _write_topic(newsplus, values, taken, data.slug, topic_id, items)
    except Exception as exc:
        if db.is_unique_violation(exc):  # the same slug saved by someone else at the same moment
            raise Conflict("The slug {slug} is taken", slug=data.slug, extra={"field": "slug"}) from None
        raise


async def _write_topic(
    newsplus: Newsplus, values: dict, taken: Any, slug: str, topic_id: int | None, items: list[tuple[int, str]]
) -> int:
    async with changes(newsplus):
        if await taken:
            raise Conflict("The slug {slug} is taken", slug=slug, extra={"field": "slug"})
        if topic_id is None:
            row = Topic(**{c._meta.name: v for c, v in values.items()}, created_at=now())
            await row.save()
            topic_id = row.id
        elif not await Topic.update(values).where(Topic.id == topic_id).returning(Topic.id):
            raise NotFound("No such topic")
        await TopicItem.delete().where(TopicItem.topic == topic_id)
        seen: set[int] = set()
        rows = []
        for position, (article_id, section) in enumerate(items):
            if article_id not in seen:
                seen.add(article_id)
                rows.append(TopicItem(topic=topic_id, article=article_id, section=section, position=position))
        if rows:
            await TopicItem.insert(*rows)
    return topic_id


async def set_topic_published(newsplus: Newsplus, topic_id: int, published: bool) -> None:
    """Put a topic live (between its go-live and expiry) or take it down."""
    async with changes(newsplus):
        if not await Topic.update({Topic.published: published}).where(Topic.id == topic_id).returning(Topic.id):
            raise NotFound("No such topic")


async def topics(limit: int = 100) -> list[dict[str, Any]]:
    """Every topic for the desk, newest first."""
    return await Topic.select().order_by(Topic.id, ascending=False).limit(limit)


async def topic_items(topic_id: int) -> list[dict[str, Any]]:
    """A topic's items for the desk, in order."""
    return (
        await TopicItem.select(
            TopicItem.article,
            TopicItem.section,
            TopicItem.article.title.as_alias("title"),
            TopicItem.article.status.as_alias("status"),
        )
        .where(TopicItem.topic == topic_id)
        .order_by(TopicItem.position)
    )


async def add_pin(newsplus: Newsplus, user: CurrentUser, data: PinIn) -> int:
    """Pin an article or a topic to the home feed or a channel's; return the pin's id."""
    if (data.article is None) == (not data.topic):
        raise InvalidInput("Pin either an article or a topic", extra={"field": "article"})
    go_live_at = require_zone(data.go_live_at, "go_live_at") or now()
    until = require_zone(data.pinned_until, "pinned_until")
    if until is not None and until <= go_live_at:
        raise InvalidInput("The pin must end after it starts", extra={"field": "pinned_until"})
    channel = (await channel_by_slug(newsplus, data.channel)).id if data.channel else None
    topic_id = None
    if data.topic:
        row = await Topic.select(Topic.id).where(Topic.slug == data.topic).first()
        if row is None:
            raise InvalidInput("No such topic", extra={"field": "topic"})
        topic_id = row["id"]
    elif not await Article.exists().where(Article.id == data.article):
        raise InvalidInput("No such article", extra={"field": "article"})
    async with changes(newsplus):
        pin = Pin(
            channel=channel,
            article=data.article,
            topic=topic_id,
            rank=data.rank,
            go_live_at=go_live_at,
            pinned_until=until,
            created_by=user.id,
            created_at=now(),
        )
        await pin.save()
    return pin.id


async def remove_pin(newsplus: Newsplus, pin_id: int) -> None:
    """Unpin."""
    async with changes(newsplus):
        if not await Pin.delete().where(Pin.id == pin_id).returning(Pin.id):
            raise NotFound("No such pin")


async def pins() -> list[dict[str, Any]]:
    """Every pin that has not ended, for the desk."""
    moment = now()
    return (
        await Pin.select(
            Pin.all_columns(),
            Pin.article.title.as_alias("article_title"),
            Pin.topic.title.as_alias("topic_title"),
            Pin.channel.name.as_alias("channel_name"),
        )
        .where(Pin.pinned_until.is_null() | (Pin.pinned_until > moment))
        .order_by(Pin.channel)
        .order_by(Pin.rank)
    )


async def save_planning(newsplus: Newsplus, user: CurrentUser, data: PlanningIn, item_id: int | None = None) -> int:
    """Create or change a planning item; return its id."""
    title = data.title.strip()
    if not title or len(title) > 200:
        raise InvalidInput("A title of 1 to 200 characters is required", extra={"field": "title"})
    try:
        due_on = date.fromisoformat(data.due_on) if data.due_on else None
    except ValueError:
        raise InvalidInput("Give the date as YYYY-MM-DD", extra={"field": "due_on"}) from None
    assignees = list(dict.fromkeys(data.assignees))
    if assignees and len(await User.select(User.id).where(User.id.is_in(assignees) & (User.kind == "staff"))) != len(
        assignees
    ):
        raise InvalidInput("Assign staff of this district", extra={"field": "assignees"})
    if data.article is not None and not await Article.exists().where(Article.id == data.article):
        raise InvalidInput("No such article", extra={"field": "article"})
    channel = (await channel_by_slug(newsplus, data.channel)).id if data.channel else None
    values = {
        PlanningItem.title: title,
        PlanningItem.brief: data.brief.strip(),
        PlanningItem.channel: channel,
        PlanningItem.assignees: msgspec.json.encode(assignees).decode(),
        PlanningItem.due_on: due_on,
        PlanningItem.status: data.status,
        PlanningItem.article: data.article,
    }
    if item_id is None:
        row = PlanningItem(**{c._meta.name: v for c, v in values.items()}, created_by=user.id, created_at=now())
        await row.save()
        return row.id
    if not await PlanningItem.update(values).where(PlanningItem.id == item_id).returning(PlanningItem.id):
        raise NotFound("No such planning item")
    return item_id


async def planning_board(*, include_closed: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Planning items by status column, soonest due first."""
    query = PlanningItem.select(PlanningItem.all_columns(), PlanningItem.channel.name.as_alias("channel_name"))
    if not include_closed:
        query = query.where(PlanningItem.status.not_in(["done", "dropped"]))
    board: dict[str, list[dict[str, Any]]] = {
        s: [] for s in PLANNING_STATUSES if include_closed or s not in ("done", "dropped")
    }
    for row in await query.order_by(PlanningItem.due_on).limit(500):
        row["assignees"] = msgspec.json.decode(row["assignees"])
        board.setdefault(row["status"], []).append(row)
    return board
