"""Applications (办件): checked answers with per-field errors, a tracking number, the department's steps with
the resident told at each, supplements, withdrawal, and who may see what."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

from litestar.testing import TestClient
from PIL import Image

from newsplus import Conflict, district_scope, frozen_clock
from newsplus.notifications.tables import Notification
from newsplus.testing import bearer, call, login_resident, login_staff, running
from newsplus.users.access import CurrentUser
from newsplus.users.accounts import create_department, create_staff
from newsplus_services import applications
from newsplus_services.tables import Application, ApplicationStep

EN = {"Accept-Language": "en"}
MORNING = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
VALID_ID = "11010519491231002X"
BIRTH = "/api/v1/services/modules/birth/applications"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "red").save(out, format="PNG")
    return out.getvalue()


def upload(client: TestClient, who: dict, data: bytes, name: str = "cert.png"):
    return client.post("/api/v1/services/uploads", files={"file": (name, data, "image/png")}, headers={**who, **EN})


def birth_answers(client: TestClient, who: dict, **changes) -> dict:
    photo = upload(client, who, png())
    assert photo.status_code == 201, photo.text
    return {
        "mother_name": "李娜",
        "mother_id_number": VALID_ID,
        "expected_date": "2027-03-01",
        "phone": "138 0013 8000",
        "marriage_certificate": photo.json()["token"],
        **changes,
    }


async def notifications() -> list[dict]:
    return await Notification.select(Notification.user, Notification.title, Notification.body, Notification.link)


class People:
    """The 区卫健委's handler, another bureau's handler, a manager, a resident and their neighbour."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        health = call(client, create_department, "区卫健委", "bureau")
        other = call(client, create_department, "区民政局", "bureau")
        self.handler = bearer(login_staff(client, "health", roles=("service_handler",), department=health))
        self.outsider = bearer(login_staff(client, "civil", roles=("service_handler",), department=other))
        self.manager = bearer(login_staff(client, "manager", roles=("service_manager",)))
        self.editor = bearer(login_staff(client, "editor", roles=("editor",)))
        self.resident = bearer(login_resident(client, "13800138000"))
        self.neighbour = bearer(login_resident(client, "13900139000"))

    def act(self, who: dict, token: str, action: str, note: str = "") -> tuple[int, dict]:
        answer = self.client.post(
            f"/api/v1/services/applications/{token}/{action}", json={"note": note}, headers={**who, **EN}
        )
        return answer.status_code, answer.json()


def test_each_refused_answer_is_named_with_its_reason_and_nothing_is_kept(newsplus_app) -> None:
    with frozen_clock(MORNING), TestClient(newsplus_app(["services"])) as client:
        people = People(client)
        wrong = birth_answers(
            client,
            people.resident,
            mother_name="",
            mother_id_number="110105194912310021",  # the checksum says X
            expected_date="2026-11-01",
            phone="12345",
        )
        refused = client.post(BIRTH, json={"answers": wrong}, headers={**people.resident, **EN})
        assert refused.status_code == 400
        assert refused.json()["detail"] == "Please correct the marked fields"
        assert refused.json()["extra"]["errors"] == {
            "mother_name": "母亲姓名 is required",  # the label is the module's own words
            "mother_id_number": "This is not a valid resident ID number",
            "expected_date": "The date cannot be in the past",
            "phone": "Give an 11-digit mobile number",
        }
        chinese = client.post(BIRTH, json={"answers": wrong}, headers=people.resident).json()["extra"]["errors"]
        assert (
            chinese["mother_id_number"] == "身份证号码有误，请核对" and chinese["expected_date"] == "日期不能早于今天"
        )
        stranger = client.post(BIRTH, json={"answers": {"pet": "cat"}}, headers={**people.resident, **EN})
        assert stranger.status_code == 400 and stranger.json()["detail"] == "This form has no field pet"
        someone_elses = birth_answers(client, people.neighbour)["marriage_certificate"]
        taken = client.post(
            BIRTH,
            json={"answers": birth_answers(client, people.resident, marriage_certificate=someone_elses)},
            headers={**people.resident, **EN},
        )
        assert taken.status_code == 400 and taken.json()["extra"]["field"] == "marriage_certificate"
        no_form = client.post(
            "/api/v1/services/modules/marriage/applications", json={"answers": {}}, headers={**people.resident, **EN}
        )
        assert no_form.status_code == 400
        assert call(client, Application.count) == 0


def test_uploads_are_checked_by_content_and_size(newsplus_app) -> None:
    settings = {"plugins": {"content": {"max_upload_mb": 1}}}
    with TestClient(newsplus_app(["services"], settings=settings)) as client:
        resident = bearer(login_resident(client))
        assert upload(client, resident, b"%PDF-1.4 not an image", "scan.png").status_code == 415
        assert upload(client, resident, png() + b"\0" * (2 * 1024 * 1024)).status_code == 413
        assert upload(client, {}, png()).status_code == 401
        assert upload(client, resident, png()).status_code == 201


