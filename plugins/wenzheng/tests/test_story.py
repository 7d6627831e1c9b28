"""The reference story end to end: rubbish piled up in a 天通苑 compound, cleared in six hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from litestar.testing import TestClient

from newsplus import frozen_clock
from newsplus.notifications.tables import Notification
from newsplus.testing import bearer, call, login_resident, login_staff
from newsplus.users.accounts import create_department
from newsplus.users.tables import User

EN = {"Accept-Language": "en"}
# Wednesday 2026-11-25, 09:30 in Beijing.
MORNING = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)


class District:
    """Changping's people for one test: a dispatcher, the street's liaison, another department, a resident."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.street = call(client, create_department, "天通苑北街道", "street")
        self.other = call(client, create_department, "区城市管理委", "bureau")
        self.dispatcher = bearer(login_staff(client, "dispatcher", roles=("dispatcher",)))
        self.liaison = bearer(login_staff(client, "liaison", roles=("department_handler",), department=self.street))
        self.outsider = bearer(login_staff(client, "outsider", roles=("department_handler",), department=self.other))
        self.resident = bearer(login_resident(client, "13800138000"))

    def write(self, **fields) -> dict:
        body = {
            "kind": "complaint",
            "category": "sanitation",
            "title": "小区垃圾堆积什么时候清运？",
            "body": "天通苑北一区3号楼旁边的垃圾已经堆了一周，气味很大。",
            "street": self.street,
            "address": "天通苑北一区3号楼",
            "public": True,
            "contact_phone": "13800138000",
            **fields,
        }
        made = self.client.post("/api/v1/wenzheng/inquiries", json=body, headers=self.resident)
        assert made.status_code == 201, made.text
        return made.json()

    def act(self, who: dict, token: str, action: str, **body) -> dict:
        answer = self.client.post(f"/api/v1/wenzheng/inquiries/{token}/{action}", json=body, headers={**who, **EN})
        return {"status_code": answer.status_code, **answer.json()}

    def view(self, token: str, who: dict | None = None) -> dict:
        return self.client.get(f"/api/v1/wenzheng/inquiries/{token}", headers=who or {}).json()


def test_the_rubbish_story_runs_from_submission_to_a_satisfied_close(newsplus_app) -> None:
    with frozen_clock(MORNING) as clock, TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        made = people.write()
        token = made["token"]
        assert made["status"] == "submitted" and made["number"].startswith("20261125")
        # Answered within one working day: by Thursday 18:00 Beijing time.
        assert made["response_due_at"] == "2026-11-26T10:00:00Z"

        assert people.act(people.dispatcher, token, "accept")["status"] == "accepted"
        dispatched = people.act(people.dispatcher, token, "dispatch", department=people.street)
        assert dispatched == {"status_code": 200, "status": "dispatched", "department": people.street}
        assert people.act(people.outsider, token, "sign")["status_code"] == 403  # not their department
        assert people.act(people.liaison, token, "reply", note="已清运")["status_code"] == 409  # sign first
        assert people.act(people.liaison, token, "sign")["status"] == "signed"
        clock.advance(hours=2)
        people.act(people.liaison, token, "progress", note="垃圾处理厂改造，协调外运车辆")
        clock.advance(hours=4)
        reply = "经协调，六小时内清运垃圾六十车，已恢复正常收运。"
        assert people.act(people.liaison, token, "reply", note=reply)["status"] == "replied"

        rated = client.post(
            f"/api/v1/wenzheng/inquiries/{token}/rate", json={"rating": "satisfied"}, headers=people.resident
        )
        assert rated.json() == {"status": "closed", "rating": "satisfied"}

        seen = people.view(token, people.resident)
        assert seen["status"] == "closed" and seen["reply"] == reply and seen["department"] == "天通苑北街道"
        assert [s["action"] for s in seen["timeline"]] == [
            "submit",
            "accept",
            "dispatch",
            "sign",
            "progress",
            "reply",
            "rate",
        ]
        assert seen["contact_phone"] == "13800138000"

        # The public board shows it with the phone and house number masked.
        public = people.view(token)
        assert public["contact_phone"] == "138****8000" and "3号楼" not in public["address"]
        assert "contact_phone" not in str(public["timeline"])
        assert [i["token"] for i in client.get("/api/v1/wenzheng/board").json()["items"]] == [token]

        # The resident was told at every step that concerns them.
        call(client, _deliver_all, client)
        told = call(client, _titles, "13800138000")
        for words in ("已受理", "已转办", "已由承办单位签收", "有新的办理进展", "已答复，请评价", "已评价"):
            assert f"您的问政「小区垃圾堆积什么时候清运？」{words}" in told
        liaison_told = call(client, _titles_of_staff, "liaison")
        assert "新交办：小区垃圾堆积什么时候清运？" in liaison_told


