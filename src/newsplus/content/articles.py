"""Writing articles: drafts saved as revisions (every save kept), compared and restored."""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus.clock import now
from newsplus.content.cache import changes
from newsplus.content.channels import channel_by_slug, channel_tree
from newsplus.content.distribution import distribution_targets
from newsplus.content.sanitize import clean_html, paragraphs_of, summary_of, text_of
from newsplus.content.schemas import KINDS, ArticleIn
from newsplus.content.search import tokens
from newsplus.content.tables import Article, ArticleTag, Media, Revision, Transition
from newsplus.errors import Conflict, InvalidInput, NotFound
from newsplus.users.tables import Department
from newsplus.web.links import check_link

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser

EDITABLE = ("draft", "rejected", "unpublished")
SNAPSHOT = ("kind", "channel", "cover", "link", "gallery", "street", "go_live_at", "expire_at", "allow_comments")
MAX_TAGS = 10


async def article_row(article_id: int) -> dict[str, Any]:
    """One article of this district (every column), or NotFound."""
    row = await Article.select().where(Article.id == article_id).first()
    if row is None:
        raise NotFound("No such article")
    return row


async def tags_of(article_id: int) -> list[str]:
    """An article's tags, in the order given."""
    rows = await ArticleTag.select(ArticleTag.tag).where(ArticleTag.article == article_id).order_by(ArticleTag.id)
    return [r["tag"] for r in rows]


def require_zone(value: datetime | None, field: str) -> datetime | None:
    """A time as given, refused when it has no time zone (a bare 08:00 could be UTC or Beijing)."""
    if value is not None and value.tzinfo is None:
        raise InvalidInput("Give the time with its zone (e.g. +08:00)", extra={"field": field})
    return value


async def _values(newsplus: Newsplus, data: ArticleIn) -> tuple[dict[Any, Any], list[str]]:
    """Validated column values and tags from an editor's input."""
    title = data.title.strip()
    if not title or len(title) > 200:
        raise InvalidInput("A title of 1 to 200 characters is required", extra={"field": "title"})
    if data.kind not in KINDS:
        raise InvalidInput("Unknown kind {kind}", kind=data.kind, extra={"field": "kind"})
    channel = await channel_by_slug(newsplus, data.channel)
    link = check_link(data.link.strip()) if data.link.strip() else ""
    if data.kind in ("video", "live", "link") and not link:
        raise InvalidInput("This kind of item needs a link", extra={"field": "link"})
    media_ids = [m for m in [data.cover, *data.gallery] if m is not None]
    if media_ids:
        found = {r["id"] for r in await Media.select(Media.id).where(Media.id.is_in(media_ids))}
        if set(media_ids) - found:
            raise InvalidInput("A chosen image is not in the media library", extra={"field": "gallery"})
    if data.kind == "gallery" and not data.gallery:
        raise InvalidInput("A gallery needs at least one image", extra={"field": "gallery"})
    if data.street is not None and not await Department.exists().where(Department.id == data.street):
        raise InvalidInput("No such street", extra={"field": "street"})
    go_live_at, expire_at = require_zone(data.go_live_at, "go_live_at"), require_zone(data.expire_at, "expire_at")
    if go_live_at and expire_at and expire_at <= go_live_at:
        raise InvalidInput("It must expire after it goes live", extra={"field": "expire_at"})
    unknown = set(data.targets) - set(distribution_targets(newsplus))
    if unknown:
        raise InvalidInput(
            "Unknown distribution target {target}", target=sorted(unknown)[0], extra={"field": "targets"}
        )
    tags = list(dict.fromkeys(t.strip() for t in data.tags if t.strip()))
    if len(tags) > MAX_TAGS or any(len(t) > 32 for t in tags):
        raise InvalidInput("At most 10 tags of up to 32 characters", extra={"field": "tags"})
    body = clean_html(data.body)
    summary = data.summary.strip() or summary_of(body)
    return {
        Article.kind: data.kind,
        Article.channel: channel.id,
        Article.title: title,
        Article.summary: summary,
        Article.body: body,
        Article.cover: data.cover,
        Article.link: link,
        Article.gallery: msgspec.json.encode(data.gallery).decode(),
        Article.street: data.street,
        Article.go_live_at: go_live_at,
        Article.expire_at: expire_at,
        Article.allow_comments: data.allow_comments,
        Article.targets: msgspec.json.encode(data.targets).decode() if data.targets else "",
        Article.search_text: f"{title}\n{summary}\n{text_of(body)}".lower(),
        Article.search_tokens: tokens(f"{title} {summary} {text_of(body)}"),
    }, tags


async def _record(article_id: int, number: int, user_id: int | None, values: dict[Any, Any], note: str) -> None:
    snapshot = {c._meta.name: values[c] for c in values if c._meta.name in SNAPSHOT}
    snapshot["targets"] = values.get(Article.targets, "")
    await Revision(
        article=article_id,
        number=number,
        author=user_id,
        created_at=now(),
        title=values[Article.title],
        summary=values[Article.summary],
        body=values[Article.body],
        data=msgspec.json.encode(snapshot).decode(),
        note=note[:200],
    ).save()


