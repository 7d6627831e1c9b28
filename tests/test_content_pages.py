"""The content plugin as people use it: residents on the H5 pages, editors and reviewers on the desk pages.

Every assertion is on what the page shows (its text and forms), not only on the status code. Data is set up
over the desk's JSON API (quicker), then read and changed through the pages and their forms.
"""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from litestar.testing import TestClient
from PIL import Image

from newsplus.content.reader import view_counter
from newsplus.testing import bearer, call, login_resident, login_staff

EN = {"Accept-Language": "en"}
HTML = {"Accept": "text/html", **EN}
SHANGHAI = ZoneInfo("Asia/Shanghai")


# -- helpers ---------------------------------------------------------------------------------------------


class Newsroom:
    """A small newsroom signed in over the API: an editor, two reviewers and a chief editor; one channel."""

    def __init__(self, client: TestClient, channel: dict | None = None) -> None:
        self.client = client
        self.tokens = {
            "editor": login_staff(client, "editor", roles=("editor",)),
            "first": login_staff(client, "first", roles=("reviewer",)),
            "second": login_staff(client, "second", roles=("reviewer",)),
            "chief": login_staff(client, "chief", roles=("chief_editor",)),
        }
        self.channel("news", "要闻", **(channel or {}))

    def api(self, who: str) -> dict[str, str]:
        return {**bearer(self.tokens[who]), **EN}

    def channel(self, slug: str, name: str, **fields) -> int:
        made = self.client.post(
            "/api/v1/content/channels", json={"slug": slug, "name": name, **fields}, headers=self.api("chief")
        )
        assert made.status_code == 201, made.text
        return made.json()["id"]

    def draft(self, title: str, *, by: str = "editor", **fields) -> int:
        body = {"title": title, "channel": "news", "body": f"<p>{title}的正文。</p>", **fields}
        made = self.client.post("/api/v1/content/articles", json=body, headers=self.api(by))
        assert made.status_code == 201, made.text
        return made.json()["id"]

    def act(self, who: str, article_id: int, action: str, comment: str = "") -> str:
        done = self.client.post(
            f"/api/v1/content/articles/{article_id}/{action}", json={"comment": comment}, headers=self.api(who)
        )
        assert done.status_code == 200, done.text
        return done.json()["status"]

    def publish(self, title: str, **fields) -> int:
        """A draft taken through the whole default chain: 初审, 复审 and 终审 by three different people."""
        article_id = self.draft(title, **fields)
        self.act("editor", article_id, "submit")
        self.act("first", article_id, "approve")
        self.act("second", article_id, "approve")
        assert self.act("chief", article_id, "approve") in ("published", "scheduled")
        return article_id

    def state(self, article_id: int) -> dict:
        return self.client.get(f"/api/v1/content/articles/{article_id}", headers=self.api("chief")).json()

    def user_id(self, who: str) -> int:
        return self.client.get("/api/v1/me", headers=self.api(who)).json()["id"]


def sign_in_page(client: TestClient, token: str | None) -> None:
    """Browse as this session (None: anonymous)."""
    if token is None:
        client.cookies.delete("newsplus_session")
    else:
        client.cookies.set("newsplus_session", token)


def view(client: TestClient, url: str, token: str | None = None, status: int = 200) -> str:
    """GET a page as a browser does and return its HTML, checking its status."""
    sign_in_page(client, token)
    response = client.get(url, headers=HTML)
    assert response.status_code == status, (url, response.status_code, response.text[:2000])
    return response.text


def submit_form(
    client: TestClient,
    url: str,
    data: dict,
    token: str | None = None,
    *,
    files: dict | None = None,
    follow: bool = True,
):
    """POST a form with the CSRF token a page would carry (the cookie is set by any page)."""
    sign_in_page(client, token)
    if not client.cookies.get("newsplus_csrf"):
        client.get("/search", headers=HTML)
    csrf = client.cookies.get("newsplus_csrf")
    assert csrf
    return client.post(
        url, data={**data, "_csrf_token": csrf}, files=files, headers=HTML, follow_redirects=follow
    )


