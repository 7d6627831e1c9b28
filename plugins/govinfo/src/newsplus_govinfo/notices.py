"""Department publishing: a publisher writes a notice for their own department, a govinfo editor reviews it
through the content workflow (the 政务公开 channel's chain), and residents read it in the 政务 tab and the feed."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus import ArticleIn, Conflict, Forbidden, InvalidInput, NotFound, create_article, now, transaction
from newsplus.content import workflow
from newsplus.content.articles import article_row, update_article
from newsplus.content.channels import channel_by_slug, save_channel
from newsplus.content.schemas import ChannelIn
from newsplus.content.tables import Article
from newsplus.users.tables import Department
from newsplus.web.links import check_link
from newsplus_govinfo.settings import LEVELS
from newsplus_govinfo.tables import Explains, Notice

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus
    from newsplus_govinfo.schemas import NoticeIn

REVIEW_CHAIN = [{"name": "政务审核", "role": "govinfo_editor"}]


async def channel_id(newsplus: Newsplus) -> int:
    """The 政务公开 channel notices go out in, created with its review chain the first time."""
    settings = newsplus.plugin_settings["govinfo"]
    try:
        return (await channel_by_slug(newsplus, settings.channel)).id
    except NotFound:
        pass
    try:
        return await save_channel(
            newsplus, ChannelIn(slug=settings.channel, name=settings.channel_name, review_chain=REVIEW_CHAIN)
        )
    except Conflict:  # created by another request meanwhile
        return (await channel_by_slug(newsplus, settings.channel)).id


async def _department(user: CurrentUser, department: int | None) -> dict[str, Any]:
    """The department a notice is published for: the publisher's own (a govinfo editor may name any)."""
    if department is None:
        own = sorted(user.departments_with("govinfo.publish"))
        if len(own) != 1:
            raise InvalidInput("Choose the department that publishes it", extra={"field": "department"})
        department = own[0]
    row = await Department.select(Department.id, Department.name).where(Department.id == department).first()
    if row is None:
        raise InvalidInput("No such department", extra={"field": "department"})
    if not user.can_in("govinfo.publish", department):
        raise Forbidden("You may publish only for your own department")
    return row


async def _check(newsplus: Newsplus, data: NoticeIn) -> None:
    settings = newsplus.plugin_settings["govinfo"]
    if data.level not in LEVELS:
        raise InvalidInput("Choose the level: {levels}", levels=" / ".join(LEVELS), extra={"field": "level"})
    if data.category not in settings.categories:
        raise InvalidInput("Choose a category from the list", extra={"field": "category"})
    if data.effective_on and data.expires_on and data.expires_on <= data.effective_on:
        raise InvalidInput("A notice must expire after it takes effect", extra={"field": "expires_on"})
    check_link(data.original_url, "original_url")
    for attachment in data.attachments:
        if not attachment.name.strip():
            raise InvalidInput("Each attachment needs a name", extra={"field": "attachments"})
        check_link(attachment.url, "attachments")
    if data.kind == "interpretation":
        if not data.explains:
            raise InvalidInput("Say which notices this interpretation explains", extra={"field": "explains"})
        found = await Notice.count().where(Notice.article.is_in(data.explains) & (Notice.kind == "notice"))
        if found != len(set(data.explains)):
            raise InvalidInput("An interpretation explains notices of this district", extra={"field": "explains"})


def _extra(data: NoticeIn, department: dict[str, Any]) -> dict[str, Any]:
    """What a feed card shows of a notice (kept on the article, so the feed needs no join)."""
    return {
        "level": data.level,
        "category": data.category,
        "department": department["id"],
        "department_name": department["name"],
        "doc_number": data.doc_number,
        "kind": data.kind,
    }


def _article(channel: str, data: NoticeIn) -> ArticleIn:
    tags = list(dict.fromkeys([data.category, *data.tags]))[:10]
    return ArticleIn(
        title=data.title, channel=channel, summary=data.summary, body=data.body, tags=tags, revision=data.revision
    )


def source_key(department: str, doc_number: str, title: str) -> str:
    """The digest that makes a notice without an id of its own the same one when it comes again."""
    return hashlib.sha256(f"{department}\n{doc_number.strip()}\n{title.strip()}".encode()).hexdigest()[:64]


async def create(newsplus: Newsplus, user: CurrentUser, data: NoticeIn, *, key: str = "") -> int:
    """Write a notice as a draft of the department's publisher; return its id (the article's)."""
    department = await _department(user, data.department)
    await _check(newsplus, data)
    settings = newsplus.plugin_settings["govinfo"]
    await channel_id(newsplus)
    async with transaction():
        article = await create_article(
            newsplus, user, _article(settings.channel, data), source="govinfo", extra=_extra(data, department)
        )
        notice = Notice(
            article=article,
            department=department["id"],
            created_at=now(),
            source_key=key or source_key(department["name"], data.doc_number, data.title),
            **_fields(data),
        )
        await notice.save()
        for explained in set(data.explains):
            target = await Notice.select(Notice.id).where(Notice.article == explained).first()
            await Explains(interpretation=notice.id, notice=target["id"]).save()
    return article


