"""The readers' side of the content plugin, as an app sees it over /api/v1: feeds with pins and a keyset cursor,
the resident's own feed, articles with views, likes, favourites, shares and comments, search, Atom, media
uploads, and the per-worker cache that serves all of it."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import feedparser
import httpx
import pytest
from litestar.testing import TestClient
from PIL import Image

from newsplus.clock import frozen_clock
from newsplus.content.cache import content_cache
from newsplus.content.feed import make_cursor
from newsplus.content.reader import local_day, view_counter
from newsplus.content.tables import Article, DailyReach
from newsplus.districts.scope import district_scope
from newsplus.testing import bearer, call, login_resident, login_staff, make_app, running, sms_codes
from newsplus.users import accounts

EN = {"Accept-Language": "en"}
DESK = "/api/v1/content"


pytestmark = pytest.mark.usefixtures("light_passwords")


def headers(token: str | None = None) -> dict[str, str]:
    """English messages, and the bearer token when given."""
    return {**EN, **(bearer(token) if token else {})}


def iso(moment: datetime) -> str:
    return moment.isoformat()


class Desk:
    """The newsroom of a test: a chief editor (channels, pins, topics, unpublishing), an editor who writes, and
    two reviewers; an article goes out after 初审 and 复审 by the reviewers and 终审 by the chief editor."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.chief = login_staff(client, "chief", roles=("chief_editor",))
        self.editor = login_staff(client, "editor", roles=("editor",))
        self.reviewers = [login_staff(client, f"reviewer{i}", roles=("reviewer",)) for i in (1, 2)]

    def send(self, method: str, token: str, path: str, json: Any = None, expect: int | None = None) -> Any:
        response = self.client.request(method, DESK + path, json=json, headers=headers(token))
        assert response.status_code == expect if expect else response.status_code < 300, response.text
        return response.json() if response.content else None

    def channel(self, slug: str, name: str = "", parent: str = "") -> int:
        return self.send("POST", self.chief, "/channels", {"slug": slug, "name": name or slug, "parent": parent})["id"]

    def draft(self, title: str, channel: str = "news", **fields: Any) -> int:
        return self.send("POST", self.editor, "/articles", {"title": title, "channel": channel, **fields}, 201)["id"]

    def publish(self, article_id: int) -> str:
        """Submit an article and pass the whole default chain; return where it ended (published or scheduled)."""
        self.send("POST", self.editor, f"/articles/{article_id}/submit")
        for token in (*self.reviewers, self.chief):
            status = self.send("POST", token, f"/articles/{article_id}/approve")["status"]
        return status

    def article(self, title: str, channel: str = "news", **fields: Any) -> int:
        """A published article."""
        article_id = self.draft(title, channel, **fields)
        assert self.publish(article_id) == "published"
        return article_id

    def unpublish(self, article_id: int) -> None:
        self.send("POST", self.chief, f"/articles/{article_id}/unpublish")

    def pin(self, **fields: Any) -> int:
        return self.send("POST", self.chief, "/pins", fields, 201)["id"]


def get_feed(client: TestClient, token: str | None = None, path: str = "/api/v1/feed", **params: Any) -> dict:
    response = client.get(path, params=params, headers=headers(token))
    assert response.status_code == 200, response.text
    return response.json()


def ids(items: list[dict]) -> list[int]:
    return [item["id"] for item in items]


def read(client: TestClient, article_id: int, token: str | None = None) -> dict:
    response = client.get(f"/api/v1/articles/{article_id}", headers=headers(token))
    assert response.status_code == 200, response.text
    return response.json()


def search(client: TestClient, q: str, **params: Any) -> list[int]:
    response = client.get("/api/v1/search", params={"q": q, **params}, headers=EN)
    assert response.status_code == 200, response.text
    return ids(response.json()["items"])


def flip(cursor: str, at: int) -> str:
    """The cursor with one character changed."""
    return cursor[:at] + ("B" if cursor[at] != "B" else "C") + cursor[at + 1 :]


def start_of_test() -> datetime:
    """A moment to freeze the clock at: now (so sessions made in the test stay valid), to the second."""
    return datetime.now(UTC).replace(microsecond=0)


# -- the feed ----------------------------------------------------------------------------------------------


