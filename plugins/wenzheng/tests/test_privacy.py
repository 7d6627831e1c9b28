"""What the public never sees, what the platform may not touch, and a resident's data export and erasure."""

from __future__ import annotations

import json

from litestar.testing import TestClient
from test_story import District

from newsplus import mask_address, mask_text
from newsplus.notifications.webhooks import sign
from newsplus.testing import bearer, login_resident

SECRET = "shared-with-the-platform"


def test_free_text_is_masked_for_the_public_wherever_it_shows() -> None:
    assert mask_text("我的电话13912345678，身份证110101199003078888") == "我的电话139****5678，身份证110************888"
    assert mask_text("座机010-62345678，或 +86 138 0013 8000") == "座机****，或 138****8000"
    assert mask_address("天通苑北一区3号楼2单元501") == "天通苑北一区*号楼*单元*"
    assert mask_address("回龙观3-2-501") == "回龙观*"
    assert mask_text("新规自2025年5月1日起施行，请拨打12345") == "新规自2025年5月1日起施行，请拨打12345"


def test_the_board_open311_and_replies_mask_numbers_written_in_the_text(newsplus_app) -> None:
    settings = {"plugins": {"wenzheng": {"open311_keys": ["k"]}}}
    with TestClient(newsplus_app(["wenzheng"], settings=settings)) as client:
        people = District(client)
        body = "我的电话13912345678，身份证110101199003078888，住5号楼2单元501，垃圾没人清运。"
        token = people.write(body=body)["token"]
        people.act(people.dispatcher, token, "accept")
        people.act(people.dispatcher, token, "dispatch", department=people.street)
        people.act(people.liaison, token, "sign")
        people.act(people.liaison, token, "reply", note="已联系张先生13800138000，已清运。")
        public = people.view(token)
        everything = json.dumps(public, ensure_ascii=False)
        # the room number, not "501" alone: a tracking number or a time may hold those digits by chance
        for secret in ("13912345678", "110101199003078888", "单元501", "13800138000"):
            assert secret not in everything
        assert "139****5678" in public["body"] and "138****8000" in public["reply"]
        board = json.dumps(client.get("/api/v1/wenzheng/board").json(), ensure_ascii=False)
        assert "13912345678" not in board and "13800138000" not in board
        number = client.get(f"/api/v1/wenzheng/inquiries/{token}", headers=people.resident).json()["number"]
        open311 = json.dumps(client.get(f"/open311/v2/requests/{number}.json").json(), ensure_ascii=False)
        assert "13912345678" not in open311 and "13800138000" not in open311
        # The resident and the staff still see what was written.
        assert people.view(token, people.resident)["body"] == body
        assert "flagged" not in people.view(token, people.resident)  # internal notes are for staff


def test_open311_hides_inquiries_merged_before_they_were_taken_in(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        first = people.write()["token"]
        duplicate = people.write(title="同一个问题")["token"]
        people.act(people.dispatcher, duplicate, "merge", into=first)
        number = client.get(f"/api/v1/wenzheng/inquiries/{duplicate}", headers=people.resident).json()["number"]
        assert client.get(f"/open311/v2/requests/{number}.json").status_code == 404


def test_the_platform_cannot_act_on_inquiries_of_departments_that_work_in_the_desk(newsplus_app) -> None:
    settings = {"plugins": {"wenzheng": {"platform_secret": SECRET}}}
    with TestClient(newsplus_app(["wenzheng"], settings=settings)) as client:
        people = District(client)
        token = people.write()["token"]
        people.act(people.dispatcher, token, "accept")
        people.act(people.dispatcher, token, "dispatch", department=people.street)
        number = client.get(f"/api/v1/wenzheng/inquiries/{token}", headers=people.resident).json()["number"]
        for fields in ({}, {"district": "elsewhere"}):
            body = json.dumps({"event_id": "x1", "number": number, "action": "return", "note": "不归我们", **fields})
            answer = client.post(
                "/api/v1/wenzheng/callback",
                content=body.encode(),
                headers={"Content-Type": "application/json", "X-Newsplus-Signature": sign(SECRET, body.encode())},
            )
            assert answer.status_code == 403
        assert people.view(token, people.resident)["status"] == "dispatched"


def test_a_residents_inquiries_are_exported_and_anonymised_with_the_account(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write(address="天通苑北一区3号楼")["token"]
        exported = client.get("/api/v1/me/export", headers=people.resident)
        assert exported.status_code == 200, exported.text
        [mine] = exported.json()["wenzheng"]
        assert mine["token"] == token and mine["contact_phone"] == "13800138000"
        deleted = client.delete("/api/v1/me", headers=people.resident)
        assert deleted.status_code in (200, 204), deleted.text
        staff_view = people.view(token, people.dispatcher)
        assert staff_view["contact_phone"] == "" and staff_view["address"] == "" and staff_view["title"]
        assert client.get("/api/v1/wenzheng/inquiries/mine", headers=people.resident).status_code == 401


def test_rejections_count_as_responses_and_accept_checks_its_days(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write()["token"]
        for days in (-3, 0, 2000000):
            assert people.act(people.dispatcher, token, "accept", days=days)["status_code"] == 400
        rejected = people.write(title="不属于受理范围")["token"]
        people.act(people.dispatcher, rejected, "reject", note="属于司法程序")
        resident = bearer(login_resident(client, "13700137000"))  # residents have no access to rates
        month = people.view(rejected, people.dispatcher)["created_at"][:7]
        assert client.get(f"/api/v1/wenzheng/rates?month={month}", headers=resident).status_code == 403
        table = client.get(f"/api/v1/wenzheng/rates?month={month}&by=month", headers=people.dispatcher).json()
        assert table[0]["received"] == 2 and table[0]["response_rate"] == 0.5  # the rejection answered in time
        assert client.get("/api/v1/wenzheng/rates?month=9999-12", headers=people.dispatcher).status_code == 400
