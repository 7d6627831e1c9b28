"""Tables of the content app: channels, articles and their history, topics, pins, media, planning, reach."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, OnUpdate, Text, Timestamptz, Varchar

from newsplus.districts.scope import DistrictTable
from newsplus.users.tables import Department, User


def _fk(target, *, null: bool = False, on_delete: OnDelete = OnDelete.cascade) -> ForeignKey:
    return ForeignKey(target, null=null, on_delete=on_delete, on_update=OnUpdate.cascade)


class Channel(DistrictTable, tablename="content_channel"):
    """A 栏目: a node in the district's channel tree, with its own review chain when set."""

    slug = Varchar(length=64, null=False)
    name = Varchar(length=100, null=False)
    parent = ForeignKey("self", null=True, on_delete=OnDelete.restrict, on_update=OnUpdate.cascade)
    position = Integer(null=False, default=0)
    description = Text(null=False, default="")
    review_chain = Text(null=False, default="")
    active = Boolean(null=False, default=True)


class Media(DistrictTable, tablename="content_media"):
    """An uploaded image or video in the media library: stored outside the code tree, images re-encoded."""

    kind = Varchar(length=10, null=False, default="image")
    name = Varchar(length=200, null=False, default="")
    path = Varchar(length=300, null=False)
    thumb = Varchar(length=300, null=False, default="")
    content_type = Varchar(length=60, null=False)
    size = Integer(null=False, default=0)
    width = Integer(null=False, default=0)
    height = Integer(null=False, default=0)
    alt = Varchar(length=200, null=False, default="")
    uploaded_by = Integer(null=True, default=None)
    created_at = Timestamptz(null=False)


class Article(DistrictTable, tablename="content_article"):
    """An item readers see: article, video, gallery, live link or external link, with its workflow state."""

    kind = Varchar(length=20, null=False, default="article")
    channel = _fk(Channel, on_delete=OnDelete.restrict)
    title = Varchar(length=200, null=False)
    summary = Text(null=False, default="")
    body = Text(null=False, default="")
    cover = _fk(Media, null=True, on_delete=OnDelete.set_null)
    link = Varchar(length=500, null=False, default="")
    gallery = Text(null=False, default="[]")
    source = Varchar(length=64, null=False, default="")
    extra = Text(null=False, default="{}")
    street = _fk(Department, null=True, on_delete=OnDelete.set_null)
    author = _fk(User, null=True, on_delete=OnDelete.set_null)
    status = Varchar(length=20, null=False, default="draft")
    review_step = Integer(null=False, default=0)
    chain = Text(null=False, default="")
    targets = Text(null=False, default="")
    revision = Integer(null=False, default=0)
    go_live_at = Timestamptz(null=True, default=None)
    expire_at = Timestamptz(null=True, default=None)
    published_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)
    allow_comments = Boolean(null=False, default=True)
    view_count = Integer(null=False, default=0)
    like_count = Integer(null=False, default=0)
    favourite_count = Integer(null=False, default=0)
    share_count = Integer(null=False, default=0)
    comment_count = Integer(null=False, default=0)
    search_text = Text(null=False, default="")
    search_tokens = Text(null=False, default="")


class ArticleTag(DistrictTable, tablename="content_article_tag"):
    """A tag on an article (社保, 回天, 垃圾分类): related items and other plugins' content find it by name."""

    article = _fk(Article)
    tag = Varchar(length=64, null=False)


class Revision(DistrictTable, tablename="content_revision"):
    """One save of an article, kept for ever: compare any two, restore any one."""

    article = _fk(Article)
    number = Integer(null=False)
    author = Integer(null=True, default=None)
    created_at = Timestamptz(null=False)
    title = Varchar(length=200, null=False)
    summary = Text(null=False, default="")
    body = Text(null=False, default="")
    data = Text(null=False, default="{}")
    note = Varchar(length=200, null=False, default="")