def test_a_private_inquiry_is_seen_only_by_its_resident_and_the_staff_on_it(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write(public=False)["token"]
        other = bearer(login_resident(client, "13900139000"))
        assert client.get(f"/api/v1/wenzheng/inquiries/{token}").status_code == 404
        assert client.get(f"/api/v1/wenzheng/inquiries/{token}", headers=other).status_code == 404
        assert people.view(token, people.resident)["title"] == "小区垃圾堆积什么时候清运？"
        assert people.view(token, people.dispatcher)["contact_phone"] == "13800138000"
        assert client.get("/api/v1/wenzheng/board").json()["items"] == []
        # A department sees only what was dispatched to it.
        assert client.get(f"/api/v1/wenzheng/inquiries/{token}", headers=people.outsider).status_code == 404
        queue = client.get("/api/v1/wenzheng/queue", headers=people.outsider).json()
        assert queue["items"] == []


def test_a_wrongly_dispatched_inquiry_is_returned_and_dispatched_again(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write()["token"]
        people.act(people.dispatcher, token, "accept")
        people.act(people.dispatcher, token, "dispatch", department=people.other)
        assert people.act(people.outsider, token, "return")["status_code"] == 400  # a reason is required
        back = people.act(people.outsider, token, "return", note="属地问题，应由街道办理")
        assert back["status"] == "accepted" and back["department"] is None
        # A routing rule sends sanitation in this street to the street office.
        rule = client.post(
            "/api/v1/wenzheng/rules",
            json={"category": "sanitation", "street": people.street, "department": people.street},
            headers=people.dispatcher,
        )
        assert rule.status_code == 201
        assert people.act(people.dispatcher, token, "dispatch")["department"] == people.street
        steps = [(s["action"], s["department"]) for s in people.view(token, people.dispatcher)["timeline"]]
        assert ("return", "区城市管理委") in steps and steps[-1] == ("dispatch", "天通苑北街道")


def test_dissatisfied_sends_it_back_to_the_department_and_is_counted(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write()["token"]
        people.act(people.dispatcher, token, "accept")
        people.act(people.dispatcher, token, "dispatch", department=people.street)
        people.act(people.liaison, token, "sign")
        people.act(people.liaison, token, "reply", note="已安排清运")
        again = client.post(
            f"/api/v1/wenzheng/inquiries/{token}/rate",
            json={"rating": "dissatisfied", "comment": "还没清完"},
            headers=people.resident,
        )
        assert again.json()["status"] == "dispatched"
        seen = people.view(token, people.resident)
        assert seen["reopened"] == 1 and seen["timeline"][-1]["action"] == "reopen"
        other = bearer(login_resident(client, "13900139000"))
        assert (
            client.post(
                f"/api/v1/wenzheng/inquiries/{token}/rate", json={"rating": "satisfied"}, headers=other
            ).status_code
            == 403
        )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "nope"}, "category"),
        ({"title": "x"}, "title"),
        ({"body": "短"}, "body"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"street": 99999}, "street"),
        ({"lat": 40.1}, "lat"),
    ],
)
def test_bad_inquiries_are_refused_with_the_field_named(newsplus_app, fields, field) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        body = {
            "kind": "complaint",
            "category": "sanitation",
            "title": "垃圾堆积",
            "body": "垃圾堆了一周没人管。",
            **fields,
        }
        answer = client.post("/api/v1/wenzheng/inquiries", json=body, headers={**people.resident, **EN})
        assert answer.status_code == 400, answer.text
        assert answer.json()["extra"]["field"] == field


