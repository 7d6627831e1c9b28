"""The content core plugin: channels, articles and their review chain, topics, pins, feeds and search."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from newsplus.content import api, desk, desk_api, desk_articles, desk_library, pages, privacy_data, workflow
from newsplus.content.channels import channel_tree
from newsplus.content.distribution import BUILT_IN, DistributionChannel, distribute_published
from newsplus.content.feed import banner_topics, feed
from newsplus.content.reader import CommentPosted, view_counter
from newsplus.content.settings import ContentSettings
from newsplus.events.jobs import Job
from newsplus.events.outbox import Event, handles
from newsplus.hookspecs import hookimpl
from newsplus.notifications.inbox import notify
from newsplus.notifications.preferences import NotificationCategory
from newsplus.types import MenuItem, Permission, Role
from newsplus.web.render import translator_for

if TYPE_CHECKING:
    from litestar import Request

    from newsplus.content.schemas import FeedItem
    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser

name = "content"
logger = logging.getLogger("newsplus.content")


@hookimpl
def register_settings() -> dict[str, type]:
    """``[plugins.content]``: the review chain, comment moderation and upload limits."""
    return {"content": ContentSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    """Channels, articles, topics, pins, media, planning and reach."""
    return ["newsplus.content.piccolo_app"]


@hookimpl
def register_routes(newsplus: Newsplus) -> list[Any]:
    """The reader API and pages, the desk's API and pages, Atom and media files."""
    return [api.router, desk_api.router, *pages.ROUTES, *desk.ROUTES, *desk_articles.ROUTES, *desk_library.ROUTES]


@hookimpl
def register_permissions() -> list[Permission]:
    """Permissions of the editorial workflow."""
    return [
        Permission(name="content.edit", label="Write and edit articles, plan stories, upload media"),
        Permission(name="content.review", label="Review articles (初审 / 复审 / 终审, as the chain says)"),
        Permission(name="content.publish", label="Unpublish, archive and oversee publishing"),
        Permission(name="content.arrange", label="Manage channels, topics and pins (置顶)"),
        Permission(name="content.moderate", label="Moderate comments"),
    ]


@hookimpl
def register_roles() -> list[Role]:
    """The editorial roles and what they may do."""
    return [
        Role(name="editor", label="Editor", permissions=("content.edit",)),
        Role(name="reviewer", label="Reviewer", permissions=("content.edit", "content.review", "content.moderate")),
        Role(
            name="chief_editor",
            label="Chief editor",
            permissions=(
                "content.edit",
                "content.review",
                "content.publish",
                "content.arrange",
                "content.moderate",
            ),
        ),
    ]


@hookimpl
def register_events() -> list[type[Event]]:
    """Submitted, sent back, published, unpublished; a comment posted."""
    return [*workflow.EVENTS, CommentPosted]


@hookimpl
def register_notification_categories() -> list[NotificationCategory]:
    """Telling reviewers and authors where their articles are."""
    return [NotificationCategory(name="content.workflow", label="Articles to review and returned", priority="normal")]


@hookimpl
def register_distribution_channels() -> list[DistributionChannel]:
    """The app feed, the web page, Atom, and the WeChat and Weibo exports."""
    return list(BUILT_IN)


@hookimpl
def register_jobs() -> list[Job]:
    """Publish at go-live times and unpublish at expiry."""
    return [
        Job(
            name="content.schedule",
            run=workflow.run_schedule,
            every=timedelta(seconds=30),
            description="Publish scheduled articles and take expired ones down",
        )
    ]


@hookimpl
@handles("content.*")
def handle_event(event: Event, newsplus: Newsplus):
    """Tell the next reviewers, tell authors what came back, send published articles to their targets."""
    if isinstance(event, workflow.ArticleSubmitted):
        return workflow.tell_reviewers(newsplus, event)
    if isinstance(event, workflow.ArticleRejected) and event.author_id:
        return notify(
            newsplus,
            event.author_id,
            f"退回：{event.title}",
            body=f"{event.step}：{event.comment}",
            link=f"/desk/content/articles/{event.article_id}",
            category="content.workflow",
        )
    if isinstance(event, workflow.ArticlePublished):
        return distribute_published(newsplus, event.article_id)
    return None


@hookimpl(trylast=True)
def render_feed_item(item: FeedItem, request: Request) -> str:
    """The core's card for an article or topic."""
    environment = request.app.template_engine.engine
    return Markup(environment.get_template("content/_card.html").render(item=item, _=translator_for(request)))


@hookimpl
def prepare_jinja2_environment(env: jinja2.Environment, newsplus: Newsplus) -> None:
    """``feed_card(item)`` in templates: the entry as the plugins render it (``render_feed_item``)."""

    @jinja2.pass_context
    def feed_card(context: Any, item: FeedItem) -> Markup:
        return Markup(newsplus.hook.render_feed_item(item=item, request=context["request"]) or "")

    env.globals["feed_card"] = feed_card


@hookimpl
def menu_items(request: Request, user: CurrentUser | None) -> list[MenuItem]:
    """Search for residents; the editorial desk's sections for staff."""
    return [
        MenuItem(label="Search", url="/search", area="h5", icon="search", order=100),
        MenuItem(label="Editorial desk", url="/desk/content", area="desk", order=100, permission="content.edit"),
        MenuItem(label="Articles", url="/desk/content/articles", area="desk", order=110, permission="content.edit"),
        MenuItem(label="Planning", url="/desk/content/planning", area="desk", order=120, permission="content.edit"),
        MenuItem(label="Media library", url="/desk/content/media", area="desk", order=130, permission="content.edit"),
        MenuItem(label="Comments", url="/desk/content/comments", area="desk", order=140, permission="content.moderate"),
        MenuItem(
            label="Channels and topics",
            url="/desk/content/channels",
            area="desk",
            order=150,
            permission="content.arrange",
        ),
        MenuItem(label="Reach", url="/desk/content/reach", area="desk", order=160, permission="content.edit"),
    ]


@hookimpl
def extra_template_vars(request: Request, template: str):
    """The home page's channel tabs, pinned topic banner and first feed page."""
    if template != "home.html":
        return None

    async def gather() -> dict[str, Any]:
        newsplus = request.app.state.newsplus
        cursor = request.query_params.get("cursor")
        first = await feed(newsplus, cursor=cursor)
        return {
            "channels": [c for c in await channel_tree(newsplus) if c.depth == 0],
            "banner": [p for p in first.pinned if p.kind == "topic"] or await banner_topics(newsplus),
            "feed": first,
        }

    return gather()


@hookimpl
def user_data(newsplus: Newsplus, user: CurrentUser):
    """A reader's favourites, likes, follows and comments, for their data export."""
    return privacy_data.export(user)


@hookimpl
def startup(newsplus: Newsplus):
    """Write counted views every few seconds: every process that serves readers counts its own."""
    every = newsplus.plugin_settings["content"].view_flush_seconds
    if every <= 0 or not newsplus.serving:
        return None

    async def flush_forever() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await view_counter(newsplus).flush(newsplus)
            except Exception:  # a failed write loses a few view counts, never the loop
                logger.exception("writing view counts failed")

    newsplus.state["content.flusher"] = asyncio.get_running_loop().create_task(flush_forever())
    return None


@hookimpl
def shutdown(newsplus: Newsplus):
    """Stop the view writer and write what it still holds."""
    task = newsplus.state.pop("content.flusher", None)

    async def stop() -> None:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        counter = newsplus.state.get("content.views")
        if counter is not None and counter.pending:
            try:
                await counter.flush(newsplus)
            except Exception:
                logger.exception("writing view counts at shutdown failed")

    return stop()