def test_the_feed_is_newest_first_and_its_limit_is_bounded(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news", "新闻")
        first, second, third = (desk.article(f"第{n}条新闻") for n in (1, 2, 3))
        desk.draft("还没发的稿子")

        page = get_feed(client)
        assert ids(page["items"]) == [third, second, first]
        assert page["next"] is None and page["pinned"] == []
        item = page["items"][0]
        assert item["title"] == "第3条新闻" and item["url"] == f"/articles/{third}"
        assert item["channel"] == "news" and item["channel_name"] == "新闻" and item["published_at"]

        assert ids(get_feed(client, limit=1)["items"]) == [third]
        assert ids(get_feed(client, limit=50)["items"]) == [third, second, first]
        for limit in (0, 51, -1):
            refused = client.get("/api/v1/feed", params={"limit": limit}, headers=EN)
            assert refused.status_code == 400, refused.text
            assert refused.json()["detail"] == "limit must be between 1 and 50"
            assert refused.json()["extra"] == {"field": "limit"}
        assert client.get("/api/v1/feed", params={"limit": "many"}, headers=EN).status_code == 400


def page_through(client: TestClient, between: Any = None, **params: Any) -> list[list[int]]:
    """Every page of a feed, calling ``between()`` after each page but the last."""
    pages, cursor = [], None
    while True:
        page = get_feed(client, **params, **({"cursor": cursor} if cursor else {}))
        pages.append(ids(page["items"]))
        if cursor is not None:
            assert page["pinned"] == []  # pins come on the first page only
        cursor = page["next"]
        if cursor is None:
            return pages
        if between:
            between()


def test_paging_neither_skips_nor_repeats_while_new_articles_come_out(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        older = [desk.article(f"旧闻{n}") for n in range(7)]
        newer: list[int] = []

        pages = page_through(client, lambda: newer.append(desk.article(f"新闻{len(newer)}")), limit=3)
        assert pages == [older[::-1][:3], older[::-1][3:6], older[::-1][6:]]
        assert len(newer) == 2
        assert ids(get_feed(client, limit=3)["items"]) == [newer[1], newer[0], older[-1]]


def test_paging_holds_when_many_articles_share_one_publishing_moment(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        with frozen_clock(start_of_test()):  # every article goes out at the very same instant
            same = [desk.article(f"同一时刻{n}") for n in range(5)]
            added: list[int] = []
            pages = page_through(client, lambda: added.append(desk.article("插队的新闻")), limit=2)
        assert [i for page in pages for i in page] == same[::-1]
        assert pages == [same[::-1][:2], same[::-1][2:4], same[::-1][4:]]


def test_a_later_page_is_served_from_the_cache_until_content_changes(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        articles = [desk.article(f"新闻{n}") for n in range(4)]
        cursor = get_feed(client, limit=2)["next"]
        cache = content_cache(client.app.state.newsplus, cursor_pages=True)
        misses = cache.misses
        page = get_feed(client, limit=2, cursor=cursor)
        assert cache.misses == misses + 1  # kept once, as the bytes sent, not also as the page they encode
        assert ids(page["items"]) == [articles[1], articles[0]]
        hits = cache.hits
        assert get_feed(client, limit=2, cursor=cursor) == page
        assert cache.hits == hits + 1  # the second reader of page two costs no query

        desk.unpublish(articles[1])
        assert ids(get_feed(client, limit=2, cursor=cursor)["items"]) == [articles[0]]


def test_a_tampered_or_foreign_cursor_is_refused(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        articles = [desk.article(f"新闻{n}") for n in range(3)]
        cursor = get_feed(client, limit=1)["next"]
        assert ids(get_feed(client, limit=1, cursor=cursor)["items"]) == [articles[1]]

        elsewhere = SimpleNamespace(settings=SimpleNamespace(site=SimpleNamespace(secret="another-site-secret")))
        published = call(client, published_at, articles[2])
        foreign = make_cursor(elsewhere, published, articles[2])
        own = make_cursor(client.app.state.newsplus, published, articles[2])
        assert ids(get_feed(client, limit=1, cursor=own)["items"]) == [articles[1]]

        for bad in (flip(cursor, 3), flip(cursor, len(cursor) // 2), foreign, "not-a-cursor", "%%%", cursor[:-6]):
            refused = client.get("/api/v1/feed", params={"limit": 1, "cursor": bad}, headers=EN)
            assert refused.status_code == 400, (bad, refused.text)
            assert refused.json()["detail"] == "This cursor is not valid; start again from the first page"
            assert refused.json()["extra"] == {"field": "cursor"}
        refused = client.get("/api/v1/search", params={"q": "新闻", "cursor": flip(cursor, 3)}, headers=EN)
        assert refused.status_code == 400


async def published_at(article_id: int) -> datetime:
    return (await Article.select(Article.published_at).where(Article.id == article_id).first())["published_at"]


def test_a_channel_feed_holds_its_sub_channels_and_an_unknown_channel_is_not_found(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("sport", "体育")
        desk.channel("football", "足球", parent="sport")
        desk.channel("youth", "青少年足球", parent="football")
        desk.channel("news", "新闻")
        match = desk.article("周末联赛", "football")
        overview = desk.article("体育综述", "sport")
        local = desk.article("区里新闻", "news")
        youth = desk.article("少年队夺冠", "youth")

        assert ids(get_feed(client, channel="sport")["items"]) == [youth, overview, match]
        assert ids(get_feed(client, channel="football")["items"]) == [youth, match]
        assert ids(get_feed(client, channel="news")["items"]) == [local]
        assert ids(get_feed(client)["items"]) == [youth, local, overview, match]
        assert get_feed(client, channel="football")["items"][0]["channel"] == "youth"

        missing = client.get("/api/v1/feed", params={"channel": "no-such-channel"}, headers=EN)
        assert missing.status_code == 404
        assert missing.json()["detail"] == "No such channel: no-such-channel"


def test_pins_come_first_by_rank_with_topics_and_are_not_repeated(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news", "新闻")
        a1, a2, a3, a4, a5 = (desk.article(f"新闻{n}") for n in range(1, 6))
        topic = desk.send(
            "POST", desk.chief, "/topics", {"slug": "spring", "title": "春季专题", "items": [{"article": a1}]}
        )
        desk.send("POST", desk.chief, f"/topics/{topic['id']}/publish")
        desk.pin(article=a2, rank=2)
        desk.pin(article=a4, rank=1)
        desk.pin(topic="spring", rank=3)
        desk.pin(article=a3, channel="news", rank=1)  # pinned in its channel only

        page = get_feed(client)
        assert [(p["kind"], p["id"]) for p in page["pinned"]] == [
            ("article", a4),
            ("article", a2),
            ("topic", topic["id"]),
        ]
        assert all(p["pinned"] for p in page["pinned"])
        assert page["pinned"][2]["url"] == "/topics/spring" and page["pinned"][2]["title"] == "春季专题"
        assert ids(page["items"]) == [a5, a3, a1]
        assert not any(item.get("pinned") for item in page["items"])

        assert page_through(client, limit=2) == [[a5, a3], [a1]]

        in_channel = get_feed(client, channel="news")
        assert ids(in_channel["pinned"]) == [a3]
        assert ids(in_channel["items"]) == [a5, a4, a2, a1]

        desk.unpublish(a4)  # an unpublished article is no longer pinned
        assert ids(get_feed(client)["pinned"]) == [a2, topic["id"]]


def test_pins_start_and_end_on_time_without_anyone_writing(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        with frozen_clock(start_of_test()) as clock:
            notice, soon, other = desk.article("重要通知"), desk.article("明早置顶"), desk.article("一般新闻")
            desk.pin(article=notice, pinned_until=iso(clock.current + timedelta(hours=1)))
            desk.pin(article=soon, go_live_at=iso(clock.current + timedelta(hours=2)))
            cache = content_cache(client.app.state.newsplus)

            page = get_feed(client)
            assert ids(page["pinned"]) == [notice] and ids(page["items"]) == [other, soon]
            hits = cache.hits
            assert get_feed(client) == page
            assert cache.hits == hits + 1  # served from the worker's cache, which nobody writes to from now on

            clock.advance(minutes=59)
            assert ids(get_feed(client)["pinned"]) == [notice]
            clock.advance(minutes=1)  # the notice's pin ends
            page = get_feed(client)
            assert page["pinned"] == [] and ids(page["items"]) == [other, soon, notice]
            clock.advance(hours=1)  # the other pin starts
            page = get_feed(client)
            assert ids(page["pinned"]) == [soon] and ids(page["items"]) == [other, notice]


# -- scheduled and expiring articles ---------------------------------------------------------------------


def test_scheduled_and_expiring_articles_follow_the_clock_without_the_job(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        with frozen_clock(start_of_test()) as clock:
            lasting = desk.article("长期有效")
            brief = desk.article("限时通知", body="<p>停水通知</p>", expire_at=iso(clock.current + timedelta(hours=1)))
            later = desk.draft("预告", body="<p>元宵灯会</p>", go_live_at=iso(clock.current + timedelta(hours=3)))
            assert desk.publish(later) == "scheduled"

            assert ids(get_feed(client)["items"]) == [brief, lasting]
            assert read(client, brief)["title"] == "限时通知"
            assert client.get(f"/api/v1/articles/{later}").status_code == 404
            assert search(client, "元宵") == []

            clock.advance(hours=1)  # the brief one expires
            assert ids(get_feed(client)["items"]) == [lasting]
            assert ids(get_feed(client, channel="news")["items"]) == [lasting]
            assert client.get(f"/api/v1/articles/{brief}").status_code == 404
            assert search(client, "停水") == []

            clock.advance(hours=2)  # the scheduled one goes live
            assert ids(get_feed(client)["items"]) == [later, lasting]
            assert read(client, later)["title"] == "预告"
            assert search(client, "元宵") == [later]
            assert desk.send("GET", desk.editor, f"/articles/{later}")["status"] == "scheduled"  # no job ran


# -- the resident's own feed ------------------------------------------------------------------------------


def test_my_feed_holds_followed_channels_and_my_street(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        for slug, parent in (("sport", ""), ("football", "sport"), ("news", "")):
            desk.channel(slug, parent=parent)
        street = call(client, accounts.create_department, "城北街道", "street")
        other_street = call(client, accounts.create_department, "城南街道", "street")
        resident = login_resident(client)

        assert client.get("/api/v1/me/feed", headers=EN).status_code == 401
        assert get_feed(client, resident, "/api/v1/me/feed") == {"items": [], "pinned": [], "next": None}

        overview = desk.article("体育综述", "sport")
        match = desk.article("联赛", "football")
        desk.article("区里新闻", "news")
        north = desk.article("城北修路", "news", street=street)
        desk.article("城南修路", "news", street=other_street)
        assert get_feed(client, resident, "/api/v1/me/feed")["items"] == []

        follow = client.post("/api/v1/channels/sport/follow", headers=headers(resident))
        assert follow.status_code == 200 and follow.json() == {"following": True}
        assert client.post("/api/v1/channels/sport/follow", headers=headers(resident)).json() == {"following": True}
        assert ids(get_feed(client, resident, "/api/v1/me/feed")["items"]) == [match, overview]

        moved = client.patch("/api/v1/me", json={"street": street}, headers=headers(resident))
        assert moved.status_code == 200, moved.text
        assert ids(get_feed(client, resident, "/api/v1/me/feed")["items"]) == [north, match, overview]
        assert ids(get_feed(client, resident, "/api/v1/me/feed", limit=2)["items"]) == [north, match]

        assert client.delete("/api/v1/channels/sport/follow", headers=headers(resident)).json() == {"following": False}
        assert ids(get_feed(client, resident, "/api/v1/me/feed")["items"]) == [north]
        assert client.post("/api/v1/channels/nowhere/follow", headers=headers(resident)).status_code == 404


# -- articles ---------------------------------------------------------------------------------------------


def test_only_live_articles_can_be_read(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news", "新闻")
        draft = desk.draft("草稿")
        in_review = desk.draft("审核中")
        desk.send("POST", desk.editor, f"/articles/{in_review}/submit")
        live = desk.article("已发布", body="<p>正文<b>加粗</b></p>", tags=["社保"])
        for article_id in (draft, in_review, 999_999):
            missing = client.get(f"/api/v1/articles/{article_id}", headers=EN)
            assert missing.status_code == 404 and missing.json()["detail"] == "No such article"

        view = read(client, live)
        assert view["title"] == "已发布" and "<b>加粗</b>" in view["body"]
        assert view["channel"] == "news" and view["tags"] == ["社保"]
        assert view["liked"] is False and view["favourited"] is False

        desk.unpublish(live)
        assert client.get(f"/api/v1/articles/{live}").status_code == 404
        assert get_feed(client)["items"] == []


def test_related_items_share_a_tag(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        desk.channel("life")
        pension = desk.article("养老金上调", tags=["社保", "养老"])
        same_channel = desk.article("同栏目不同话题", tags=["交通"])
        medical = desk.article("医保报销新规", "life", tags=["社保"])
        care = desk.article("养老驿站开张", "life", tags=["养老"])
        hidden = desk.draft("社保草稿", tags=["社保"])
        alone = desk.article("没有标签")

        related = read(client, pension)["related"]
        assert ids(related) == [care, medical]
        assert same_channel not in ids(related) and hidden not in ids(related)
        assert related[0]["url"] == f"/articles/{care}" and related[0]["title"] == "养老驿站开张"
        assert ids(read(client, alone)["related"]) == [same_channel, pension]  # no tags: the same channel

        desk.unpublish(care)
        assert ids(read(client, pension)["related"]) == [medical]


def test_related_items_follow_the_clock(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        with frozen_clock(start_of_test()) as clock:
            pension = desk.article("养老金上调", tags=["社保"])
            medical = desk.article("医保报销新规", tags=["社保"], expire_at=iso(clock.current + timedelta(hours=1)))
            soon = desk.draft("社保卡换发", tags=["社保"], go_live_at=iso(clock.current + timedelta(hours=2)))
            assert desk.publish(soon) == "scheduled"
            assert ids(read(client, pension)["related"]) == [medical]

            clock.advance(hours=1)  # the medical article expired: no longer offered as related
            assert client.get(f"/api/v1/articles/{medical}").status_code == 404
            assert ids(read(client, pension)["related"]) == []
            clock.advance(hours=1)  # the scheduled one went live: now it is
            assert ids(read(client, pension)["related"]) == [soon]


def test_views_are_counted_in_memory_and_written_in_batches(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        newsplus = client.app.state.newsplus
        counter = view_counter(newsplus)
        with frozen_clock(start_of_test()) as clock:
            article_id = desk.article("热门新闻")
            other = desk.article("另一条")
            for _ in range(3):
                read(client, article_id)
            read(client, other)
            assert client.get(f"/api/v1/articles/{desk.draft('草稿')}").status_code == 404
            assert call(client, counts, article_id) == (0, [])  # nothing written by reading

            assert call(client, counter.flush, newsplus) == 4
            first_day = local_day(newsplus)
            assert call(client, counts, article_id) == (3, [(first_day, 3)])
            assert call(client, counts, other) == (1, [(first_day, 1)])
            assert call(client, counter.flush, newsplus) == 0

            read(client, article_id)
            assert call(client, counter.flush, newsplus) == 1
            assert call(client, counts, article_id) == (4, [(first_day, 4)])

            clock.advance(days=1)
            read(client, article_id)
            read(client, article_id)
            assert call(client, counter.flush, newsplus) == 2
            assert call(client, counts, article_id) == (6, [(first_day, 4), (first_day + timedelta(days=1), 2)])


async def counts(article_id: int) -> tuple[int, list[tuple[Any, int]]]:
    """An article's view_count and its daily views, by day."""
    row = await Article.select(Article.view_count).where(Article.id == article_id).first()
    days = await DailyReach.select(DailyReach.day, DailyReach.views).where(DailyReach.article == article_id)
    return row["view_count"], sorted((d["day"], d["views"]) for d in days)


async def reach(article_id: int) -> dict[str, int]:
    """An article's reach summed over every day."""
    rows = await DailyReach.select().where(DailyReach.article == article_id)
    return {m: sum(r[m] for r in rows) for m in ("views", "likes", "favourites", "shares", "comments")}


def test_likes_and_favourites_are_idempotent_and_counted_exactly(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        article_id = desk.article("值得点赞")
        ann, bob = login_resident(client, "13800000001"), login_resident(client, "13800000002")
        like = f"/api/v1/articles/{article_id}/like"
        favourite = f"/api/v1/articles/{article_id}/favourite"

        assert client.post(like, headers=EN).status_code == 401
        for _ in range(2):
            liked = client.post(like, headers=headers(ann))
            assert liked.status_code == 200 and liked.json() == {"like": True, "count": 1}
        assert client.post(like, headers=headers(bob)).json() == {"like": True, "count": 2}
        assert client.post(favourite, headers=headers(ann)).json() == {"favourite": True, "count": 1}
        assert client.post(favourite, headers=headers(ann)).json() == {"favourite": True, "count": 1}

        view = read(client, article_id, ann)
        assert (view["likes"], view["favourites"], view["liked"], view["favourited"]) == (2, 1, True, True)
        view = read(client, article_id, bob)
        assert (view["liked"], view["favourited"]) == (True, False)
        view = read(client, article_id)
        assert (view["likes"], view["liked"], view["favourited"]) == (2, False, False)
        assert get_feed(client)["items"][0]["likes"] == 2

        for _ in range(2):
            assert client.delete(like, headers=headers(ann)).json() == {"like": False, "count": 1}
        assert client.delete(favourite, headers=headers(bob)).json() == {"favourite": False, "count": 1}
        view = read(client, article_id, ann)
        assert (view["likes"], view["favourites"], view["liked"], view["favourited"]) == (1, 1, False, True)
        assert call(client, reach, article_id) == {
            "views": 0,  # views are written later, in batches
            "likes": 2,
            "favourites": 1,
            "shares": 0,
            "comments": 0,
        }

        draft = desk.draft("草稿")
        assert client.post(f"/api/v1/articles/{draft}/like", headers=headers(ann)).status_code == 404
        assert client.post(f"/api/v1/articles/{draft}/favourite", headers=headers(ann)).status_code == 404


async def test_tapping_twice_at_once_still_counts_once(newsplus_database_url) -> None:
    app = make_app(database_url=newsplus_database_url)
    async with running(app) as newsplus, worker(app) as client:
        tokens = await async_desk(client, newsplus)
        await async_send(client, tokens["chief"], "POST", "/channels", {"slug": "news", "name": "新闻"})
        article_id = await async_article(client, tokens, "双击点赞")
        resident = await async_resident(client, app, "13800000009")

        for path in (f"/articles/{article_id}/like", f"/articles/{article_id}/favourite", "/channels/news/follow"):
            answers = await asyncio.gather(
                *(client.post(f"/api/v1{path}", headers=headers(resident)) for _ in range(4))
            )
            assert [a.status_code for a in answers] == [200] * 4, (path, [a.text for a in answers])
        view = (await client.get(f"/api/v1/articles/{article_id}", headers=headers(resident))).json()
        assert (view["likes"], view["favourites"], view["liked"], view["favourited"]) == (1, 1, True, True)


def test_my_favourites_lists_live_articles_newest_first(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        a, b, c = (desk.article(f"收藏{n}", summary=f"摘要{n}") for n in "abc")
        resident = login_resident(client)
        assert client.get("/api/v1/me/favourites", headers=EN).status_code == 401
        assert client.get("/api/v1/me/favourites", headers=headers(resident)).json() == []
        for article_id in (a, c, b):
            client.post(f"/api/v1/articles/{article_id}/favourite", headers=headers(resident))
        client.post(f"/api/v1/articles/{a}/like", headers=headers(resident))  # a like is not a favourite

        kept = client.get("/api/v1/me/favourites", headers=headers(resident)).json()
        assert ids(kept) == [b, c, a]
        assert kept[0] | {"published_at": None} == {
            "id": b,
            "title": "收藏b",
            "url": f"/articles/{b}",
            "summary": "摘要b",
            "published_at": None,
        }
        assert kept[0]["published_at"].endswith("Z")

        desk.unpublish(c)
        assert ids(client.get("/api/v1/me/favourites", headers=headers(resident)).json()) == [b, a]
        client.delete(f"/api/v1/articles/{b}/favourite", headers=headers(resident))
        assert ids(client.get("/api/v1/me/favourites", headers=headers(resident)).json()) == [a]


def test_shares_are_counted_and_limited_per_address(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        article_id, other = desk.article("转发这条"), desk.article("另一条")
        for n in range(1, 6):
            shared = client.post(f"/api/v1/articles/{article_id}/share", headers=EN)
            assert shared.status_code == 200 and shared.json() == {"shares": n}
        refused = client.post(f"/api/v1/articles/{article_id}/share", headers=EN)
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= 3600
        assert refused.json()["detail"]
        assert client.post(f"/api/v1/articles/{other}/share", headers=EN).json() == {"shares": 1}
        assert call(client, reach, article_id)["shares"] == 5
        assert client.post(f"/api/v1/articles/{desk.draft('草稿')}/share", headers=EN).status_code == 404


# -- comments ---------------------------------------------------------------------------------------------


def comment(client: TestClient, token: str | None, article_id: int, body: str) -> Any:
    return client.post(f"/api/v1/articles/{article_id}/comments", json={"body": body}, headers=headers(token))


def moderate(client: TestClient, token: str, comment_id: int, decision: str, reason: str = "") -> Any:
    body = {"decision": decision, **({"reason": reason} if reason else {})}
    return client.post(f"{DESK}/comments/{comment_id}", json=body, headers=headers(token))


def listed(client: TestClient, article_id: int) -> list[tuple[int, str]]:
    """The comments readers see under an article: (id, body), newest first."""
    response = client.get(f"/api/v1/articles/{article_id}/comments")
    assert response.status_code == 200, response.text
    return [(c["id"], c["body"]) for c in response.json()]


def test_comments_wait_for_a_moderator(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        article_id = desk.article("欢迎留言")
        resident = login_resident(client)
        moderator = desk.reviewers[0]

        assert comment(client, None, article_id, "匿名").status_code == 401
        posted = comment(client, resident, article_id, "  写得很好  ")
        assert posted.status_code == 201, posted.text
        assert posted.json()["status"] == "pending"
        first = posted.json()["id"]
        assert listed(client, article_id) == []
        assert read(client, article_id)["comments"] == 0

        assert moderate(client, resident, first, "approve").status_code == 403
        queue = client.get(f"{DESK}/comments", headers=headers(moderator)).json()
        assert [(c["id"], c["body"], c["article"]) for c in queue] == [(first, "写得很好", article_id)]

        decided = moderate(client, moderator, first, "approve")
        assert decided.status_code == 200 and decided.json() == {"status": "approved"}
        assert listed(client, article_id) == [(first, "写得很好")]
        assert read(client, article_id)["comments"] == 1
        assert get_feed(client)["items"][0]["comments"] == 1
        assert moderate(client, moderator, first, "approve").status_code == 409
        assert moderate(client, moderator, first, "reject").status_code == 409

        second = comment(client, resident, article_id, "广告").json()["id"]
        assert moderate(client, moderator, second, "reject", "广告").json() == {"status": "rejected"}
        assert listed(client, article_id) == [(first, "写得很好")]
        assert read(client, article_id)["comments"] == 1
        assert call(client, reach, article_id)["comments"] == 1

        for body in ("", "   ", "评" * 501):
            refused = comment(client, resident, article_id, body)
            assert refused.status_code == 400, body
            assert refused.json()["extra"] == {"field": "body"}
        assert comment(client, resident, article_id, "评" * 500).status_code == 201
        assert moderate(client, moderator, 999_999, "approve").status_code == 404
        assert moderate(client, moderator, second, "maybe").status_code == 400
        assert comment(client, resident, desk.draft("草稿"), "抢先").status_code == 404


def test_comments_of_an_article_readers_cannot_see_are_not_found(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        article_id = desk.article("稍后撤下")
        resident = login_resident(client)
        posted = comment(client, resident, article_id, "支持").json()["id"]
        moderate(client, desk.chief, posted, "approve")
        assert listed(client, article_id) == [(posted, "支持")]

        desk.unpublish(article_id)
        assert client.get(f"/api/v1/articles/{article_id}/comments").status_code == 404
        assert client.get("/api/v1/articles/999999/comments").status_code == 404


def test_with_flagged_moderation_only_sensitive_comments_wait(newsplus_app) -> None:
    settings = {"plugins": {"content": {"comment_moderation": "flagged", "sensitive_words": ["赌博"]}}}
    with TestClient(newsplus_app(settings=settings)) as client:
        desk = Desk(client)
        desk.channel("news")
        article_id = desk.article("开放讨论")
        resident = login_resident(client)

        clean = comment(client, resident, article_id, "很有帮助")
        assert clean.status_code == 201 and clean.json()["status"] == "approved"
        clean_id = clean.json()["id"]
        assert listed(client, article_id) == [(clean_id, "很有帮助")]
        assert read(client, article_id)["comments"] == 1

        held = comment(client, resident, article_id, "小区里有人网上赌博")
        assert held.status_code == 201 and held.json()["status"] == "pending"
        held_id = held.json()["id"]
        assert listed(client, article_id) == [(clean_id, "很有帮助")]
        queue = client.get(f"{DESK}/comments", headers=headers(desk.reviewers[0])).json()
        assert [(c["id"], c["flagged"]) for c in queue] == [(held_id, "赌博")]

        assert moderate(client, desk.chief, held_id, "approve").json() == {"status": "approved"}
        assert [i for i, _ in listed(client, article_id)] == [held_id, clean_id]
        assert read(client, article_id)["comments"] == 2


# -- search -----------------------------------------------------------------------------------------------


def test_search_finds_chinese_words_and_phrases_exactly(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        sorted_ = desk.article("社区新闻一", body="<p>小区门口的垃圾分类做得很好</p>")
        waste = desk.article("社区新闻二", body="<p>今天讨论垃圾问题</p>")
        recycle = desk.article("社区新闻三", body="<p>分类回收站建成</p>")
        scattered = desk.article("社区新闻四", body="<p>垃圾桶旁边，圾分两堆，分类处理</p>")
        latin = desk.article("Weekly Notes", body="<p>Welcome to the Huilongguan community centre</p>")
        desk.draft("草稿", body="<p>草稿里的垃圾分类</p>")

        assert search(client, "垃圾") == [scattered, waste, sorted_]  # in the text, not the titles; newest first
        assert search(client, "分类") == [scattered, recycle, sorted_]
        assert search(client, "桶") == [scattered]
        assert search(client, "类") == [scattered, recycle, sorted_]
        assert search(client, "垃圾分类") == [sorted_]  # neither 垃圾 (二) nor 分类 (三), nor the pairs apart (四)
        assert search(client, "讨论垃圾问题") == [waste]
        assert search(client, "处理垃圾") == []
        assert search(client, "社区新闻三") == [recycle]
        assert search(client, " 垃圾分类 ") == [sorted_]

        assert search(client, "huilong") == [latin]
        assert search(client, "HUILONG") == [latin]
        assert search(client, "centre") == [latin]
        assert search(client, "weekly") == [latin]
        assert search(client, "zhongguancun") == []

        item = client.get("/api/v1/search", params={"q": "垃圾分类"}).json()["items"][0]
        assert item["title"] == "社区新闻一" and item["url"] == f"/articles/{sorted_}"


def test_search_finds_chinese_words_right_after_digits_or_latin_letters(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        hotline = desk.article("市民服务", body="<p>有问题请拨打12345热线反映</p>")
        dated = desk.article("通知", body="<p>新规自2025年5月1日起施行</p>")
        app = desk.article("应用", body="<p>下载APP注册账号</p>")
        assert search(client, "12345") == [hotline]
        assert search(client, "热线") == [hotline]
        assert search(client, "日起施行") == [dated]
        assert search(client, "注册") == [app]


def test_search_ignores_case_beyond_ascii(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        article_id = desk.article("École de Pékin", body="<p>ÜBER Café Zürich</p>")
        for q in ("école", "ÉCOLE", "pékin", "über", "Über", "café", "CAFÉ", "zürich"):
            assert search(client, q) == [article_id], q


def test_search_survives_sql_and_query_syntax(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        article_id = desk.article("普通新闻", body="<p>100% 的居民 snake_case 满意</p>")
        queries = [
            "'",
            '"',
            "%",
            "_",
            "*",
            "' OR 1=1 --",
            '" OR ""="',
            "OR 1=1",
            "NEAR(",
            "NEAR(垃圾 分类, 2)",
            "居民 AND",
            "NOT 居民",
            "居民*",
            "^居民",
            "居民'",
            "{居民}",
            "col:居民",
            "search_tokens:居民",
            "'; DROP TABLE content_article; --",
            "\\",
            "%居民%",
            "a_b",
            "😀",
            "居民" * 40,
            "100%",
            "snake_case",
        ]
        for q in queries:
            response = client.get("/api/v1/search", params={"q": q}, headers=EN)
            assert response.status_code in (200, 400), (q, response.status_code, response.text)
        assert search(client, "100%") == [article_id]
        assert search(client, "snake_case") == [article_id]
        assert search(client, "居民") == [article_id]
        assert ids(get_feed(client)["items"]) == [article_id]  # nothing was dropped

        for q in ("", "   ", "%", "'", "_"):
            empty = client.get("/api/v1/search", params={"q": q}, headers=EN)
            assert empty.status_code == 400, q
            assert empty.json()["detail"] == "Type something to search for"
        assert client.get("/api/v1/search", headers=EN).status_code == 400


def test_search_results_page_on_with_the_cursor(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        found = [desk.article(f"通知{n}", body=f"<p>第{n}次消防演练</p>") for n in "一二三四五"]
        desk.article("无关", body="<p>天气晴</p>")
        pages, cursor = [], None
        while True:
            params = {"q": "消防", "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/search", params=params, headers=EN).json()
            pages.append(ids(page["items"]))
            cursor = page["next"]
            if cursor is None:
                break
            if len(pages) == 1:
                desk.article("新的消防通知", body="<p>消防检查</p>")  # does not shift the pages
        assert pages == [found[::-1][:2], found[::-1][2:4], found[::-1][4:]]
        assert client.get("/api/v1/search", params={"q": "消防", "limit": 51}).status_code == 400


def test_an_edited_article_is_found_by_its_new_text_only(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        article_id = desk.article("春节安排", body="<p>庙会在公园举行</p>")
        assert search(client, "庙会") == [article_id]

        desk.unpublish(article_id)
        assert search(client, "庙会") == []
        revision = desk.send("GET", desk.editor, f"/articles/{article_id}")["revision"]
        desk.send(
            "PUT",
            desk.editor,
            f"/articles/{article_id}",
            {"title": "元宵安排", "channel": "news", "body": "<p>灯会在广场举行</p>", "revision": revision},
        )
        assert search(client, "灯会") == []  # not live yet
        assert desk.publish(article_id) == "published"

        assert search(client, "灯会") == [article_id]
        assert search(client, "元宵") == [article_id]
        assert search(client, "庙会") == []
        assert search(client, "春节") == []
        assert read(client, article_id)["title"] == "元宵安排"


# -- Atom -------------------------------------------------------------------------------------------------


def test_atom_feeds_of_the_site_and_of_a_channel(newsplus_app) -> None:
    settings = {"site": {"name": "回天新闻", "base_url": "https://news.example"}}
    with TestClient(newsplus_app(settings=settings)) as client:
        desk = Desk(client)
        desk.channel("news", "要闻")
        desk.channel("sport", "体育")
        first = desk.article("要闻一", summary="第一条 <摘要> & 更多")
        match = desk.article("比赛结果", "sport")
        second = desk.article("要闻二")
        desk.draft("未发布")

        response = client.get("/feed.atom")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/atom+xml")
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.feed.title == "回天新闻"
        assert [e.title for e in parsed.entries] == ["要闻二", "比赛结果", "要闻一"]
        assert [e.link for e in parsed.entries] == [
            f"https://news.example/articles/{second}",
            f"https://news.example/articles/{match}",
            f"https://news.example/articles/{first}",
        ]
        assert all(e.published_parsed and e.updated_parsed for e in parsed.entries)
        assert parsed.entries[2].summary == "第一条 <摘要> & 更多"
        stamp = call(client, published_at, first)
        assert datetime(*parsed.entries[2].published_parsed[:6], tzinfo=UTC) == stamp.replace(microsecond=0)

        channel = feedparser.parse(client.get("/channels/news/feed.atom").content)
        assert not channel.bozo
        assert "要闻" in channel.feed.title
        assert [e.link for e in channel.entries] == [
            f"https://news.example/articles/{second}",
            f"https://news.example/articles/{first}",
        ]
        assert [e.title for e in feedparser.parse(client.get("/channels/sport/feed.atom").content).entries] == [
            "比赛结果"
        ]
        assert client.get("/channels/nowhere/feed.atom").status_code == 404

        desk.unpublish(second)
        assert [e.title for e in feedparser.parse(client.get("/feed.atom").content).entries] == ["比赛结果", "要闻一"]


# -- media ------------------------------------------------------------------------------------------------


def photo_with_exif(size: tuple[int, int] = (800, 600)) -> bytes:
    image = Image.new("RGB", size, (180, 40, 40))
    for x in range(0, size[0], 50):
        for y in range(size[1]):
            image.putpixel((x, y), (20, 200, 20))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Corp"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x010E] = "home address 回龙观"  # ImageDescription
    exif[0x0112] = 1  # Orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def upload(client: TestClient, token: str | None, name: str, data: bytes, content_type: str):
    return client.post(f"{DESK}/media", files={"file": (name, data, content_type)}, headers=headers(token))


def test_an_uploaded_photo_is_reencoded_without_its_metadata_and_thumbnailed(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        editor = login_staff(client, "photo-editor", roles=("editor",))
        original = photo_with_exif()
        assert Image.open(io.BytesIO(original)).getexif().get(0x010F) == "SpyCam Corp"

        stored = upload(client, editor, "photo.jpg", original, "image/jpeg")
        assert stored.status_code == 201, stored.text
        answer = stored.json()
        assert answer["type"] == "image/jpeg" and answer["url"].startswith("/media/default/")
        assert answer["thumb"].startswith("/media/default/") and answer["thumb"] != answer["url"]

        served = client.get(answer["url"])
        assert served.status_code == 200
        assert served.content != original
        assert b"SpyCam" not in served.content and "回龙观".encode() not in served.content
        image = Image.open(io.BytesIO(served.content))
        assert image.format == "JPEG" and image.size == (800, 600)
        assert not image.getexif()

        thumb = client.get(answer["thumb"])
        assert thumb.status_code == 200
        small = Image.open(io.BytesIO(thumb.content))
        assert small.size == (360, 270) and not small.getexif()

        # as an article's cover: the feed's card shows the thumbnail, the article the photo
        desk = Desk(client)
        desk.channel("news")
        article_id = desk.article("有封面的新闻", cover=answer["id"])
        assert get_feed(client)["items"][0]["cover"] == answer["thumb"]
        assert read(client, article_id)["cover"] == answer["url"]


def test_uploads_that_are_not_images_too_large_or_not_from_staff_are_refused(newsplus_app) -> None:
    with TestClient(newsplus_app(settings={"plugins": {"content": {"max_upload_mb": 1}}})) as client:
        editor = login_staff(client, "editor", roles=("editor",))
        resident = login_resident(client)

        text = upload(client, editor, "notes.txt", "只是文字".encode(), "text/plain")
        assert text.status_code == 415, text.text
        assert upload(client, editor, "fake.jpg", b"<?php echo 1; ?>", "image/jpeg").status_code == 415
        assert upload(client, editor, "broken.jpg", b"\xff\xd8\xff" + b"\0" * 100, "image/jpeg").status_code == 415

        big = b"\xff\xd8\xff" + b"\0" * (1024 * 1024 + 1)
        too_large = upload(client, editor, "big.jpg", big, "image/jpeg")
        assert too_large.status_code == 413, too_large.text
        assert "1 MB" in too_large.json()["detail"]

        assert upload(client, resident, "photo.jpg", photo_with_exif((40, 30)), "image/jpeg").status_code == 403
        assert upload(client, None, "photo.jpg", photo_with_exif((40, 30)), "image/jpeg").status_code == 401
        assert upload(client, editor, "photo.jpg", photo_with_exif((40, 30)), "image/jpeg").status_code == 201


def test_media_files_are_served_with_their_type(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        editor = login_staff(client, "editor", roles=("editor",))
        answer = upload(client, editor, "photo.jpg", photo_with_exif((40, 30)), "image/jpeg").json()
        for url in (answer["url"], answer["thumb"]):
            served = client.get(url)
            assert served.status_code == 200
            assert served.headers["content-type"] == "image/jpeg"


def test_media_paths_cannot_leave_the_library(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        editor = login_staff(client, "editor", roles=("editor",))
        url = upload(client, editor, "photo.jpg", photo_with_exif((40, 30)), "image/jpeg").json()["url"]
        root = client.app.state.newsplus.settings.path(client.app.state.newsplus.settings.site.media)
        (root / "private.txt").write_text("secret")
        (root / "other").mkdir()
        (root / "other" / "photo.jpg").write_bytes(b"another district's file")
        folder = url.rsplit("/", 1)[0]

        assert client.get(url).status_code == 200
        for path in (
            "/media/../../etc/passwd",
            "/media/%2e%2e/%2e%2e/etc/passwd",
            "/media/..%2f..%2f..%2fetc%2fpasswd",
            "/media/default/..%2f..%2f..%2f..%2fetc%2fpasswd",
            "/media/default/%2e%2e/private.txt",
            f"{folder}/..%2f..%2f..%2f..%2fprivate.txt",
            "/media//etc/passwd",
            "/media/%2fetc%2fpasswd",
            "/media/private.txt",
            "/media/other/photo.jpg",
            "/media/default",
            "/media/default/",
            "/media/default/nothing.jpg",
        ):
            response = client.get(path)
            assert response.status_code == 404, (path, response.status_code)
            assert b"root:" not in response.content and b"secret" not in response.content


# -- the cache across workers -----------------------------------------------------------------------------


def worker(app: Any) -> httpx.AsyncClient:
    """A client calling the app in this event loop (started with ``running``), as a worker process would serve."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")


async def async_send(client: httpx.AsyncClient, token: str, method: str, path: str, json: Any = None) -> Any:
    response = await client.request(method, DESK + path, json=json, headers=headers(token))
    assert response.status_code < 300, response.text
    return response.json()


async def async_desk(client: httpx.AsyncClient, newsplus: Any) -> dict[str, str]:
    """The desk's staff, signed in on this worker."""
    tokens = {}
    for name, role in (("chief", "chief_editor"), ("editor", "editor"), ("r1", "reviewer"), ("r2", "reviewer")):
        with district_scope(newsplus.districts.primary):
            await accounts.create_staff(newsplus, name, "correct-horse-battery", roles=(role,))
        answer = await client.post(
            "/api/v1/auth/login/password", json={"username": name, "password": "correct-horse-battery"}
        )
        tokens[name] = answer.json()["token"]
    return tokens


async def async_article(client: httpx.AsyncClient, tokens: dict[str, str], title: str) -> int:
    article_id = (await async_send(client, tokens["editor"], "POST", "/articles", {"title": title, "channel": "news"}))[
        "id"
    ]
    await async_send(client, tokens["editor"], "POST", f"/articles/{article_id}/submit")
    for who in ("r1", "r2", "chief"):
        status = (await async_send(client, tokens[who], "POST", f"/articles/{article_id}/approve"))["status"]
    assert status == "published"
    return article_id


async def async_resident(client: httpx.AsyncClient, app: Any, phone: str) -> str:
    await client.post("/api/v1/auth/code", json={"phone": phone})
    code = [c for p, c in sms_codes(app) if p == phone][-1]
    return (await client.post("/api/v1/auth/login/code", json={"phone": phone, "code": code})).json()["token"]


async def test_a_publish_on_one_worker_reaches_another_within_the_check_interval(newsplus_database_url) -> None:
    settings = {"site": {"secret": "one-site-secret"}, "plugins": {"content": {"change_check_seconds": 0.2}}}
    one = make_app(database_url=newsplus_database_url, settings=settings)
    two = make_app(database_url=newsplus_database_url, settings=settings)
    async with running(one), running(two), worker(one) as first, worker(two) as second:
        tokens = await async_desk(first, one.state.newsplus)
        await async_send(first, tokens["chief"], "POST", "/channels", {"slug": "news", "name": "新闻"})
        early = await async_article(first, tokens, "第一条")

        async def feed_of(client: httpx.AsyncClient) -> list[int]:
            response = await client.get("/api/v1/feed")
            assert response.status_code == 200, response.text
            return ids(response.json()["items"])

        assert await feed_of(second) == [early]
        later = await async_article(first, tokens, "第二条")
        assert await feed_of(first) == [later, early]  # the worker that wrote sees it at once
        await asyncio.sleep(0.3)
        assert await feed_of(second) == [later, early]
        assert (await second.get(f"/api/v1/articles/{later}")).json()["title"] == "第二条"

        await async_send(first, tokens["chief"], "POST", f"/articles/{later}/unpublish")
        await asyncio.sleep(0.3)
        assert await feed_of(second) == [early]
        assert (await second.get(f"/api/v1/articles/{later}")).status_code == 404


async def test_readers_arriving_together_share_one_build(newsplus_database_url) -> None:
    """Twenty readers asking for a page nobody has cached yet cost one build, not twenty; a failure reaches
    each of them, and a reader whose build was abandoned (the client went away) builds it for the others."""
    async with running(make_app(database_url=newsplus_database_url)) as newsplus:
        with district_scope(newsplus.districts.primary):
            cache = content_cache(newsplus)
            builds = []

            async def build() -> tuple[list[str], None]:
                builds.append(1)
                await asyncio.sleep(0.05)
                return ["头条"], None

            pages = await asyncio.gather(*(cache.get("front", build) for _ in range(20)))
            assert pages == [["头条"]] * 20 and len(builds) == 1

            async def broken() -> tuple[list[str], None]:
                await asyncio.sleep(0.01)
                raise ConnectionError("database unreachable")

            failures = await asyncio.gather(*(cache.get("broken", broken) for _ in range(5)), return_exceptions=True)
            assert all(isinstance(f, ConnectionError) for f in failures)

            builds.clear()
            first = asyncio.create_task(cache.get("abandoned", build))
            await asyncio.sleep(0.01)
            second = asyncio.create_task(cache.get("abandoned", build))
            await asyncio.sleep(0.01)
            first.cancel()
            assert await second == ["头条"] and len(builds) == 2


def test_reader_actions_do_not_empty_every_workers_cache(newsplus_app) -> None:
    from newsplus.content.tables import ContentVersion

    async def version() -> int:
        row = await ContentVersion.select(ContentVersion.version).first()
        return row["version"]

    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        desk.channel("news")
        article_id = desk.article("稳定的缓存")
        resident = login_resident(client)
        before = call(client, version)
        assert client.post(f"/api/v1/articles/{article_id}/like", headers=headers(resident)).status_code == 200
        assert client.post(f"/api/v1/articles/{article_id}/favourite", headers=headers(resident)).status_code == 200
        comment(client, resident, article_id, "说得好")
        assert call(client, version) == before


async def test_two_moderators_approving_at_once_count_the_comment_once(newsplus_app) -> None:
    import asyncio

    from newsplus.content import reader
    from newsplus.content.tables import Article, Comment
    from newsplus.errors import Conflict
    from newsplus.users.access import CurrentUser

    app = newsplus_app()
    with TestClient(app) as client:
        desk = Desk(client)
        desk.channel("news")
        article_id = desk.article("有人评论")
        resident = login_resident(client)
        assert comment(client, resident, article_id, "第一条").status_code == 201
    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            [row] = await Comment.select(Comment.id)
            moderator = CurrentUser(id=1, kind="staff", display_name="m")
            outcomes = await asyncio.gather(
                reader.moderate(newsplus, moderator, row["id"], "approve"),
                reader.moderate(newsplus, moderator, row["id"], "approve"),
                return_exceptions=True,
            )
            assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "str"]
            assert any(isinstance(o, Conflict) for o in outcomes)
            counted = await Article.select(Article.comment_count).where(Article.id == article_id).first()
            assert counted["comment_count"] == 1


def test_odd_media_paths_and_non_mp4_video_containers_are_refused(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        editor = login_staff(client, "editor", roles=("editor",))
        assert client.get("/media/default/" + "a" * 5000 + ".jpg").status_code == 404
        assert client.get("/media/default/2026/11/short.jpg").status_code == 404
        heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
        assert upload(client, editor, "photo.heic", heic, "image/heic").status_code == 415
        # the smallest well-formed MP4: its boxes (ftyp, moov, mdat) fill the file exactly
        mp4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08moov" + b"\x00\x00\x00\x48mdat"
        mp4 += b"\x00" * 64
        stored = upload(client, editor, "clip.mp4", mp4, "video/mp4")
        assert stored.status_code == 201 and stored.json()["type"] == "video/mp4"
        served = client.get(stored.json()["url"])
        assert served.status_code == 200 and served.headers["content-type"].startswith("video/mp4")


def test_a_search_of_many_lone_letters_is_cut_to_its_meaningful_terms() -> None:
    from newsplus.content.search import MAX_TERMS, query_terms

    assert query_terms("a b c d e f g h") == [("a", True)]
    assert query_terms("x 社保") == [("社保", False)]
    assert len(query_terms("社保 医疗 教育 就业 住房 交通 养老 救助 助残 殡葬 户籍 证照 缴费 出行")) == MAX_TERMS