async def _deliver_all(client: TestClient) -> None:
    while await client.app.state.newsplus.dispatcher.deliver_pending():
        pass


async def _titles(phone: str) -> list[str]:
    user = await User.select(User.id).where(User.phone == phone).first()
    return [r["title"] for r in await Notification.select(Notification.title).where(Notification.user == user["id"])]


async def _titles_of_staff(username: str) -> list[str]:
    user = await User.select(User.id).where(User.username == username).first()
    return [r["title"] for r in await Notification.select(Notification.title).where(Notification.user == user["id"])]


def test_photos_are_checked_sized_and_kept_private(newsplus_app) -> None:
    import io

    from PIL import Image

    settings = {"plugins": {"content": {"max_upload_mb": 1}}}
    with TestClient(newsplus_app(["wenzheng"], settings=settings)) as client:
        people = District(client)
        token = people.write(public=True)["token"]
        picture = io.BytesIO()
        Image.new("RGB", (40, 30), "orange").save(picture, "PNG")
        url = f"/api/v1/wenzheng/inquiries/{token}/photos"
        added = client.post(
            url, files={"file": ("rubbish.png", picture.getvalue(), "image/png")}, headers=people.resident
        )
        assert added.status_code == 201 and added.json()["thumb"].startswith("/files/")
        photo = added.json()["thumb"]
        assert client.get(photo, headers=people.resident).headers["cache-control"] == "private, no-store"
        text = client.post(url, files={"file": ("x.png", b"not an image at all", "image/png")}, headers=people.resident)
        assert text.status_code == 415
        huge = client.post(
            url,
            files={"file": ("big.jpg", b"\xff\xd8\xff" + b"0" * (1024 * 1024 + 10), "image/jpeg")},
            headers=people.resident,
        )
        assert huge.status_code == 413
        other = bearer(login_resident(client, "13900139000"))
        again = client.post(url, files={"file": ("rubbish.png", picture.getvalue(), "image/png")}, headers=other)
        assert again.status_code == 404
        assert client.get(photo, headers=other).status_code == 404  # nor may another resident see the photo
        assert client.get(photo).status_code == 404
        people.act(people.dispatcher, token, "accept")
        assert people.view(token)["photos"] == []  # the public view has no photos
        assert len(people.view(token, people.resident)["photos"]) == 1


def test_a_comment_with_a_watch_word_alerts_the_dispatchers(newsplus_app) -> None:
    settings = {"plugins": {"wenzheng": {"watch_words": ["集体上访"]}}}
    with TestClient(newsplus_app(["wenzheng"], settings=settings)) as client:
        people = District(client)
        chief = bearer(login_staff(client, "chief", roles=("chief_editor",)))
        editor = bearer(login_staff(client, "editor", roles=("editor",)))
        chain = [{"name": "值班审核", "role": "chief_editor"}]
        client.post(
            "/api/v1/content/channels", json={"slug": "news", "name": "要闻", "review_chain": chain}, headers=chief
        )
        article = client.post(
            "/api/v1/content/articles", json={"title": "供暖通知", "channel": "news"}, headers=editor
        ).json()["id"]
        client.post(f"/api/v1/content/articles/{article}/submit", json={}, headers=editor)
        client.post(f"/api/v1/content/articles/{article}/approve", json={}, headers=chief)
        quiet = client.post(f"/api/v1/articles/{article}/comments", json={"body": "谢谢通知"}, headers=people.resident)
        loud = client.post(
            f"/api/v1/articles/{article}/comments", json={"body": "再不供暖就集体上访"}, headers=people.resident
        )
        assert quiet.status_code == loud.status_code == 201
        call(client, _deliver_all, client)
        alerts = [t for t in call(client, _titles_of_staff, "dispatcher") if t.startswith("舆情预警")]
        assert alerts == ["舆情预警（集体上访）：评论「再不供暖就集体上访」"]