async def _set_tags(article_id: int, tags: list[str]) -> None:
    await ArticleTag.delete().where(ArticleTag.article == article_id)
    if tags:
        await ArticleTag.insert(*[ArticleTag(article=article_id, tag=t) for t in tags])


async def create_article(
    newsplus: Newsplus, user: CurrentUser, data: ArticleIn, *, source: str = "", extra: dict | None = None
) -> int:
    """Start a draft (revision 1); return its id."""
    values, tags = await _values(newsplus, data)
    moment = now()
    async with changes(newsplus):
        row = Article(
            **{c._meta.name: v for c, v in values.items()},
            author=user.id,
            status="draft",
            revision=1,
            source=source,
            extra=msgspec.json.encode(extra or {}).decode(),
            created_at=moment,
            updated_at=moment,
        )
        await row.save()
        await _record(row.id, 1, user.id, values, data.note or "Created")
        await _set_tags(row.id, tags)
        await Transition(
            article=row.id, from_status="", to_status="draft", actor=user.id, comment="", created_at=moment
        ).save()
    return row.id


async def update_article(newsplus: Newsplus, user: CurrentUser, article_id: int, data: ArticleIn) -> int:
    """Save a new revision of an article that is not in review or live; return its revision number."""
    values, tags = await _values(newsplus, data)
    async with changes(newsplus):
        row = await article_row(article_id)
        if row["status"] not in EDITABLE:
            raise Conflict("An article in review or live cannot be edited; withdraw or unpublish it first")
        if data.revision and data.revision != row["revision"]:
            raise Conflict(
                "Someone saved this article since you opened it (revision {current}); reload to see their changes",
                current=row["revision"],
            )
        number = row["revision"] + 1
        status = "draft" if row["status"] == "unpublished" else row["status"]
        saved = await (
            Article.update({**values, Article.revision: number, Article.status: status, Article.updated_at: now()})
            .where(
                (Article.id == article_id) & (Article.revision == row["revision"]) & (Article.status == row["status"])
            )
            .returning(Article.id)
        )
        if not saved:  # another save or a workflow step got there first
            raise Conflict(
                "Someone saved this article since you opened it (revision {current}); reload to see their changes",
                current=row["revision"] + 1,
            )
        await _record(article_id, number, user.id, values, data.note)
        await _set_tags(article_id, tags)
        if status != row["status"]:
            await Transition(
                article=article_id, from_status=row["status"], to_status=status, actor=user.id, created_at=now()
            ).save()
    return number


async def revisions(article_id: int) -> list[dict[str, Any]]:
    """Every save of an article, newest first (without bodies)."""
    return (
        await Revision.select(Revision.number, Revision.author, Revision.created_at, Revision.title, Revision.note)
        .where(Revision.article == article_id)
        .order_by(Revision.number, ascending=False)
    )


async def revision(article_id: int, number: int) -> dict[str, Any]:
    """One save of an article."""
    row = await Revision.select().where((Revision.article == article_id) & (Revision.number == number)).first()
    if row is None:
        raise NotFound("No such revision")
    return row


async def compare(article_id: int, old: int, new: int) -> list[tuple[str, str]]:
    """The differences between two saves, line by line: ('-' removed, '+' added, ' ' same) with the text."""
    a, b = await revision(article_id, old), await revision(article_id, new)

    def lines(r: dict[str, Any]) -> list[str]:
        return [r["title"], r["summary"], *paragraphs_of(r["body"])]

    diff = difflib.ndiff(lines(a), lines(b))
    return [(line[0], line[2:]) for line in diff if line[:1] in ("-", "+", " ")]


async def restore(newsplus: Newsplus, user: CurrentUser, article_id: int, number: int) -> int:
    """Make an earlier save the current one (as a new revision); return the new revision number."""
    old = await revision(article_id, number)
    row = await article_row(article_id)
    data = msgspec.json.decode(old["data"])
    channel = next((c.slug for c in await channel_tree(newsplus) if c.id == data.get("channel", row["channel"])), None)
    if channel is None:
        raise Conflict("The channel of that revision no longer exists")
    restored = ArticleIn(
        title=old["title"],
        summary=old["summary"],
        body=old["body"],
        channel=channel,
        kind=data.get("kind", row["kind"]),
        cover=data.get("cover"),
        link=data.get("link", ""),
        gallery=msgspec.json.decode(data.get("gallery") or "[]"),
        tags=await tags_of(article_id),
        street=data.get("street"),
        go_live_at=_parse_time(data.get("go_live_at")),
        expire_at=_parse_time(data.get("expire_at")),
        allow_comments=data.get("allow_comments", True),
        targets=msgspec.json.decode(data["targets"]) if data.get("targets") else [],
        revision=row["revision"],
        note=f"Restored revision {number}",
    )
    return await update_article(newsplus, user, article_id, restored)


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime) or value is None:
        return value
    return datetime.fromisoformat(value)


async def history(article_id: int) -> list[dict[str, Any]]:
    """Every workflow step of an article, oldest first."""
    return await Transition.select().where(Transition.article == article_id).order_by(Transition.id)
