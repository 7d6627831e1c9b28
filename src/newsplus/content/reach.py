"""Reach statistics (监测): views, likes, favourites, shares and comments per article and channel by day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Sum

from newsplus.content.tables import Article, DailyReach

MEASURES = ("views", "likes", "favourites", "shares", "comments")


async def daily(
    start: date, end: date, *, article_id: int | None = None, channel_id: int | None = None
) -> list[dict[str, Any]]:
    """One row per day from start to end (days without activity filled with zeros)."""
    query = DailyReach.select(DailyReach.day, *[Sum(getattr(DailyReach, m)).as_alias(m) for m in MEASURES]).where(
        (DailyReach.day >= start) & (DailyReach.day <= end)
    )
    if article_id is not None:
        query = query.where(DailyReach.article == article_id)
    if channel_id is not None:
        query = query.where(DailyReach.channel == channel_id)
    found = {r["day"]: r for r in await query.group_by(DailyReach.day)}
    days = []
    day = start
    while day <= end:
        row = found.get(day) or {}
        days.append({"day": day, **{m: int(row.get(m) or 0) for m in MEASURES}})
        day += timedelta(days=1)
    return days


async def by_channel(start: date, end: date) -> list[dict[str, Any]]:
    """Totals per channel over the period, most viewed first."""
    rows = (
        await DailyReach.select(DailyReach.channel, *[Sum(getattr(DailyReach, m)).as_alias(m) for m in MEASURES])
        .where((DailyReach.day >= start) & (DailyReach.day <= end))
        .group_by(DailyReach.channel)
    )
    return sorted(({**r, **{m: int(r[m] or 0) for m in MEASURES}} for r in rows), key=lambda r: -r["views"])


async def top_articles(start: date, end: date, limit: int = 20) -> list[dict[str, Any]]:
    """The most viewed articles over the period."""
    rows = (
        await DailyReach.select(
            DailyReach.article,
            DailyReach.article.title.as_alias("title"),
            *[Sum(getattr(DailyReach, m)).as_alias(m) for m in MEASURES],
        )
        .where((DailyReach.day >= start) & (DailyReach.day <= end))
        .group_by(DailyReach.article, DailyReach.article.title)
    )
    return sorted(({**r, **{m: int(r[m] or 0) for m in MEASURES}} for r in rows), key=lambda r: -r["views"])[:limit]


async def recently_published(limit: int = 10) -> list[dict[str, Any]]:
    """The latest published articles with their totals so far."""
    return (
        await Article.select(
            Article.id,
            Article.title,
            Article.published_at,
            Article.view_count,
            Article.like_count,
            Article.share_count,
            Article.comment_count,
        )
        .where(Article.status == "published")
        .order_by(Article.published_at, ascending=False)
        .limit(limit)
    )


def bars(days: list[dict[str, Any]], measure: str = "views", width: int = 560, height: int = 120) -> dict[str, Any]:
    """Geometry of a bar chart of one measure by day (drawn as SVG by the template)."""
    peak = max((d[measure] for d in days), default=0) or 1
    step = width / max(len(days), 1)
    return {
        "width": width,
        "height": height,
        "bars": [
            {
                "x": round(i * step + 1, 1),
                "w": round(max(step - 2, 1), 1),
                "h": round(d[measure] / peak * (height - 16), 1),
                "y": round(height - d[measure] / peak * (height - 16), 1),
                "day": d["day"],
                "value": d[measure],
            }
            for i, d in enumerate(days)
        ],
        "peak": peak,
    }
