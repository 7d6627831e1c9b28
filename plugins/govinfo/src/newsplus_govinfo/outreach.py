"""Reaching the last mile: a key notice popped up for the streets, communities or tags it concerns, and a
livelihood topic pinned on the home page for a while."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsplus import InvalidInput
from newsplus.content.organise import add_pin
from newsplus.content.schemas import PinIn as ContentPin
from newsplus.content.tables import Article
from newsplus.notifications.audience import Audience
from newsplus.notifications.popups import create_popup
from newsplus_govinfo.livelihood import topic_for
from newsplus_govinfo.notices import notice_row

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus
    from newsplus_govinfo.schemas import PinIn, PopupIn


async def pop_up(newsplus: Newsplus, user: CurrentUser, article_id: int, data: PopupIn) -> int:
    """Schedule a pop-up for a published notice; return (its id, how many residents it reaches)."""
    await notice_row(article_id)
    article = (
        await Article.select(Article.title, Article.summary, Article.status).where(Article.id == article_id).first()
    )
    if article["status"] not in ("published", "scheduled"):
        raise InvalidInput("Only a published notice can pop up")
    audience = Audience(everyone=data.everyone, streets=data.streets, communities=data.communities, tags=data.tags)
    if audience.is_empty:
        raise InvalidInput("Choose who it pops up for", extra={"field": "streets"})
    return await create_popup(
        newsplus,
        title=article["title"],
        body=article["summary"],
        link=f"/govinfo/notices/{article_id}",
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        audience=audience,
        frequency=data.frequency,
        created_by=user.id,
    )


async def pin_topic(newsplus: Newsplus, user: CurrentUser, category: str, data: PinIn) -> int:
    """Pin a category's livelihood topic on the home page from ``starts_at`` until ``ends_at``."""
    if category not in newsplus.plugin_settings["govinfo"].categories:
        raise InvalidInput("Choose a category from the list", extra={"field": "category"})
    topic = await topic_for(newsplus, category)
    if topic is None:
        raise InvalidInput("This category has no livelihood topic", extra={"field": "category"})
    slug = newsplus.plugin_settings["govinfo"].topics[category]
    return await add_pin(
        newsplus, user, ContentPin(topic=slug, rank=data.rank, go_live_at=data.starts_at, pinned_until=data.ends_at)
    )
