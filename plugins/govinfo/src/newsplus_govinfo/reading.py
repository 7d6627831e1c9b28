"""The 政务 tab: every department's notices in one place, filtered by level, category and department,
searched; one notice with its interpretations; the department directory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count

from newsplus import NotFound, articles_where, now
from newsplus.content.channels import channel_by_slug
from newsplus.content.feed import visible
from newsplus.content.reading import article
from newsplus.content.schemas import Feed
from newsplus.content.tables import Article
from newsplus.users.tables import Department
from newsplus_govinfo.notices import _describe, notice_row
from newsplus_govinfo.tables import Explains, Notice

if TYPE_CHECKING:
    from newsplus import Newsplus


async def listing(
    newsplus: Newsplus,
    *,
    level: str = "",
    category: str = "",
    department: int | None = None,
    kind: str = "",
    query: str = "",
    cursor: str | None = None,
    limit: int = 20,
) -> Feed:
    """Published notices, newest first, narrowed by any of level, category, department, kind and a search."""
    notices = Notice.select(Notice.article)
    for column, value in ((Notice.level, level), (Notice.category, category), (Notice.kind, kind)):
        if value:
            notices = notices.where(column == value)
    if department is not None:
        notices = notices.where(Notice.department == department)
    try:
        channel = await channel_by_slug(newsplus, newsplus.plugin_settings["govinfo"].channel)
    except NotFound:  # made with the first notice: none yet
        return Feed(items=[], next=None)
    # Within the 政务公开 channel the feed walks the channel's own index, not every article of the district
    # (with a million articles and few notices, the whole archive: 1.6 s).
    where = (Article.channel == channel.id) & Article.id.is_in(notices)
    return await articles_where(newsplus, where, query=query, cursor=cursor, limit=limit)


async def _published(article_ids: list[int]) -> list[dict[str, Any]]:
    if not article_ids:
        return []
    return (
        await Article.select(Article.id, Article.title)
        .where(Article.id.is_in(article_ids) & visible(now()))
        .order_by(Article.published_at, ascending=False)
    )


async def notice(newsplus: Newsplus, article_id: int) -> dict[str, Any]:
    """A published notice: the article, its 文号 and dates, attachments, and the interpretations that explain
    it (or, for an interpretation, the notices it explains)."""
    view = await article(newsplus, article_id)
    row = await notice_row(article_id)
    if row["kind"] == "interpretation":
        linked = [
            r["a"]
            for r in await Explains.select(Explains.notice.article.as_alias("a")).where(
                Explains.interpretation == row["id"]
            )
        ]
    else:
        linked = [
            r["a"]
            for r in await Explains.select(Explains.interpretation.article.as_alias("a")).where(
                Explains.notice == row["id"]
            )
        ]
    department = (
        await Department.select(Department.name).where(Department.id == row["department"]).first()
        if row["department"]
        else None
    )
    today = now().astimezone(ZoneInfo(newsplus.settings.site.timezone)).date()
    expired = row["expires_on"] is not None and row["expires_on"] < today
    return {
        **_describe(row),
        "article": view,
        "department_name": department["name"] if department else "",
        "linked": await _published(linked),
        "expired": expired,
    }


async def directory() -> list[dict[str, Any]]:
    """Every bureau and street office with how many notices it has published, bureaus first."""
    counts = {
        r["department"]: r["n"]
        for r in await Notice.select(Notice.department, Count(Notice.id).as_alias("n"))
        .where(Notice.article.is_in(Article.select(Article.id).where(visible(now()))))
        .group_by(Notice.department)
    }
    rows = (
        await Department.select(Department.id, Department.name, Department.kind)
        .where(Department.kind.is_in(["bureau", "street"]))
        .order_by(Department.kind)
        .order_by(Department.position)
    )
    return [{**r, "notices": counts.get(r["id"], 0)} for r in rows]