class Transition(DistrictTable, tablename="content_transition"):
    """One workflow step of an article: from, to, who, when, and the comment (append-only)."""

    article = _fk(Article)
    from_status = Varchar(length=20, null=False)
    to_status = Varchar(length=20, null=False)
    step = Varchar(length=40, null=False, default="")
    actor = Integer(null=True, default=None)
    comment = Text(null=False, default="")
    created_at = Timestamptz(null=False)


class Topic(DistrictTable, tablename="content_topic"):
    """A 专题: a cover, an intro and ordered items, live between its go-live and expiry times."""

    slug = Varchar(length=64, null=False)
    title = Varchar(length=200, null=False)
    intro = Text(null=False, default="")
    cover = _fk(Media, null=True, on_delete=OnDelete.set_null)
    published = Boolean(null=False, default=False)
    go_live_at = Timestamptz(null=True, default=None)
    expire_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)


class TopicItem(DistrictTable, tablename="content_topic_item"):
    """An article in a topic, in a section, at a position."""

    topic = _fk(Topic)
    article = _fk(Article)
    section = Varchar(length=100, null=False, default="")
    position = Integer(null=False, default=0)


class Pin(DistrictTable, tablename="content_pin"):
    """A 置顶: an article or topic held at the top of the home feed or a channel, by rank, for a while."""

    channel = _fk(Channel, null=True)
    article = _fk(Article, null=True)
    topic = _fk(Topic, null=True)
    rank = Integer(null=False, default=0)
    go_live_at = Timestamptz(null=False)
    pinned_until = Timestamptz(null=True, default=None)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(null=False)


class PlanningItem(DistrictTable, tablename="content_planning"):
    """A 选题: a story the desk plans, its brief, who gathers it, by when, and how far it got."""

    title = Varchar(length=200, null=False)
    brief = Text(null=False, default="")
    channel = _fk(Channel, null=True, on_delete=OnDelete.set_null)
    assignees = Text(null=False, default="[]")
    due_on = Date(null=True, default=None)
    status = Varchar(length=20, null=False, default="proposed")
    article = _fk(Article, null=True, on_delete=OnDelete.set_null)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(null=False)


class Reaction(DistrictTable, tablename="content_reaction"):
    """A resident's like or favourite of an article (one of each per person)."""

    article = _fk(Article)
    user = _fk(User)
    kind = Varchar(length=10, null=False)
    created_at = Timestamptz(null=False)


class Comment(DistrictTable, tablename="content_comment"):
    """A resident's comment: pending until a moderator approves it (or clean, when only flagged ones wait)."""

    article = _fk(Article)
    user = _fk(User)
    body = Text(null=False)
    status = Varchar(length=10, null=False, default="pending")
    flagged = Varchar(length=200, null=False, default="")
    created_at = Timestamptz(null=False)
    moderated_by = Integer(null=True, default=None)
    moderated_at = Timestamptz(null=True, default=None)
    reason = Varchar(length=200, null=False, default="")


class Follow(DistrictTable, tablename="content_follow"):
    """A resident follows a channel: its articles come into their own feed."""

    user = _fk(User)
    channel = _fk(Channel)
    created_at = Timestamptz(null=False)


class DailyReach(DistrictTable, tablename="content_daily_reach"):
    """Views, likes, favourites, shares and comments of one article on one day (监测)."""

    article = _fk(Article)
    channel = Integer(null=False)
    day = Date(null=False)
    views = Integer(null=False, default=0)
    likes = Integer(null=False, default=0)
    favourites = Integer(null=False, default=0)
    shares = Integer(null=False, default=0)
    comments = Integer(null=False, default=0)


class Distribution(DistrictTable, tablename="content_distribution"):
    """That one publish of an article went to one target (app feed, web, Atom, WeChat export …)."""

    article = _fk(Article)
    target = Varchar(length=64, null=False)
    status = Varchar(length=10, null=False, default="done")
    detail = Text(null=False, default="")
    created_at = Timestamptz(null=False)


class ContentVersion(DistrictTable, tablename="content_version"):
    """A district's content version: bumped on every change readers see, so every worker's cache follows."""

    version = Integer(null=False, default=0)