def text(page: str) -> str:
    """The text a person reads: tags dropped, entities decoded, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S))
    return re.sub(r"\s+", " ", html.unescape(without_tags)).strip()


def part(page: str, pattern: str) -> str:
    """The first piece of a page matching a regular expression (DOTALL), for looking at one section."""
    found = re.search(pattern, page, re.S)
    assert found, f"{pattern!r} not found in page:\n{page[:3000]}"
    return found.group(0)


def section(page: str, section_id: str) -> str:
    return part(page, rf'<section id="{section_id}">.*?</section>')


def png(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def local(moment: datetime, fmt: str = "%Y-%m-%dT%H:%M") -> str:
    return moment.astimezone(SHANGHAI).strftime(fmt)


# -- H5: home, channels ----------------------------------------------------------------------------------


def test_home_page_shows_channel_tabs_the_topic_banner_and_the_pinned_article_first(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        room.channel("sports", "体育")
        room.channel("local", "社区", parent="news")
        older = room.publish("老新闻被置顶")
        newer = room.publish("最新发布的新闻", channel="sports")
        topic = client.post(
            "/api/v1/content/topics",
            json={"slug": "garbage", "title": "垃圾分类专题", "items": [{"article": older, "section": "政策"}]},
            headers=room.api("chief"),
        ).json()["id"]
        client.post(f"/api/v1/content/topics/{topic}/publish", headers=room.api("chief"))
        for pin in ({"article": older}, {"topic": "garbage", "rank": 1}):
            assert client.post("/api/v1/content/pins", json=pin, headers=room.api("chief")).status_code == 201

        page = view(client, "/")
        tabs = part(page, r'<nav class="channel-tabs".*?</nav>')
        assert '<a href="/channels/news" class="tag">要闻</a>' in tabs
        assert '<a href="/channels/sports" class="tag">体育</a>' in tabs
        assert "社区" not in tabs  # a sub-channel is a tab of its parent's page, not of the home page
        banner = part(page, r'<section class="banner".*?</section>')
        assert '<a class="banner-item" href="/topics/garbage">' in banner and "垃圾分类专题" in banner

        feed = part(page, r'<div class="feed" id="feed">.*</div>')
        cards = re.findall(r'<article class="feed-card[^"]*">.*?</article>', feed, re.S)
        titles = [text(c) for c in cards]
        assert "Pinned 老新闻被置顶" in titles[0]
        assert 'class="feed-card kind-article pinned"' in cards[0] and f'href="/articles/{older}"' in cards[0]
        assert "Pinned Topic 垃圾分类专题" in titles[1]
        assert "最新发布的新闻" in titles[2] and "Pinned" not in titles[2]
        assert "体育" in titles[2]  # the card names its channel
        assert sum(f'href="/articles/{older}"' in c for c in cards) == 1  # pinned, so not repeated below
        assert f'href="/articles/{newer}"' in cards[2]


def test_a_channel_page_lists_its_own_and_its_sub_channels_articles_and_follow_toggles(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client, channel={"description": "本区要闻"})
        room.channel("local", "社区动态", parent="news")
        room.channel("sports", "体育")
        room.publish("区政府召开常务会议")
        room.publish("西关社区举办邻里节", channel="local")
        room.publish("区运动会开幕", channel="sports")
        room.draft("还没发布的稿件")

        page = view(client, "/channels/news")
        assert "<h1>要闻</h1>" in page and "本区要闻" in page
        assert '<a href="/channels/local" class="tag">社区动态</a>' in page
        feed = text(part(page, r'<div class="feed" id="feed">.*</div>'))
        assert "区政府召开常务会议" in feed and "西关社区举办邻里节" in feed
        assert "区运动会开幕" not in feed and "还没发布的稿件" not in feed
        assert 'action="/channels/news/follow"' not in page  # anonymous readers have no follow button

        sub = text(part(view(client, "/channels/local"), r'<div class="feed" id="feed">.*</div>'))
        assert "西关社区举办邻里节" in sub and "区政府召开常务会议" not in sub

        resident = login_resident(client)
        form = part(view(client, "/channels/news", resident), r'<form[^>]*action="/channels/news/follow".*?</form>')
        assert '<input type="hidden" name="on" value="1">' in form and ">Follow</button>" in form

        followed = submit_form(client, "/channels/news/follow", {"on": "1"}, resident)
        assert followed.status_code == 200 and str(followed.url).endswith("/channels/news")
        form = part(followed.text, r'<form[^>]*action="/channels/news/follow".*?</form>')
        assert '<input type="hidden" name="on" value="0">' in form and ">Following</button>" in form
        mine = client.get("/api/v1/me/feed", headers=bearer(resident)).json()["items"]
        assert {i["title"] for i in mine} == {"区政府召开常务会议", "西关社区举办邻里节"}

        unfollowed = submit_form(client, "/channels/news/follow", {"on": "0"}, resident)
        form = part(unfollowed.text, r'<form[^>]*action="/channels/news/follow".*?</form>')
        assert '<input type="hidden" name="on" value="1">' in form and ">Follow</button>" in form
        assert client.get("/api/v1/me/feed", headers=bearer(resident)).json()["items"] == []

        missing = view(client, "/channels/nope", status=404)
        assert "No such channel: nope" in missing


# -- H5: article, reactions, favourites, comments --------------------------------------------------------


def test_an_article_page_shows_the_sanitised_body_related_items_and_buttons_that_toggle(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        room.channel("sports", "体育")
        article = room.publish(
            "垃圾分类新规今起实施",
            summary="新规要点一览",
            body='<p onclick="steal()">厨余垃圾<script>alert("xss")</script>要单独投放。</p>'
            '<p><a href="javascript:steal()">详情</a></p>',
            tags=["垃圾分类", "民生"],
        )
        related = room.publish("垃圾分类督导员上岗", channel="sports", tags=["垃圾分类"])
        unrelated = room.publish("区运动会开幕", channel="sports")

        page = view(client, f"/articles/{article}")
        assert "<h1>垃圾分类新规今起实施</h1>" in page and '<p class="lead">新规要点一览</p>' in page
        body = part(page, r'<div class="article-body">.*?</div>')
        assert "厨余垃圾" in body and "要单独投放。" in body and "详情" in body
        assert "<script" not in body and 'alert("xss")' not in page
        assert "onclick" not in page and "javascript:" not in page
        assert '<span class="tag">垃圾分类</span>' in page and '<span class="tag">民生</span>' in page
        assert '<a href="/channels/news">要闻</a>' in page
        related_box = part(page, r"<h2>Related</h2>.*?</ul>")
        assert f'<a href="/articles/{related}">垃圾分类督导员上岗</a>' in related_box
        assert f"/articles/{unrelated}" not in related_box  # shares no tag
        # Anonymous readers are asked to sign in before they like or comment.
        assert f'href="/login?next=/articles/{article}"' in page and "Sign in to comment" in page

        resident = login_resident(client)
        buttons = text(part(view(client, f"/articles/{article}", resident), r'<div class="article-actions">.*?</div>'))
        assert "Like 0" in buttons and "Save" in buttons and "Saved" not in buttons

        liked = submit_form(client, f"/articles/{article}/react", {"kind": "like", "on": "1"}, resident)
        assert str(liked.url).endswith(f"/articles/{article}")
        like_form = part(liked.text, r'<form[^>]*/react[^>]*>(?:(?!</form>).)*value="like".*?</form>')
        assert 'name="on" value="0"' in like_form and 'aria-pressed="true">Liked 1</button>' in like_form
        saved = submit_form(client, f"/articles/{article}/react", {"kind": "favourite", "on": "1"}, resident)
        save_form = part(saved.text, r'<form[^>]*/react[^>]*>(?:(?!</form>).)*value="favourite".*?</form>')
        assert 'name="on" value="0"' in save_form and 'aria-pressed="true">Saved</button>' in save_form
        # Pressing like again (a second tab) changes nothing; pressing "Liked" takes it back.
        again = submit_form(client, f"/articles/{article}/react", {"kind": "like", "on": "1"}, resident)
        assert "Liked 1" in again.text
        unliked = submit_form(client, f"/articles/{article}/react", {"kind": "like", "on": "0"}, resident)
        assert 'aria-pressed="false">Like 0</button>' in unliked.text and "Saved" in unliked.text

        favourites = view(client, "/me/favourites", resident)
        assert "<h1>Saved articles</h1>" in favourites
        assert f'<a href="/articles/{article}">垃圾分类新规今起实施</a>' in favourites
        assert "垃圾分类督导员上岗" not in favourites
        unsaved = submit_form(client, f"/articles/{article}/react", {"kind": "favourite", "on": "0"}, resident)
        assert 'aria-pressed="false">Save</button>' in unsaved.text
        assert "Nothing saved yet." in view(client, "/me/favourites", resident)
        # Signing in is needed to keep favourites.
        sign_in_page(client, None)
        assert client.get("/me/favourites", headers=HTML, follow_redirects=False).headers["location"].startswith(
            "/login?next="
        )


def test_unpublished_and_draft_articles_are_not_found_and_drop_out_of_favourites(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        draft = room.draft("草稿不能看")
        article = room.publish("稍后撤下的新闻")
        resident = login_resident(client)
        submit_form(client, f"/articles/{article}/react", {"kind": "favourite", "on": "1"}, resident)
        assert "稍后撤下的新闻" in view(client, "/me/favourites", resident)

        missing = view(client, f"/articles/{draft}", status=404)
        assert "No such article" in missing and "草稿不能看" not in missing

        chief = room.tokens["chief"]
        editor_page = view(client, f"/desk/content/articles/{article}", chief)
        assert 'value="unpublish"' in editor_page
        done = submit_form(
            client, f"/desk/content/articles/{article}/action", {"action": "unpublish", "comment": "更正"}, chief
        )
        assert "unpublished" in text(part(done.text, r"<p>Status:.*?</p>"))

        gone = view(client, f"/articles/{article}", resident, status=404)
        assert "No such article" in gone and "稍后撤下的新闻" not in gone
        assert "Nothing saved yet." in view(client, "/me/favourites", resident)
        assert "稍后撤下的新闻" not in view(client, "/channels/news")
        assert view(client, "/articles/999999", status=404)


def test_a_comment_waits_for_a_moderator_and_is_escaped_on_both_pages(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        article = room.publish("社区食堂开业")
        resident = login_resident(client)
        payload = '<img src=x onerror="alert(1)">食堂很好'

        posted = submit_form(client, f"/articles/{article}/comment", {"body": payload}, resident)
        assert posted.status_code == 200 and "posted=pending" in str(posted.url)
        comments = part(posted.text, r'<section class="card" id="comments">.*?</section>')
        assert "Thank you. Your comment will appear once a moderator has approved it." in comments
        assert "食堂很好" not in comments.split("</form>")[1]  # not shown before a moderator approves
        assert "Comments (0)" in comments and "No comments yet." in comments

        empty = submit_form(client, f"/articles/{article}/comment", {"body": "   "}, resident)
        assert empty.status_code == 400
        assert "A comment of 1 to 500 characters is required" in empty.text

        # The author (an editor) cannot moderate; a reviewer can.
        refused = view(client, "/desk/content/comments", room.tokens["editor"], status=403)
        assert "食堂很好" not in refused
        moderator = room.tokens["first"]
        queue = view(client, "/desk/content/comments", moderator)
        row = part(queue, r"<tr><td>(?:(?!</tr>).)*食堂很好.*?</tr>")
        assert html.escape(payload, quote=False) in row or "&lt;img src=x onerror=" in row
        assert "<img src=x" not in queue and "onerror=\"alert(1)\">" not in queue
        assert f'<a href="/articles/{article}">社区食堂开业</a>' in row
        comment_id = re.search(r'action="/desk/content/comments/(\d+)"', row).group(1)

        approved = submit_form(client, f"/desk/content/comments/{comment_id}", {"decision": "approve"}, moderator)
        assert approved.status_code == 200 and "Nothing waiting." in approved.text
        assert "食堂很好" in view(client, "/desk/content/comments?status=approved", moderator)

        page = view(client, f"/articles/{article}")
        comments = part(page, r'<section class="card" id="comments">.*?</section>')
        assert "Comments (1)" in comments and "食堂很好" in comments
        assert "&lt;img src=x onerror=" in comments and "<img src=x" not in page
        assert "No comments yet." not in comments


# -- H5: topics and search -------------------------------------------------------------------------------


def test_search_finds_a_two_character_chinese_word_in_the_body_and_says_when_nothing_is_found(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        found = room.publish("新规今起实施", body="<p>本区今天起全面推行垃圾分类，厨余垃圾单独投放。</p>")
        room.publish("区运动会开幕", body="<p>两千名运动员参加。</p>")
        room.draft("草稿也提到分类", body="<p>分类</p>")

        page = view(client, "/search?q=分类")
        assert 'value="分类"' in page
        results = re.findall(r'<article class="feed-card.*?</article>', page, re.S)
        assert len(results) == 1
        assert f'href="/articles/{found}"' in results[0] and "新规今起实施" in text(results[0])

        nothing = view(client, "/search?q=火箭")
        assert "Nothing found for “火箭”." in text(nothing)
        assert '<article class="feed-card' not in nothing
        # Both characters must be there, next to each other.
        assert "Nothing found for “分运”." in text(view(client, "/search?q=分运"))
        blank = view(client, "/search")
        assert "Nothing found" not in blank and 'name="q"' in blank


def test_the_topic_editor_saves_items_by_section_and_puts_the_topic_live(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        policy = room.publish("新规全文")
        qa = room.publish("十问十答")
        scene = room.publish("记者探访小区")
        draft = room.draft("还在写的稿子")
        chief = room.tokens["chief"]

        assert "No topics yet." in view(client, "/desk/content/channels", chief)
        created = submit_form(
            client, "/desk/content/topics", {"title": "垃圾分类专题", "slug": "garbage"}, chief, follow=False
        )
        assert created.status_code == 303
        editor_url = created.headers["location"]
        assert re.fullmatch(r"/desk/content/topics/\d+", editor_url)
        topic_id = editor_url.rsplit("/", 1)[1]
        editor = view(client, editor_url, chief)
        assert "not live" in editor and ">Put live</button>" in editor
        view(client, "/topics/garbage", status=404)  # not live yet

        saved = submit_form(
            client,
            "/desk/content/topics",
            {
                "id": topic_id,
                "title": "垃圾分类专题",
                "slug": "garbage",
                "intro": "<p>新规<b>要点</b><script>alert(1)</script></p>",
                "items": f"政策解读: {policy}, {qa}\n现场直击：{scene}，{draft}",
            },
            chief,
        )
        assert saved.status_code == 200 and str(saved.url).endswith(editor_url)
        items = re.findall(r"<li>([^<]*) · <a href=\"/desk/content/articles/(\d+)\">([^<]*)</a> · (\w+)</li>", saved.text)
        assert items == [
            ("政策解读", str(policy), "新规全文", "published"),
            ("政策解读", str(qa), "十问十答", "published"),
            ("现场直击", str(scene), "记者探访小区", "published"),
            ("现场直击", str(draft), "还在写的稿子", "draft"),
        ]
        assert f"政策解读: {policy}, {qa}\n现场直击: {scene}, {draft}" in saved.text  # the form shows what it saved

        live = submit_form(client, "/desk/content/topics", {"id": topic_id, "publish": "1"}, chief)
        assert ">Take down</button>" in live.text and '<a href="/topics/garbage">View</a>' in live.text
        assert "垃圾分类专题</a> · live" in view(client, "/desk/content/channels", chief)

        page = view(client, "/topics/garbage")
        assert "<h1>垃圾分类专题</h1>" in page and "<b>要点</b>" in page and "alert(1)" not in page
        sections = re.findall(r'<section class="topic-section">(.*?)</section>', page, re.S)
        assert [re.search(r"<h2>(.*?)</h2>", s).group(1) for s in sections] == ["政策解读", "现场直击"]
        assert re.findall(r'href="/articles/(\d+)"', sections[0]) == [str(policy), str(qa)]
        assert re.findall(r'href="/articles/(\d+)"', sections[1]) == [str(scene)]  # the draft is not shown
        assert "还在写的稿子" not in page
        # A live topic appears in the home page's banner.
        assert '<a class="banner-item" href="/topics/garbage">' in view(client, "/")

        down = submit_form(client, "/desk/content/topics", {"id": topic_id, "publish": "0"}, chief)
        assert ">Put live</button>" in down.text
        view(client, "/topics/garbage", status=404)


# -- desk: dashboard and planning ------------------------------------------------------------------------


def test_the_dashboard_shows_my_reviews_my_drafts_the_calendar_and_recent_articles(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        my_draft = room.draft("编辑的草稿")
        by_reviewer = room.draft("审核员自己写的稿", by="first")
        room.act("first", by_reviewer, "submit")
        live = room.publish("已经发布的新闻")
        go_live = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
        scheduled = room.publish("三天后上线的新闻", go_live_at=go_live.isoformat())
        assert room.state(scheduled)["status"] == "scheduled"

        # The other reviewer holds the 初审 step's role: it waits for them.
        second = view(client, "/desk/content", room.tokens["second"])
        waiting = section(second, "awaiting-review")
        assert "Awaiting my review (1)" in waiting
        assert f'<a href="/desk/content/articles/{by_reviewer}">审核员自己写的稿</a> · 初审' in waiting
        # Not for its author, though they are a reviewer; not for an editor, nor the chief (the step is not theirs).
        for who in ("first", "editor", "chief"):
            theirs = section(view(client, "/desk/content", room.tokens[who]), "awaiting-review")
            assert "Awaiting my review (0)" in theirs and "审核员自己写的稿" not in theirs, who

        editor = view(client, "/desk/content", room.tokens["editor"])
        tasks = text(section(editor, "my-tasks"))
        assert "编辑的草稿 · draft" in tasks
        assert "审核员自己写的稿" not in tasks and "已经发布的新闻" not in tasks
        assert f'href="/desk/content/articles/{my_draft}"' in section(editor, "my-tasks")
        assert "Nothing." in section(view(client, "/desk/content", room.tokens["second"]), "my-tasks")

        calendar = section(editor, "calendar")
        assert f"<h3>{local(go_live, '%Y-%m-%d')}</h3>" in calendar
        assert f"{local(go_live, '%H:%M')} · goes live · 三天后上线的新闻" in text(calendar)
        assert f'href="/desk/content/articles/{scheduled}"' in calendar
        assert "已经发布的新闻" not in calendar

        recent = part(editor, r'<table class="table" id="recent">.*?</table>')
        assert f'<a href="/desk/content/reach?article={live}">已经发布的新闻</a>' in recent
        assert "三天后上线的新闻" not in recent and "编辑的草稿" not in recent


def test_a_story_proposed_on_the_planning_board_shows_under_the_assignees_tasks(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        editor, second = room.tokens["editor"], room.tokens["second"]
        second_id = room.user_id("second")

        board = view(client, "/desk/content/planning", editor)
        assert "<h2>Propose a story</h2>" in board
        assert f'<input type="checkbox" name="assignees" value="{second_id}"> second</label>' in board
        assert '<option value="news">要闻</option>' in board

        saved = submit_form(
            client,
            "/desk/content/planning",
            {
                "title": "垃圾分类一个月回访",
                "brief": "回访三个小区",
                "channel": "news",
                "assignees": [str(second_id)],
                "due_on": "2030-05-01",
                "status": "assigned",
            },
            editor,
        )
        assert saved.status_code == 200 and str(saved.url).endswith("/desk/content/planning")
        column = part(saved.text, r"<section><h2>assigned</h2>.*?</section>")
        assert "垃圾分类一个月回访</a> · 要闻" in column and "due 2030-05-01" in text(column)

        tasks = section(view(client, "/desk/content", second), "my-tasks")
        assert "垃圾分类一个月回访" in tasks and "due 2030-05-01" in text(tasks)
        item = re.search(r'href="/desk/content/planning\?edit=(\d+)"', tasks).group(1)
        assert "垃圾分类一个月回访" not in section(view(client, "/desk/content", editor), "my-tasks")

        opened = view(client, f"/desk/content/planning?edit={item}", second)
        assert "<h2>Change this story</h2>" in opened and f'<input type="hidden" name="id" value="{item}">' in opened
        assert f'value="{second_id}" checked> second' in opened

        refused = submit_form(client, "/desk/content/planning", {"title": "  ", "status": "proposed"}, editor)
        assert refused.status_code == 400
        assert "A title of 1 to 200 characters is required" in part(refused.text, r'<p class="error".*?</p>')


# -- desk: the editor ------------------------------------------------------------------------------------


def test_the_new_article_form_saves_a_draft_and_a_stale_save_shows_the_conflict(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        editor = room.tokens["editor"]
        blank = view(client, "/desk/content/articles/new", editor)
        assert "<h1>New article</h1>" in blank and '<option value="news">要闻</option>' in blank
        assert 'action="/desk/content/articles/new"' in blank

        fields = {
            "title": "社保卡换发指南",
            "channel": "news",
            "kind": "article",
            "summary": "三步换新卡",
            "body": "<p>第一步，带身份证。</p><script>alert(1)</script>",
            "tags": "社保，民生, 社保",
            "go_live_at": "2030-01-02T09:30",
            "expire_at": "2030-01-09T18:00",
            "allow_comments": "1",
            "revision": "0",
        }
        created = submit_form(client, "/desk/content/articles/new", fields, editor, follow=False)
        assert created.status_code == 303
        match = re.fullmatch(r"/desk/content/articles/(\d+)\?saved=1", created.headers["location"])
        assert match
        article = int(match.group(1))

        page = view(client, created.headers["location"], editor)
        assert "<h1>社保卡换发指南</h1>" in page and "Saved." in page
        assert "Status: draft" in text(part(page, r"<p>Status:.*?</p>")) and "Revision 1" in page
        assert 'value="社保, 民生"' in page  # Chinese commas split tags too, duplicates dropped
        assert 'name="go_live_at" value="2030-01-02T09:30"' in page  # local time, as typed
        assert 'name="expire_at" value="2030-01-09T18:00"' in page
        assert 'name="allow_comments" value="1" checked' in page
        assert "&lt;p&gt;第一步，带身份证。&lt;/p&gt;" in page and "alert(1)" not in page
        assert '<input type="hidden" name="revision" value="1">' in page
        state = room.state(article)
        assert state["go_live_at"].startswith("2030-01-02T01:30:00")  # stored in UTC
        assert state["author"] == room.user_id("editor")

        second_save = submit_form(
            client, f"/desk/content/articles/{article}", {**fields, "title": "社保卡换发指南（更新）", "revision": "1"}, editor
        )
        assert second_save.status_code == 200 and "Revision 2" in second_save.text
        stale = submit_form(
            client, f"/desk/content/articles/{article}", {**fields, "title": "我的旧版本", "revision": "1"}, editor
        )
        assert stale.status_code == 409
        assert (
            "Someone saved this article since you opened it (revision 2); reload to see their changes"
            in part(stale.text, r'<p class="error" role="alert">.*?</p>')
        )
        assert 'value="我的旧版本"' in stale.text  # what they typed is kept for them to copy
        assert room.state(article)["title"] == "社保卡换发指南（更新）"

        bad = submit_form(client, "/desk/content/articles/new", {**fields, "title": ""}, editor)
        assert bad.status_code == 400
        assert "A title of 1 to 200 characters is required" in bad.text
        assert 'name="title" maxlength="200" required value="" aria-invalid="true"' in bad.text
        # An editor form is for staff: a resident is refused.
        view(client, "/desk/content/articles/new", login_resident(client), status=403)


def test_the_action_form_walks_the_chain_with_three_reviewers_and_the_history_shows_each_step(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        article = room.draft("区长信箱月度回复")
        editor, first, second, chief = (room.tokens[n] for n in ("editor", "first", "second", "chief"))
        action = f"/desk/content/articles/{article}/action"

        page = view(client, f"/desk/content/articles/{article}", editor)
        assert 'value="submit"' in page and 'value="approve"' not in page
        submitted = submit_form(client, action, {"action": "submit"}, editor)
        assert "Waiting for 初审 (reviewer)" in text(submitted.text)
        assert 'value="approve"' not in submitted.text  # an editor has no approve button…
        refused = submit_form(client, action, {"action": "approve"}, editor)  # …and pressing it anyway is refused
        assert refused.status_code == 403 and "You do not have permission to do this" in refused.text

        at_first = view(client, f"/desk/content/articles/{article}", first)
        assert ">Approve (初审)</button>" in at_first
        passed = submit_form(client, action, {"action": "approve", "comment": "事实无误"}, first)
        assert "Waiting for 复审 (reviewer)" in text(passed.text)
        twice = submit_form(client, action, {"action": "approve"}, first)
        assert twice.status_code == 403 and "Each step needs a different reviewer" in twice.text
        assert "Waiting for 复审" in text(twice.text)

        wrong_role = submit_form(client, action, {"action": "approve"}, chief)
        assert wrong_role.status_code == 403 and "The step 复审 is for the role reviewer" in wrong_role.text
        submit_form(client, action, {"action": "approve"}, second)
        final = submit_form(client, action, {"action": "approve", "comment": "同意发布"}, chief)
        status = text(part(final.text, r"<p>Status:.*?</p>"))
        assert "Status: published" in status and "Published" in status
        assert f'<a href="/articles/{article}">View</a>' in final.text

        history = [text(li) for li in re.findall(r"<li>.*?</li>", part(final.text, r'<ol class="plain history">.*?</ol>'))]
        steps = [h.split(" · ", 1)[1] for h in history]  # without the time
        assert steps == [
            "editor · → draft",
            "editor · draft → submitted (初审)",
            "first · submitted → submitted (初审) · “事实无误”",
            "second · submitted → submitted (复审)",
            "chief · submitted → approved (终审) · “同意发布”",
            "chief · approved → published",
        ]
        assert "<h1>区长信箱月度回复</h1>" in view(client, f"/articles/{article}")

        sent_back = room.draft("需要退回的稿子")
        room.act("editor", sent_back, "submit")
        no_reason = submit_form(client, f"/desk/content/articles/{sent_back}/action", {"action": "reject"}, first)
        assert no_reason.status_code == 400 and "Say why it goes back" in no_reason.text
        back = submit_form(
            client, f"/desk/content/articles/{sent_back}/action", {"action": "reject", "comment": "数据要核实"}, first
        )
        assert "Status: rejected" in text(part(back.text, r"<p>Status:.*?</p>"))
        assert "first · submitted → rejected (初审) · “数据要核实”" in text(back.text)


def test_compare_marks_removed_and_added_lines_and_the_restore_form_brings_an_old_revision_back(
    newsplus_app,
) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        editor = room.tokens["editor"]
        article = room.draft("停水通知", body="<p>第一段不变</p><p>周二停水</p>")
        changed = client.put(
            f"/api/v1/content/articles/{article}",
            json={"title": "停水通知", "channel": "news", "body": "<p>第一段不变</p><p>周三停水</p>", "revision": 1},
            headers=room.api("editor"),
        )
        assert changed.json()["revision"] == 2

        editor_page = view(client, f"/desk/content/articles/{article}", editor)
        assert f'href="/desk/content/articles/{article}/compare?old=1&amp;new=2"' in editor_page

        compare = view(client, f"/desk/content/articles/{article}/compare?old=1&new=2", editor)
        assert "Revision 1 → 2" in text(compare)
        diff = part(compare, r'<div class="diff">.*?</div>')
        assert '<p class="del"><span class="visually-hidden">Removed: </span>周二停水</p>' in diff
        assert '<p class="add"><span class="visually-hidden">Added: </span>周三停水</p>' in diff
        assert '<p class="same">第一段不变</p>' in diff
        view(client, f"/desk/content/articles/{article}/compare?old=1&new=9", editor, status=404)

        restored = submit_form(client, f"/desk/content/articles/{article}/restore", {"number": "1"}, editor)
        assert restored.status_code == 200 and "Saved." in restored.text and "Revision 3" in restored.text
        assert "&lt;p&gt;周二停水&lt;/p&gt;" in restored.text
        revisions = part(restored.text, r"<h2>Revisions</h2>.*?</table>")
        assert "Restored revision 1" in revisions
        assert [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", revisions)] == [3, 2, 1]
        assert room.state(article)["body"] == "<p>第一段不变</p><p>周二停水</p>"


def test_the_wechat_export_has_inline_styles_and_absolute_images_and_weibo_has_the_title_in_brackets(
    newsplus_app,
) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        uploaded = client.post(
            "/api/v1/content/media", files={"file": ("photo.png", png(), "image/png")}, headers=room.api("editor")
        )
        assert uploaded.status_code == 201, uploaded.text
        image = uploaded.json()["url"]
        article = room.publish(
            "春节游园会",
            summary="正月十五见",
            body=f'<p>游园会在文化广场举行。</p><p><img src="{image}" alt="灯会"></p>',
        )
        editor = room.tokens["editor"]
        assert f'href="/desk/content/articles/{article}/export/wechat"' in view(
            client, f"/desk/content/articles/{article}", editor
        )

        wechat = view(client, f"/desk/content/articles/{article}/export/wechat", editor)
        preview = part(wechat, r'<div class="card export-preview">.*?</textarea>')
        assert '<h1 style="font-size:20px;font-weight:bold;' in preview and ">春节游园会</h1>" in preview
        assert '<p style="margin:0 0 1em;line-height:1.75;' in preview and "游园会在文化广场举行。" in preview
        assert f'src="http://127.0.0.1:8000{image}" style="max-width:100%;' in preview
        assert f"http://127.0.0.1:8000/articles/{article}" in preview
        assert 'class="' not in part(wechat, r'<div class="card export-preview">(.*?)<label>')[37:]
        # The same HTML, escaped, in a box to copy.
        assert f"src=&#34;http://127.0.0.1:8000{image}&#34;" in wechat or f"src=&quot;http://127.0.0.1:8000{image}" in wechat

        weibo = view(client, f"/desk/content/articles/{article}/export/weibo", editor)
        post = html.unescape(part(weibo, r"<textarea[^>]*>(.*?)</textarea>"))
        assert "【春节游园会】正月十五见" in post
        assert "游园会在文化广场举行。" in post and f"http://127.0.0.1:8000/articles/{article}" in post
        assert f'<a href="http://127.0.0.1:8000{image}">' in weibo
        view(client, f"/desk/content/articles/{article}/export/fax", editor, status=404)


# -- desk: library, channels and pins, reach -------------------------------------------------------------


def test_the_media_library_upload_form_shows_the_image_and_refuses_a_text_file_named_png(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        editor = login_staff(client, "editor", roles=("editor",))
        assert "Nothing uploaded yet." in view(client, "/desk/content/media", editor)

        uploaded = submit_form(
            client,
            "/desk/content/media",
            {"alt": "红色方块"},
            editor,
            files={"file": ("square.png", png(64, 48), "image/png")},
        )
        assert uploaded.status_code == 200 and str(uploaded.url).endswith("/desk/content/media")
        tile = part(uploaded.text, r'<ul class="media-grid">.*?</ul>')
        assert "64×48 · square.png" in tile
        src = re.search(r'<img src="(/media/[^"]+)" alt="红色方块"', tile).group(1)
        served = client.get(src)
        assert served.status_code == 200 and served.headers["content-type"].startswith("image/")
        with Image.open(io.BytesIO(served.content)) as thumb:
            assert thumb.size == (64, 48)  # small already: the thumbnail keeps its size

        fake = submit_form(
            client,
            "/desk/content/media",
            {},
            editor,
            files={"file": ("notes.png", b"just some text, not a picture", "image/png")},
        )
        assert fake.status_code == 415
        error = part(fake.text, r'<p class="error" role="alert">.*?</p>')
        assert "Only JPEG, PNG, GIF, WebP images and MP4 videos can be uploaded" in error
        assert "notes.png" not in fake.text and "square.png" in fake.text


def test_the_channels_page_adds_a_channel_with_its_own_chain_and_pins_an_article_to_home(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        chief = room.tokens["chief"]
        page = view(client, "/desk/content/channels", chief)
        assert "<td>news</td><td>District default</td>" in page
        assert "Nothing pinned." in page

        added = submit_form(
            client,
            "/desk/content/channels",
            {"name": "快讯", "slug": "flash", "parent": "", "position": "1", "review_chain": "初审:reviewer, 终审:chief_editor"},
            chief,
        )
        assert added.status_code == 200
        row = part(added.text, r'<tr><td>[^<]*<a href="/channels/flash">快讯</a>.*?</tr>')
        assert "初审" in row and "终审" in row and "reviewer" in row and "chief_editor" in row

        unknown = submit_form(
            client, "/desk/content/channels", {"name": "坏", "slug": "bad", "review_chain": "初审:overlord"}, chief
        )
        assert unknown.status_code == 400 and "Unknown role overlord" in unknown.text
        taken = submit_form(client, "/desk/content/channels", {"name": "重复", "slug": "flash"}, chief)
        assert taken.status_code == 409 and "The slug flash is taken" in taken.text

        # The new channel's two-step chain: a reviewer, then the chief editor, and it is live.
        article = room.draft("快讯：地铁延时运营", channel="flash")
        assert "初审" in client.post(
            f"/api/v1/content/articles/{article}/submit", headers=room.api("editor")
        ).json()["step"]
        room.act("first", article, "approve")
        assert room.act("chief", article, "approve") == "published"
        room.publish("更新的要闻")

        pinned = submit_form(
            client, "/desk/content/pins", {"article": str(article), "channel": "", "rank": "0"}, chief
        )
        assert pinned.status_code == 200
        pin_row = part(pinned.text, r"<tr><td>Home</td>.*?</tr>")
        assert "快讯：地铁延时运营" in pin_row and ">Unpin</button>" in pin_row
        home = view(client, "/")
        first_card = part(home, r'<article class="feed-card.*?</article>')
        assert "Pinned 快讯：地铁延时运营" in text(first_card)
        assert '<a href="/channels/flash" class="tag">快讯</a>' in home

        no_such = submit_form(client, "/desk/content/pins", {"article": "999999"}, chief)
        assert no_such.status_code == 400 and "No such article" in no_such.text

        pin_id = re.search(r'name="remove" value="(\d+)"', pin_row).group(1)
        unpinned = submit_form(client, "/desk/content/pins", {"remove": pin_id}, chief)
        assert "Nothing pinned." in unpinned.text
        assert "Pinned" not in text(part(view(client, "/"), r'<div class="feed" id="feed">.*</div>'))
        # Arranging channels needs the arrange permission, which an editor lacks.
        view(client, "/desk/content/channels", room.tokens["editor"], status=403)


def test_the_reach_page_draws_the_chart_once_views_are_written(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        room = Newsroom(client)
        article = room.publish("停车新政解读")
        other = room.publish("无人问津的新闻")
        for _ in range(3):
            view(client, f"/articles/{article}")
        resident = login_resident(client)
        submit_form(client, f"/articles/{article}/react", {"kind": "like", "on": "1"}, resident)
        newsplus = client.app.state.newsplus
        assert call(client, view_counter(newsplus).flush, newsplus) == 3

        today = datetime.now(UTC).astimezone(SHANGHAI).strftime("%Y-%m-%d")
        page = view(client, "/desk/content/reach", room.tokens["editor"])
        chart = part(page, r'<svg class="chart".*?</svg>')
        assert 'aria-label="Views by day"' in chart
        assert len(re.findall(r"<rect ", chart)) == 14  # one bar per day of the default fortnight
        assert f"<title>{today}: 3</title>" in chart
        assert "peak 3" in text(page)
        totals = text(part(page, r"<p>.*?</p>"))
        assert "views: 3" in totals and "likes: 1" in totals
        top = part(page, r"<h2>Most read</h2>.*?</table>")
        assert f'<a href="/desk/content/reach?article={article}&amp;days=14">停车新政解读</a>' in top
        assert "无人问津的新闻" not in top
        per_channel = text(part(page, r"<h2>By channel</h2>.*?</table>"))
        assert "要闻 3 1 0 0 0" in per_channel

        one = view(client, f"/desk/content/reach?article={other}&days=7", room.tokens["editor"])
        assert "<h1>Reach · 无人问津的新闻</h1>" in one
        assert len(re.findall(r"<rect ", one)) == 7 and f"<title>{today}: 0</title>" in one
        assert "views: 0" in text(one)
        view(client, "/desk/content/reach?days=0", room.tokens["editor"], status=400)
