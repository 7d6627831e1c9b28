"""Where a published article goes: the app feed, the web page, Atom, and exports for WeChat and Weibo editors.

Targets come from ``register_distribution_channels``. When an article is published each of its targets (all,
unless the editor chose some) is called after commit, and the outcome is recorded per target.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus.clock import now
from newsplus.content.sanitize import image_urls, paragraphs_of
from newsplus.content.tables import Article, Distribution

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = [
    "DistributionChannel",
    "distribute_published",
    "distribution_targets",
    "record_distribution",
    "wechat_html",
    "weibo_text",
]


class DistributionChannel(msgspec.Struct, frozen=True, kw_only=True):
    """A target a publish goes to: ``publish(newsplus, article)`` returns a note (a URL, an id) or raises."""

    name: str
    label: str
    publish: Callable[[Any, dict[str, Any]], Awaitable[str]]


def distribution_targets(newsplus: Newsplus) -> dict[str, DistributionChannel]:
    """Every registered target by name (collected once per app)."""
    targets = newsplus.state.get("content.targets")
    if targets is None:
        found = newsplus.collect("register_distribution_channels", newsplus=newsplus)
        targets = newsplus.state["content.targets"] = {t.name: t for t in found}
    return targets


def absolute(newsplus: Newsplus, path: str) -> str:
    """A site path as a full address (for exports and Atom)."""
    if path.startswith(("http://", "https://")):
        return path
    return newsplus.settings.site.base_url.rstrip("/") + path


async def _in_feed(newsplus: Newsplus, article: dict[str, Any]) -> str:
    return "/api/v1/feed"


async def _web(newsplus: Newsplus, article: dict[str, Any]) -> str:
    return absolute(newsplus, f"/articles/{article['id']}")


async def _atom(newsplus: Newsplus, article: dict[str, Any]) -> str:
    return absolute(newsplus, "/feed.atom")


async def _wechat(newsplus: Newsplus, article: dict[str, Any]) -> str:
    return f"/desk/content/articles/{article['id']}/export/wechat"


async def _weibo(newsplus: Newsplus, article: dict[str, Any]) -> str:
    return f"/desk/content/articles/{article['id']}/export/weibo"


BUILT_IN = [
    DistributionChannel(name="app", label="App feed", publish=_in_feed),
    DistributionChannel(name="web", label="Web page", publish=_web),
    DistributionChannel(name="atom", label="Atom feed", publish=_atom),
    DistributionChannel(name="wechat", label="WeChat export", publish=_wechat),
    DistributionChannel(name="weibo", label="Weibo export", publish=_weibo),
]


async def record_distribution(newsplus: Newsplus, article: dict[str, Any]) -> list[dict[str, Any]]:
    """Send a just-published article to its targets and record each outcome; return the records."""
    targets = distribution_targets(newsplus)
    chosen = msgspec.json.decode(article["targets"]) if article.get("targets") else list(targets)
    records = []
    for name in chosen:
        target = targets.get(name)
        if target is None:
            status, detail = "failed", "target no longer registered"
        else:
            try:
                status, detail = "done", await target.publish(newsplus, article)
            except Exception as exc:  # one failing target must not stop the others
                status, detail = "failed", f"{type(exc).__name__}: {exc}"[:500]
        records.append({"target": name, "status": status, "detail": detail})
    await Distribution.insert(*[Distribution(article=article["id"], created_at=now(), **record) for record in records])
    return records


async def distribute_published(newsplus: Newsplus, article_id: int) -> None:
    """On a publish event: send the live article to its targets, unless this publish was already sent."""
    row = await Article.select().where(Article.id == article_id).first()
    if row is None or row["status"] != "published":
        return
    last = (
        await Distribution.select(Distribution.created_at)
        .where(Distribution.article == article_id)
        .order_by(Distribution.id, ascending=False)
        .first()
    )
    if last and last["created_at"] >= row["published_at"]:
        return  # a repeated delivery of the same publish
    await record_distribution(newsplus, row)


async def distributions(article_id: int) -> list[dict[str, Any]]:
    """Where an article went, newest first."""
    return (
        await Distribution.select().where(Distribution.article == article_id).order_by(Distribution.id, ascending=False)
    )


_P = 'style="margin:0 0 1em;line-height:1.75;font-size:16px;color:#333;text-align:justify;"'
_H = 'style="font-size:20px;font-weight:bold;line-height:1.4;margin:0 0 .6em;color:#111;"'
_IMG = 'style="max-width:100%;height:auto;display:block;margin:0 auto 1em;"'


def wechat_html(newsplus: Newsplus, article: dict[str, Any]) -> str:
    """The article as inline-styled HTML that survives pasting into the WeChat editor (no classes, no scripts)."""
    parts = [f"<h1 {_H}>{html.escape(article['title'])}</h1>"]
    if article.get("summary"):
        parts.append(f'<p style="color:#888;font-size:14px;margin:0 0 1.2em;">{html.escape(article["summary"])}</p>')
    body = article["body"]
    for src in image_urls(body):
        body = body.replace(f'src="{html.escape(src)}"', f'src="{html.escape(absolute(newsplus, src))}" {_IMG}')
    body = body.replace("<p>", f"<p {_P}>")
    parts.append(body)
    parts.append(
        f'<p style="color:#999;font-size:12px;">{html.escape(newsplus.settings.site.name)} · '
        f"{html.escape(absolute(newsplus, '/articles/' + str(article['id'])))}</p>"
    )
    return "\n".join(parts)


def weibo_text(newsplus: Newsplus, article: dict[str, Any]) -> tuple[str, list[str]]:
    """The article as a Weibo post: 【title】, the text, the link; and its images in order (up to 9)."""
    text = "\n".join(paragraphs_of(article["body"]))
    lead = f"【{article['title']}】{article.get('summary') or ''}"
    link = absolute(newsplus, f"/articles/{article['id']}")
    post = f"{lead}\n{text}" if len(lead) + len(text) < 1900 else f"{lead}\n{text[: 1900 - len(lead)]}…"
    return f"{post}\n{link}", [absolute(newsplus, src) for src in image_urls(article["body"])][:9]