def test_an_application_runs_its_course_and_the_resident_hears_of_every_step(newsplus_app) -> None:
    with frozen_clock(MORNING), TestClient(newsplus_app(["services"])) as client:
        newsplus = client.app.state.newsplus
        people = People(client)
        made = client.post(BIRTH, json={"answers": birth_answers(client, people.resident)}, headers=people.resident)
        assert made.status_code == 201, made.text
        token, number = made.json()["token"], made.json()["number"]
        assert number.startswith("20261125") and len(number) == 14 and made.json()["status"] == "submitted"

        mine = client.get(f"/api/v1/services/applications/{token}", headers=people.resident).json()
        assert mine["answers"]["phone"] == "13800138000" and mine["files"]["marriage_certificate"]["url"]
        assert client.get(f"/api/v1/services/applications/{token}", headers=people.neighbour).status_code == 404
        assert client.get(f"/api/v1/services/applications/{token}", headers=people.outsider).status_code == 404
        assert client.get(f"/api/v1/services/applications/{token}", headers=people.editor).status_code == 404
        assert client.get("/api/v1/services/queue", headers=people.outsider).json()["items"] == []
        assert client.get("/api/v1/services/queue", headers=people.editor).status_code == 403
        assert [a["token"] for a in client.get("/api/v1/services/queue", headers=people.manager).json()["items"]] == [
            token
        ]

        assert people.act(people.outsider, token, "accept")[0] == 403
        assert people.act(people.resident, token, "accept")[0] == 403
        assert people.act(people.handler, token, "approve")[0] == 409  # accept it first
        assert people.act(people.handler, token, "accept")[1]["status"] == "accepted"
        asked = people.act(people.handler, token, "request_info")
        assert asked[0] == 400 and asked[1]["detail"] == "Say what is missing or why, for the resident"
        assert (
            people.act(people.handler, token, "request_info", "结婚证照片不清晰，请重新拍摄")[1]["status"]
            == "need_info"
        )
        assert people.act(people.handler, token, "launch")[0] == 404

        again = {"marriage_certificate": upload(client, people.resident, png()).json()["token"]}
        sent = client.post(
            f"/api/v1/services/applications/{token}/supplement",
            json={"answers": again, "note": "已重新拍摄"},
            headers=people.resident,
        )
        assert sent.status_code == 200 and sent.json()["status"] == "accepted"
        replaced = client.get(f"/api/v1/services/applications/{token}", headers=people.handler).json()
        assert replaced["answers"]["marriage_certificate"] == again["marriage_certificate"]
        assert people.act(people.handler, token, "approve")[1]["status"] == "approved"
        assert people.act(people.handler, token, "complete")[1]["status"] == "completed"
        assert people.act(people.handler, token, "reject", "晚了")[0] == 409
        withdrawn = client.post(f"/api/v1/services/applications/{token}/withdraw", headers={**people.resident, **EN})
        assert withdrawn.status_code == 409

        steps = client.get(f"/api/v1/services/applications/{token}", headers=people.resident).json()["steps"]
        assert [s["to_status"] for s in steps] == [
            "submitted",
            "accepted",
            "need_info",
            "accepted",
            "approved",
            "completed",
        ]
        call(client, newsplus.dispatcher.deliver_pending)
        sent_to = call(client, notifications)
        resident_id = client.get("/api/v1/me", headers=people.resident).json()["id"]
        told = [n["title"] for n in sent_to if n["user"] == resident_id]
        assert told == [
            f"您的「生小孩」申请（{number}）{step}"
            for step in ("已提交，等待受理", "已受理", "需要补充材料", "补充材料已提交", "已审核通过", "已办结")
        ]
        asked_more = next(n for n in sent_to if "需要补充材料" in n["title"])
        assert asked_more["body"] == "结婚证照片不清晰，请重新拍摄"
        assert asked_more["link"] == f"/services/applications/{token}"
        handler_id = client.get("/api/v1/me", headers=people.handler).json()["id"]
        work = [n["title"] for n in sent_to if n["user"] == handler_id]
        assert work == [f"新申请：生小孩（{number}）", f"补充材料：生小孩（{number}）"]
        outsider_id = client.get("/api/v1/me", headers=people.outsider).json()["id"]
        assert not [n for n in sent_to if n["user"] == outsider_id]


def test_a_resident_withdraws_an_open_application_and_sees_only_their_own(newsplus_app) -> None:
    with TestClient(newsplus_app(["services"])) as client:
        people = People(client)
        first = client.post(BIRTH, json={"answers": birth_answers(client, people.resident)}, headers=people.resident)
        second = client.post(BIRTH, json={"answers": birth_answers(client, people.neighbour)}, headers=people.neighbour)
        token = first.json()["token"]
        mine = client.get("/api/v1/services/applications/mine", headers=people.resident).json()["items"]
        assert [a["token"] for a in mine] == [token] and mine[0]["module_name"] == "生小孩"
        assert (
            client.post(f"/api/v1/services/applications/{token}/withdraw", headers=people.neighbour).status_code == 404
        )
        done = client.post(f"/api/v1/services/applications/{token}/withdraw", headers=people.resident)
        assert done.json()["status"] == "withdrawn"
        assert people.act(people.handler, token, "accept")[0] == 409
        assert (
            client.get(f"/api/v1/services/applications/{second.json()['token']}", headers=people.resident).status_code
            == 404
        )


async def test_two_handlers_acting_at_once_move_an_application_once(newsplus_app) -> None:
    async with running(newsplus_app(["services"])) as newsplus:
        with district_scope(newsplus.districts.primary):
            health = await create_department("区人力社保局", "bureau")
            ids = [await create_staff(newsplus, f"h{i}", "correct-horse-battery", roles=()) for i in range(2)]
            handlers = [
                CurrentUser(
                    id=i,
                    kind="staff",
                    display_name="h",
                    department_permissions={health: frozenset({"services.handle"})},
                )
                for i in ids
            ]
            resident = CurrentUser(id=ids[0], kind="resident", display_name="r")
            made = await applications.submit(
                newsplus,
                resident,
                "jobs",
                {"name": "张三", "id_number": VALID_ID, "phone": "13800138000", "wants_training": "是"},
            )
            outcomes = await asyncio.gather(
                *(applications.act(newsplus, h, made["token"], "accept") for h in handlers), return_exceptions=True
            )
            assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "dict"]
            assert any(isinstance(o, Conflict) for o in outcomes)
            assert await ApplicationStep.count().where(ApplicationStep.action == "accept") == 1
