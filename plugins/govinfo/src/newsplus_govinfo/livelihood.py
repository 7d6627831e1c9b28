"""What follows a notice's publication: it joins its category's livelihood topic (民生专题, sections by level),
and the residents who follow its category or department hear of it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from newsplus import now
from newsplus.content.organise import save_topic, set_topic_published, topic_items
from newsplus.content.schemas import TopicIn
from newsplus.content.tables import Article, Topic
from newsplus.notifications.inbox import notify_many
from newsplus_govinfo.settings import LEVELS
from newsplus_govinfo.tables import Notice, Subscription

if TYPE_CHECKING:
    from newsplus import Newsplus

ORDER = list(LEVELS.values())


async def topic_for(newsplus: Newsplus, category: str) -> int | None:
    """The id of a category's livelihood topic, created and put live the first time; None without one."""
    slug = newsplus.plugin_settings["govinfo"].topics.get(category)
    if not slug:
        return None
    row = await Topic.select(Topic.id).where(Topic.slug == slug).first()
    if row is not None:
        return row["id"]
    topic = await save_topic(
        newsplus,
        TopicIn(slug=slug, title=f"民生·{category}", intro=f"<p>中央、市、区、街道{category}政策一站看全。</p>"),
    )
    await set_topic_published(newsplus, topic, True)
    return topic


async def add_to_topic(newsplus: Newsplus, notice: dict[str, Any]) -> None:
    """Put a published notice in its category's topic, in the section of its level (中央 first), newest first."""
    topic = await topic_for(newsplus, notice["category"])
    if topic is None:
        return
    row = await Topic.select(Topic.slug, Topic.title, Topic.intro, Topic.cover).where(Topic.id == topic).first()
    items = [{"article": i["article"], "section": i["section"]} for i in await topic_items(topic)]
    if any(i["article"] == notice["article"] for i in items):
        return
    items.append({"article": notice["article"], "section": LEVELS.get(notice["level"], "")})

    def place(item: dict[str, Any]) -> tuple[int, int]:
        section = item["section"]
        return (ORDER.index(section) if section in ORDER else len(ORDER), -item["article"])

    await save_topic(
        newsplus,
        TopicIn(
            slug=row["slug"], title=row["title"], intro=row["intro"], cover=row["cover"], items=sorted(items, key=place)
        ),
        topic,
    )


async def tell_followers(newsplus: Newsplus, notice: dict[str, Any], title: str, published_at: Any) -> int:
    """Notify the residents who follow the notice's category or department (not for an old notice imported)."""
    if published_at is None or published_at < now() - timedelta(days=newsplus.plugin_settings["govinfo"].notify_days):
        return 0
    followers = await Subscription.select(Subscription.user).where(
        ((Subscription.kind == "category") & (Subscription.value == notice["category"]))
        | ((Subscription.kind == "department") & (Subscription.value == str(notice["department"])))
    )
    users = list(dict.fromkeys(r["user"] for r in followers))
    await notify_many(
        newsplus,
        users,
        f"{notice['category']}：{title}",
        link=f"/govinfo/notices/{notice['article']}",
        category="govinfo.followed",
    )
    return len(users)


async def published(newsplus: Newsplus, article_id: int) -> None:
    """A govinfo article went live: topic and followers."""
    notice = await Notice.select().where(Notice.article == article_id).first()
    if notice is None:
        return
    article = await Article.select(Article.title, Article.published_at).where(Article.id == article_id).first()
    await add_to_topic(newsplus, notice)
    await tell_followers(newsplus, notice, article["title"], article["published_at"])
