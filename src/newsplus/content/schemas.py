"""msgspec Structs of the content API: what editors send, what readers get."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

Kind = Literal["article", "video", "gallery", "live", "link"]
KINDS: tuple[str, ...] = ("article", "video", "gallery", "live", "link")


class ArticleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An article as an editor saves it. ``revision`` is the one the editor started from (0 for a new one)."""

    title: str
    channel: str
    kind: Kind = "article"
    summary: str = ""
    body: str = ""
    cover: int | None = None
    link: str = ""
    gallery: list[int] = []
    tags: list[str] = []
    street: int | None = None
    go_live_at: datetime | None = None
    expire_at: datetime | None = None
    allow_comments: bool = True
    targets: list[str] = []
    revision: int = 0
    note: str = ""


class Decision(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A workflow action's comment (required when sending an article back) and, for reviewers, the step
    (0 for the first) they looked at: if the article moved on meanwhile the action is refused (409)."""

    comment: str = ""
    step: int | None = None


class FeedItem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One entry of a feed: an article (of any kind) or, among the pins, a topic."""

    id: int
    kind: str
    title: str
    url: str
    summary: str = ""
    cover: str = ""
    channel: str = ""
    channel_name: str = ""
    published_at: datetime | None = None
    link: str = ""
    source: str = ""
    extra: dict[str, Any] = {}
    pinned: bool = False
    views: int = 0
    likes: int = 0
    comments: int = 0


class Feed(msgspec.Struct, kw_only=True):
    """A page of a feed: pins (first page only), items, and the cursor of the next page (None at the end)."""

    items: list[FeedItem]
    pinned: list[FeedItem] = []
    next: str | None = None


class ArticleView(msgspec.Struct, kw_only=True):
    """An article as a reader opens it, with related items and what the reader did with it."""

    id: int
    kind: str
    title: str
    summary: str
    body: str
    cover: str
    link: str
    gallery: list[str]
    channel: str
    channel_name: str
    channel_id: int
    tags: list[str]
    published_at: datetime | None
    source: str
    extra: dict[str, Any]
    views: int
    likes: int
    favourites: int
    shares: int
    comments: int
    allow_comments: bool
    related: list[FeedItem]
    liked: bool = False
    favourited: bool = False


class CommentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A resident's comment."""

    body: str


class Moderation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A moderator's decision on a comment."""

    decision: Literal["approve", "reject"]
    reason: str = ""


class ChannelIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A channel as the desk creates or changes it; ``review_chain`` empty for the district default."""

    slug: str
    name: str
    parent: str = ""
    position: int = 0
    description: str = ""
    review_chain: list[dict[str, str]] = []


class TopicIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A 专题 as the desk saves it; ``items`` are article ids with their section, in order."""

    slug: str
    title: str
    intro: str = ""
    cover: int | None = None
    go_live_at: datetime | None = None
    expire_at: datetime | None = None
    items: list[dict[str, Any]] = []


class PinIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A 置顶: an article or a topic, on the home feed (no channel) or a channel's, by rank, for a while."""

    article: int | None = None
    topic: str = ""
    channel: str = ""
    rank: int = 0
    go_live_at: datetime | None = None
    pinned_until: datetime | None = None


class PlanningIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A 选题 as the desk saves it."""

    title: str
    brief: str = ""
    channel: str = ""
    assignees: list[int] = []
    due_on: str = ""
    status: Literal["proposed", "assigned", "in_progress", "done", "dropped"] = "proposed"
    article: int | None = None