def _fields(data: NoticeIn) -> dict[str, Any]:
    return {
        "kind": data.kind,
        "level": data.level,
        "category": data.category,
        "doc_number": data.doc_number.strip()[:100],
        "effective_on": data.effective_on,
        "expires_on": data.expires_on,
        "original_url": data.original_url.strip(),
        "attachments": msgspec.json.encode(data.attachments).decode(),
    }


async def notice_row(article_id: int) -> dict[str, Any]:
    """A notice of this district by its article's id."""
    row = await Notice.select().where(Notice.article == article_id).first()
    if row is None:
        raise NotFound("No such notice")
    return row


def _may_edit(user: CurrentUser, row: dict[str, Any]) -> None:
    if not user.can_in("govinfo.publish", row["department"]):
        raise Forbidden("You may publish only for your own department")


async def update(newsplus: Newsplus, user: CurrentUser, article_id: int, data: NoticeIn) -> int:
    """Save a new revision of a draft or returned notice; return the revision number."""
    row = await notice_row(article_id)
    _may_edit(user, row)
    department = await _department(user, data.department or row["department"])
    await _check(newsplus, data)
    settings = newsplus.plugin_settings["govinfo"]
    async with transaction():
        revision = await update_article(newsplus, user, article_id, _article(settings.channel, data))
        await Notice.update(
            {getattr(Notice, k): v for k, v in _fields(data).items()} | {Notice.department: department["id"]}
        ).where(Notice.id == row["id"])
        await Article.update({Article.extra: msgspec.json.encode(_extra(data, department)).decode()}).where(
            Article.id == article_id
        )
        await Explains.delete().where(Explains.interpretation == row["id"])
        for explained in set(data.explains):
            target = await Notice.select(Notice.id).where(Notice.article == explained).first()
            await Explains(interpretation=row["id"], notice=target["id"]).save()
    return revision


async def submit(newsplus: Newsplus, user: CurrentUser, article_id: int) -> str:
    """Send a notice for review by a govinfo editor; return the step it waits at."""
    _may_edit(user, await notice_row(article_id))
    return await workflow.submit(newsplus, user, article_id)


async def decide(newsplus: Newsplus, user: CurrentUser, article_id: int, action: str, comment: str = "") -> str:
    """A govinfo editor approves (it is published, or scheduled) or sends it back with a comment."""
    await notice_row(article_id)
    if action == "approve":
        return await workflow.approve(newsplus, user, article_id, comment)
    if action == "reject":
        await workflow.reject(newsplus, user, article_id, comment)
        return "rejected"
    raise NotFound("Unknown action {action}", action=action)


async def desk_view(user: CurrentUser, article_id: int) -> dict[str, Any]:
    """A notice as its publishers and the editors see it, whatever its status."""
    row = await notice_row(article_id)
    if not (user.can("govinfo.review") or user.can_in("govinfo.publish", row["department"])):
        raise NotFound("No such notice")
    article = await article_row(article_id)
    return {
        **_describe(row),
        "title": article["title"],
        "summary": article["summary"],
        "body": article["body"],
        "status": article["status"],
        "revision": article["revision"],
        "explains": await explained_by(row["id"]),
    }


def _describe(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["article"],
        "kind": row["kind"],
        "level": row["level"],
        "level_name": LEVELS.get(row["level"], row["level"]),
        "category": row["category"],
        "department": row["department"],
        "doc_number": row["doc_number"],
        "effective_on": row["effective_on"],
        "expires_on": row["expires_on"],
        "original_url": row["original_url"],
        "attachments": msgspec.json.decode(row["attachments"] or "[]"),
    }


async def explained_by(notice_id: int) -> list[int]:
    """The article ids of the notices an interpretation explains."""
    rows = await Explains.select(Explains.notice.article.as_alias("article")).where(
        Explains.interpretation == notice_id
    )
    return [r["article"] for r in rows]


async def desk_list(user: CurrentUser, *, status: str = "", limit: int = 100) -> list[dict[str, Any]]:
    """Notices for the desk, newest first: every one for editors, a publisher's departments' own for them."""
    query = Notice.select(
        Notice.article,
        Notice.kind,
        Notice.level,
        Notice.category,
        Notice.doc_number,
        Notice.department.name.as_alias("department_name"),
        Notice.article.title.as_alias("title"),
        Notice.article.status.as_alias("status"),
        Notice.article.updated_at.as_alias("updated_at"),
    )
    if not user.can("govinfo.review"):
        departments = sorted(user.departments_with("govinfo.publish"))
        if not departments:
            raise Forbidden("You do not have permission to do this")
        query = query.where(Notice.department.is_in(departments))
    if status:
        query = query.where(Notice.article.status == status)
    return await query.order_by(Notice.id, ascending=False).limit(limit)
