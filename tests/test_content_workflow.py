"""The editorial desk's workflow: drafts, revisions, the review chain, scheduling, expiry and distribution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from newsplus.clock import frozen_clock
from newsplus.content.tables import Distribution
from newsplus.notifications.tables import Notification
from newsplus.testing import bearer, call, login_staff
from newsplus.users.tables import User

EN = {"Accept-Language": "en"}
pytestmark = pytest.mark.usefixtures("light_passwords")


class Desk:
    """The people of a small newsroom, signed in over the API."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.chief = bearer(login_staff(client, "chief", roles=("chief_editor",)))
        self.editor = bearer(login_staff(client, "editor", roles=("editor",)))
        self.first = bearer(login_staff(client, "first", roles=("reviewer",)))
        self.second = bearer(login_staff(client, "second", roles=("reviewer",)))
        made = client.post("/api/v1/content/channels", json={"slug": "news", "name": "要闻"}, headers=self.chief)
        assert made.status_code == 201, made.text

    def draft(self, **fields) -> int:
        body = {"title": "天通苑垃圾清运完成", "channel": "news", "body": "<p>六小时清运六十车垃圾。</p>", **fields}
        made = self.client.post("/api/v1/content/articles", json=body, headers=self.editor)
        assert made.status_code == 201, made.text
        return made.json()["id"]

    def act(self, who: dict, article_id: int, action: str, comment: str = "") -> dict:
        response = self.client.post(
            f"/api/v1/content/articles/{article_id}/{action}", json={"comment": comment}, headers={**who, **EN}
        )
        return {"status_code": response.status_code, **response.json()}

    def through_review(self, article_id: int) -> str:
        assert self.act(self.editor, article_id, "submit")["status"] == "submitted"
        assert self.act(self.first, article_id, "approve")["status"] == "submitted"
        assert self.act(self.second, article_id, "approve")["status"] == "submitted"
        return self.act(self.chief, article_id, "approve")["status"]

    def feed_ids(self) -> list[int]:
        return [item["id"] for item in self.client.get("/api/v1/feed").json()["items"]]

    def state(self, article_id: int) -> dict:
        return self.client.get(f"/api/v1/content/articles/{article_id}", headers=self.chief).json()


def test_three_reviewers_in_turn_then_it_goes_live_at_go_live_at_and_drops_out_at_expire_at(newsplus_app) -> None:
    start = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    with frozen_clock(start) as clock, TestClient(newsplus_app()) as client:
        desk = Desk(client)
        article = desk.draft(
            go_live_at=(start + timedelta(hours=2)).isoformat(), expire_at=(start + timedelta(hours=6)).isoformat()
        )

        assert desk.act(desk.editor, article, "submit") == {"status_code": 200, "status": "submitted", "step": "初审"}
        assert desk.act(desk.first, article, "approve")["status"] == "submitted"
        assert desk.act(desk.second, article, "approve")["status"] == "submitted"
        assert desk.act(desk.chief, article, "approve")["status"] == "scheduled"
        assert article not in desk.feed_ids()

        clock.advance(hours=2)
        assert desk.feed_ids() == [article]  # visible at go-live, before the job has even run
        newsplus = client.app.state.newsplus
        call(client, newsplus.scheduler.run_now, "content.schedule")
        assert desk.state(article)["status"] == "published"

        clock.advance(hours=4)
        assert desk.feed_ids() == []
        assert client.get(f"/api/v1/articles/{article}").status_code == 404
        call(client, newsplus.scheduler.run_now, "content.schedule")
        state = desk.state(article)
        assert state["status"] == "unpublished"

        steps = [(h["from_status"], h["to_status"], h["step"], h["comment"]) for h in state["history"]]
        assert steps == [
            ("", "draft", "", ""),
            ("draft", "submitted", "初审", ""),
            ("submitted", "submitted", "初审", ""),
            ("submitted", "submitted", "复审", ""),
            ("submitted", "approved", "终审", ""),
            ("approved", "scheduled", "", ""),
            ("scheduled", "published", "", "Went live at its scheduled time"),
            ("published", "unpublished", "", "Expired"),
        ]
        actors = [h["actor"] for h in state["history"]]
        assert actors[-2:] == [None, None]  # the schedule acted, not a person
        assert len(set(actors[2:5])) == 3  # three different reviewers


def test_an_editor_cannot_skip_review_or_approve_and_nobody_passes_two_steps(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        article = desk.draft()
        # No route publishes directly; approving needs the review permission.
        assert desk.act(desk.editor, article, "approve")["status_code"] == 403
        assert client.post(f"/api/v1/content/articles/{article}/publish", headers=desk.editor).status_code in (404, 405)
        desk.act(desk.editor, article, "submit")
        # The chief editor holds 终审, not the 初审 step's role? The chief editor's role lacks "reviewer".
        refused = desk.act(desk.chief, article, "approve")
        assert refused["status_code"] == 403 and "初审" in refused["detail"]
        assert desk.act(desk.first, article, "approve")["status"] == "submitted"
        twice = desk.act(desk.first, article, "approve")
        assert twice["status_code"] == 403 and twice["detail"] == "Each step needs a different reviewer"
        assert article not in desk.feed_ids()


def test_authors_do_not_review_their_own_articles(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        made = client.post(
            "/api/v1/content/articles", json={"title": "自己写的", "channel": "news"}, headers=desk.first
        ).json()["id"]
        desk.act(desk.first, made, "submit")
        refused = desk.act(desk.first, made, "approve")
        assert refused["status_code"] == 403 and refused["detail"] == "Authors do not review their own articles"


def test_reject_sends_it_back_with_a_comment_and_tells_the_author_who_fixes_and_resubmits(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        article = desk.draft()
        desk.act(desk.editor, article, "submit")
        desk.act(desk.first, article, "approve")
        assert desk.act(desk.second, article, "reject")["status_code"] == 400  # a reason is required
        assert desk.act(desk.second, article, "reject", "数据需要核实")["status"] == "rejected"

        newsplus = client.app.state.newsplus
        call(client, newsplus.dispatcher.deliver_pending)
        editor_id = call(client, _user_id, "editor")
        told = call(client, _titles, editor_id)
        assert any("退回" in title and "天通苑垃圾清运完成" in title for title in told)

        state = desk.state(article)
        assert state["history"][-1]["comment"] == "数据需要核实" and state["history"][-1]["step"] == "复审"
        revision = state["revision"]
        saved = client.put(
            f"/api/v1/content/articles/{article}",
            json={
                "title": "天通苑垃圾清运完成",
                "channel": "news",
                "body": "<p>核实：六十车。</p>",
                "revision": revision,
            },
            headers=desk.editor,
        )
        assert saved.json()["revision"] == revision + 1
        # A new round starts at the first step; the earlier approvals do not count.
        assert desk.through_review(article) == "published"


def test_the_next_reviewers_are_told_when_an_article_waits_for_them(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        article = desk.draft()
        desk.act(desk.editor, article, "submit")
        desk.act(desk.first, article, "approve")
        call(client, client.app.state.newsplus.dispatcher.deliver_pending)
        first, second, chief = (call(client, _user_id, n) for n in ("first", "second", "chief"))
        assert "待初审：天通苑垃圾清运完成" in call(client, _titles, second)
        assert "待复审：天通苑垃圾清运完成" in call(client, _titles, second)
        assert "待复审：天通苑垃圾清运完成" in call(client, _titles, first)
        assert call(client, _titles, chief) == []  # 终审 is not yet due


def test_a_channel_can_have_its_own_shorter_chain(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        chain = [{"name": "值班审核", "role": "chief_editor"}]
        made = client.post(
            "/api/v1/content/channels",
            json={"slug": "flash", "name": "快讯", "review_chain": chain},
            headers=desk.chief,
        )
        assert made.status_code == 201
        bad = client.post(
            "/api/v1/content/channels",
            json={"slug": "bad", "name": "坏", "review_chain": [{"name": "x", "role": "nobody"}]},
            headers={**desk.chief, **EN},
        )
        assert bad.status_code == 400 and bad.json()["detail"] == "Unknown role nobody"
        article = desk.draft(channel="flash")
        assert desk.act(desk.editor, article, "submit")["step"] == "值班审核"
        assert desk.act(desk.chief, article, "approve")["status"] == "published"


def test_every_save_is_a_revision_that_can_be_compared_and_restored_and_stale_saves_are_refused(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        article = desk.draft(body="<p>第一段</p><p>第二段</p>")
        update = {
            "title": "天通苑垃圾清运完成",
            "channel": "news",
            "body": "<p>第一段</p><p>改过的第二段</p>",
            "revision": 1,
        }
        assert (
            client.put(f"/api/v1/content/articles/{article}", json=update, headers=desk.editor).json()["revision"] == 2
        )
        stale = client.put(f"/api/v1/content/articles/{article}", json=update, headers={**desk.editor, **EN})
        assert stale.status_code == 409 and "revision 2" in stale.json()["detail"]

        diff = client.get(f"/api/v1/content/articles/{article}/compare?old=1&new=2", headers=desk.editor).json()
        assert {"op": "-", "text": "第二段"} in diff and {"op": "+", "text": "改过的第二段"} in diff
        assert {"op": " ", "text": "第一段"} in diff

        restored = client.post(f"/api/v1/content/articles/{article}/restore/1", headers=desk.editor)
        assert restored.json()["revision"] == 3
        state = desk.state(article)
        assert state["body"] == "<p>第一段</p><p>第二段</p>"
        assert [r["number"] for r in state["revisions"]] == [3, 2, 1]
        assert state["revisions"][0]["note"] == "Restored revision 1"


def test_live_or_in_review_articles_cannot_be_edited_until_withdrawn_or_unpublished(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        article = desk.draft()
        desk.act(desk.editor, article, "submit")
        edit = {"title": "改标题", "channel": "news"}
        assert client.put(f"/api/v1/content/articles/{article}", json=edit, headers=desk.editor).status_code == 409
        assert desk.act(desk.editor, article, "withdraw")["status"] == "draft"
        assert desk.through_review(article) == "published"
        assert client.put(f"/api/v1/content/articles/{article}", json=edit, headers=desk.editor).status_code == 409
        assert desk.act(desk.editor, article, "unpublish")["status_code"] == 403  # editors cannot take things down
        assert desk.act(desk.chief, article, "unpublish", "更正")["status"] == "unpublished"
        assert article not in desk.feed_ids()
        assert client.put(f"/api/v1/content/articles/{article}", json=edit, headers=desk.editor).status_code == 200
        assert desk.state(article)["status"] == "draft"
        assert desk.act(desk.chief, article, "archive")["status"] == "archived"


def test_a_publish_is_sent_to_every_target_and_each_is_recorded(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        everywhere = desk.draft()
        only_app = desk.draft(title="只进客户端", targets=["app", "wechat"])
        unknown = client.post(
            "/api/v1/content/articles",
            json={"title": "x", "channel": "news", "targets": ["fax"]},
            headers={**desk.editor, **EN},
        )
        assert unknown.status_code == 400 and unknown.json()["detail"] == "Unknown distribution target fax"
        desk.through_review(everywhere)
        desk.through_review(only_app)
        call(client, client.app.state.newsplus.dispatcher.deliver_pending)
        call(client, client.app.state.newsplus.dispatcher.deliver_pending)  # repeated delivery records nothing more
        sent = desk.state(everywhere)["distributions"]
        assert sorted(d["target"] for d in sent) == ["app", "atom", "web", "wechat", "weibo"]
        assert all(d["status"] == "done" for d in sent)
        web = next(d for d in sent if d["target"] == "web")
        assert web["detail"].endswith(f"/articles/{everywhere}")
        assert sorted(d["target"] for d in desk.state(only_app)["distributions"]) == ["app", "wechat"]
        assert call(client, _count_distributions) == 7


def test_script_in_a_body_never_survives_a_save(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        article = desk.draft(
            body='<p onclick="steal()">正文<script>alert(1)</script><a href="javascript:x()">链接</a></p>'
        )
        body = desk.state(article)["body"]
        assert "script" not in body and "onclick" not in body and "javascript" not in body
        assert "正文" in body and "链接" in body


def test_bad_article_input_gets_a_clear_400_naming_the_field(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        cases = [
            ({"title": "", "channel": "news"}, "title"),
            ({"title": "x", "channel": "news", "kind": "live"}, "link"),
            ({"title": "x", "channel": "news", "cover": 999}, "gallery"),
            ({"title": "x", "channel": "news", "go_live_at": "2026-12-01T08:00:00"}, "go_live_at"),
            (
                {
                    "title": "x",
                    "channel": "news",
                    "go_live_at": "2026-12-02T08:00:00+08:00",
                    "expire_at": "2026-12-01T08:00:00+08:00",
                },
                "expire_at",
            ),
            ({"title": "x", "channel": "news", "tags": [f"标签{i}" for i in range(11)]}, None),
        ]
        for body, field in cases:
            response = client.post("/api/v1/content/articles", json=body, headers={**desk.editor, **EN})
            assert response.status_code == 400, (body, response.text)
            if field:
                assert response.json()["extra"]["field"] == field, response.text
        missing = client.post("/api/v1/content/articles", json={"title": "x", "channel": "nope"}, headers=desk.editor)
        assert missing.status_code == 404
        assert client.post("/api/v1/content/articles", json={"title": "x"}, headers=desk.editor).status_code == 400


def test_residents_and_anonymous_callers_cannot_reach_the_desk_api(newsplus_app) -> None:
    from newsplus.testing import login_resident

    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        article = desk.draft()
        resident = bearer(login_resident(client))
        assert client.get(f"/api/v1/content/articles/{article}").status_code == 401
        assert client.get(f"/api/v1/content/articles/{article}", headers=resident).status_code == 403
        assert (
            client.post(
                "/api/v1/content/articles", json={"title": "x", "channel": "news"}, headers=resident
            ).status_code
            == 403
        )


async def _user_id(username: str) -> int:
    return (await User.select(User.id).where(User.username == username).first())["id"]


async def _titles(user_id: int) -> list[str]:
    return [r["title"] for r in await Notification.select(Notification.title).where(Notification.user == user_id)]


async def _count_distributions() -> int:
    return await Distribution.count()


def test_a_reviewer_acting_on_a_step_that_already_passed_is_refused(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        article = desk.draft()
        desk.act(desk.editor, article, "submit")
        # Both reviewers opened the article at 初审 (step 0); the first one's approval moves it on.
        looked = {"comment": "", "step": 0}
        first = client.post(f"/api/v1/content/articles/{article}/approve", json=looked, headers=desk.first)
        assert first.json() == {"status": "submitted"}
        late = client.post(f"/api/v1/content/articles/{article}/approve", json=looked, headers={**desk.second, **EN})
        assert (
            late.status_code == 409
            and late.json()["detail"] == "This article has moved on to 复审; reload and look again"
        )
        assert desk.state(article)["review_step"] == 1


async def test_two_reviewers_approving_the_same_step_at_once_pass_it_once(newsplus_app) -> None:
    import asyncio

    from newsplus.content import workflow
    from newsplus.content.articles import create_article
    from newsplus.content.channels import save_channel
    from newsplus.content.schemas import ArticleIn, ChannelIn
    from newsplus.districts.scope import district_scope
    from newsplus.errors import DomainError
    from newsplus.testing import running
    from newsplus.users.access import CurrentUser
    from newsplus.users.accounts import create_staff

    def person(user_id: int, role: str) -> CurrentUser:
        return CurrentUser(
            id=user_id,
            kind="staff",
            display_name=str(user_id),
            roles=frozenset({role}),
            district_roles=frozenset({role}),
        )

    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            ids = [
                await create_staff(newsplus, name, "correct-horse-battery", roles=(role,))
                for name, role in (("e", "editor"), ("r1", "reviewer"), ("r2", "reviewer"))
            ]
            await save_channel(newsplus, ChannelIn(slug="news", name="要闻"))
            editor = person(ids[0], "editor")
            article = await create_article(newsplus, editor, ArticleIn(title="同时审核", channel="news"))
            await workflow.submit(newsplus, editor, article)
            outcomes = await asyncio.gather(
                workflow.approve(newsplus, person(ids[1], "reviewer"), article, step=0),
                workflow.approve(newsplus, person(ids[2], "reviewer"), article, step=0),
                return_exceptions=True,
            )
            assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "str"]
            assert all(isinstance(o, (str, DomainError)) for o in outcomes)
            history = await workflow.Transition.select().where(workflow.Transition.article == article)
            assert [h["step"] for h in history if h["to_status"] == "submitted"] == [
                "初审",
                "初审",
            ]  # submit + one pass


def test_register_distribution_channels_adds_a_target_and_a_failing_one_does_not_stop_the_others(newsplus_app) -> None:
    from notes_plugin import plugin as notes

    notes.recorder.noticeboard.clear()
    with TestClient(newsplus_app([notes])) as client:
        desk = Desk(client)
        good, jammed = desk.draft(title="社区通知"), desk.draft(title="坏消息")
        desk.through_review(good)
        desk.through_review(jammed)
        while call(client, client.app.state.newsplus.dispatcher.deliver_pending):
            pass
        assert notes.recorder.noticeboard == ["社区通知"]
        board = {d["target"]: d for d in desk.state(good)["distributions"]}
        assert board["noticeboard"]["status"] == "done" and board["noticeboard"]["detail"] == f"board:{good}"
        failed = {d["target"]: d for d in desk.state(jammed)["distributions"]}
        assert failed["noticeboard"]["status"] == "failed"
        assert "the notice board is jammed" in failed["noticeboard"]["detail"]
        assert failed["web"]["status"] == "done"  # the other targets still went out


def test_render_feed_item_lets_a_plugin_draw_its_own_cards_and_leaves_the_rest_to_the_core(newsplus_app) -> None:
    from newsplus.content.articles import create_article
    from newsplus.content.schemas import ArticleIn
    from newsplus.users.access import CurrentUser
    from notes_plugin import plugin as notes

    with TestClient(newsplus_app([notes])) as client:
        desk = Desk(client)
        author = CurrentUser(id=call(client, _user_id, "editor"), kind="staff", display_name="editor")
        own = call(
            client,
            create_article,
            client.app.state.newsplus,
            author,
            ArticleIn(title="便签稿件", channel="news"),
            source="notes",
        )
        plain = desk.draft(title="普通稿件")
        desk.through_review(own)
        desk.through_review(plain)
        home = client.get("/", headers={"Accept": "text/html"}).text
        assert '<div class="note-card">📌 便签稿件</div>' in home
        assert "普通稿件</strong>" in home and '<div class="note-card">📌 普通稿件' not in home
        assert client.get("/api/v1/feed").json()["items"][1]["source"] == "notes"


def test_a_role_held_only_within_a_department_does_not_pass_a_district_step(newsplus_app) -> None:
    from newsplus.users.accounts import create_department
    from newsplus.users.tables import Grant

    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        article = desk.draft()
        desk.act(desk.editor, article, "submit")
        desk.act(desk.first, article, "approve")
        desk.act(desk.second, article, "approve")
        # A reviewer who is chief editor of one street's own page only.
        street = call(client, create_department, "回龙观街道", "street")
        local = bearer(login_staff(client, "local", roles=("reviewer",)))
        local_id = call(client, _user_id, "local")

        async def grant_locally() -> None:
            await Grant(user=local_id, role="chief_editor", department=street).save()

        call(client, grant_locally)
        refused = desk.act(local, article, "approve")
        assert refused["status_code"] == 403 and "终审" in refused["detail"]
        assert desk.act(desk.chief, article, "approve")["status"] == "published"


def test_whoever_rewrote_an_article_does_not_review_it(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        desk = Desk(client)
        article = desk.draft()
        # The first reviewer (who may also edit) rewrites the editor's draft before it is submitted.
        fixed = {"title": "天通苑垃圾清运完成", "channel": "news", "body": "<p>改写</p>", "revision": 1}
        assert client.put(f"/api/v1/content/articles/{article}", json=fixed, headers=desk.first).status_code == 200
        desk.act(desk.editor, article, "submit")
        refused = desk.act(desk.first, article, "approve")
        assert refused["status_code"] == 403 and refused["detail"] == "Authors do not review their own articles"
        assert desk.act(desk.second, article, "approve")["status"] == "submitted"


async def test_two_saves_of_one_revision_at_once_keep_one_and_refuse_the_other(newsplus_app) -> None:
    import asyncio

    from newsplus.content.articles import create_article, update_article
    from newsplus.content.channels import save_channel
    from newsplus.content.schemas import ArticleIn, ChannelIn
    from newsplus.districts.scope import district_scope
    from newsplus.errors import Conflict
    from newsplus.testing import running
    from newsplus.users.access import CurrentUser
    from newsplus.users.accounts import create_staff

    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            writer = CurrentUser(
                id=await create_staff(newsplus, "w", "correct-horse-battery", roles=("editor",)),
                kind="staff",
                display_name="w",
            )
            await save_channel(newsplus, ChannelIn(slug="news", name="要闻"))
            article = await create_article(newsplus, writer, ArticleIn(title="初稿", channel="news"))
            outcomes = await asyncio.gather(
                update_article(newsplus, writer, article, ArticleIn(title="甲改", channel="news", revision=1)),
                update_article(newsplus, writer, article, ArticleIn(title="乙改", channel="news", revision=1)),
                return_exceptions=True,
            )
            assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "int"]
            assert any(isinstance(o, Conflict) for o in outcomes)
            from newsplus.content.tables import Revision

            assert await Revision.count().where(Revision.article == article) == 2


async def test_the_scheduler_finds_articles_due_without_reading_the_archive(tmp_path) -> None:
    """Every 30 s the scheduler asks which scheduled articles are due: on SQLite that query reads the small
    index of scheduled articles, not the (district, published_at) index over every published one (with a
    million articles it took 4 s and stalled the worker's readers)."""
    from newsplus.content.workflow import due_to_go_live
    from newsplus.testing import query_plans

    (plan,) = await query_plans(tmp_path, lambda: due_to_go_live(datetime.now(UTC)))
    assert "content_article_due_idx" in plan, plan


async def test_the_desk_lists_unpublished_and_own_articles_without_reading_every_article(tmp_path) -> None:
    """The desk's list of drafts (or any status but published) and of one's own articles reads an index of
    just those, newest first; with a million published articles, walking them all by id took 0.5–17 s."""
    from newsplus.content.desk_articles import article_rows
    from newsplus.testing import query_plans

    drafts, own = await query_plans(tmp_path, lambda: article_rows("draft"), lambda: article_rows(author=7))
    assert "content_article_unpublished_idx" in drafts and "TEMP B-TREE" not in drafts, drafts
    assert "content_article_district_author_id_idx" in own and "TEMP B-TREE" not in own, own
