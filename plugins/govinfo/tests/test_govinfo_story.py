"""The issue's story end to end: a notice from the 区人社局 publisher goes through review, appears in the 政务
tab and the feed, joins the 社保 topic pinned on the home page, and pops up only for the targeted street."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from litestar.testing import TestClient

from newsplus import frozen_clock
from newsplus.notifications.tables import Notification
from newsplus.testing import HTML, bearer, call, login_resident, login_staff, page_text
from newsplus.users.accounts import create_department

EN = {"Accept-Language": "en"}
MORNING = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
NOTICE = {
    "title": "关于2027年度社会保险缴费基数调整的通知",
    "level": "district",
    "category": "社保",
    "doc_number": "昌人社发〔2026〕12号",
    "summary": "2027年度社保缴费基数上下限调整。",
    "body": "<p>各参保单位：根据市有关规定，现将缴费基数调整如下。</p>",
    "effective_on": "2027-01-01",
    "original_url": "https://www.example.gov.cn/zwgk/12.html",
    "attachments": [{"name": "缴费基数表.xlsx", "url": "https://www.example.gov.cn/files/12.xlsx"}],
}


class District:
    """Changping's people: the 区人社局 publisher, a 区教委 publisher, a govinfo editor, residents of two streets."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.bureau = call(client, create_department, "区人力社保局", "bureau")
        self.schools = call(client, create_department, "区教委", "bureau")
        self.north = call(client, create_department, "天通苑北街道", "street")
        self.south = call(client, create_department, "天通苑南街道", "street")
        self.publisher = bearer(login_staff(client, "renshe", roles=("govinfo_publisher",), department=self.bureau))
        self.teacher = bearer(login_staff(client, "jiaowei", roles=("govinfo_publisher",), department=self.schools))
        self.editor = bearer(login_staff(client, "zhengwu", roles=("govinfo_editor",)))
        self.resident = bearer(login_resident(client, "13800138000"))
        self.neighbour = bearer(login_resident(client, "13900139000"))
        client.patch("/api/v1/me", json={"street": self.north}, headers=self.resident)
        client.patch("/api/v1/me", json={"street": self.south}, headers=self.neighbour)

    def post(self, who: dict, path: str, body: dict | None = None) -> tuple[int, dict]:
        answer = self.client.post(f"/api/v1/govinfo{path}", json=body or {}, headers={**who, **EN})
        return answer.status_code, answer.json() if answer.content else {}

    def deliver(self) -> None:
        call(self.client, self.client.app.state.newsplus.dispatcher.deliver_pending)


def test_a_notice_goes_through_review_into_the_tab_the_topic_pinned_home_and_a_targeted_pop_up(newsplus_app) -> None:
    with frozen_clock(MORNING) as clock, TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        status, made = people.post(people.publisher, "/notices", NOTICE)
        assert status == 201, made
        notice = made["id"]
        # Another department's publisher cannot publish as the 区人社局, nor touch its notice.
        assert people.post(people.teacher, "/notices", {**NOTICE, "department": people.bureau})[0] == 403
        assert people.post(people.teacher, f"/notices/{notice}/submit")[0] == 403
        assert client.get(f"/api/v1/govinfo/notices/{notice}").status_code == 404  # a draft is not public

        assert people.post(people.publisher, f"/notices/{notice}/submit") == (200, {"step": "政务审核"})
        assert people.post(people.publisher, f"/notices/{notice}/approve")[0] == 403  # reviewers only
        sent_back = people.post(people.editor, f"/notices/{notice}/reject", {"comment": "请补充执行时间"})
        assert sent_back == (200, {"status": "rejected"})
        fixed = {**NOTICE, "summary": "2027年1月1日起执行。", "revision": 1}
        assert client.put(f"/api/v1/govinfo/notices/{notice}", json=fixed, headers=people.publisher).json() == {
            "revision": 2
        }
        people.post(people.publisher, f"/notices/{notice}/submit")
        assert people.post(people.editor, f"/notices/{notice}/approve") == (200, {"status": "published"})
        people.deliver()

        tab = client.get("/api/v1/govinfo/notices", params={"category": "社保", "level": "district"}).json()
        assert [i["title"] for i in tab["items"]] == [NOTICE["title"]]
        assert client.get("/api/v1/govinfo/notices", params={"level": "city"}).json()["items"] == []
        assert client.get("/api/v1/govinfo/notices", params={"q": "缴费基数"}).json()["items"][0]["id"] == notice
        assert client.get("/api/v1/govinfo/notices", params={"department": people.schools}).json()["items"] == []
        detail = client.get(f"/api/v1/govinfo/notices/{notice}").json()
        assert detail["doc_number"] == NOTICE["doc_number"] and detail["department_name"] == "区人力社保局"
        assert detail["attachments"] == NOTICE["attachments"] and detail["effective_on"] == "2027-01-01"
        page = page_text(client.get("/govinfo", headers=HTML).text)
        assert NOTICE["title"] in page and "区人力社保局" in page and NOTICE["doc_number"] in page
        home_feed = client.get("/api/v1/feed").json()["items"]
        assert [i["id"] for i in home_feed] == [notice]  # the notice is in the main feed too

        topic = client.get("/api/v1/topics/shebao").json()
        assert topic["title"] == "民生·社保" and [s["name"] for s in topic["sections"]] == ["区"]
        assert [i["id"] for i in topic["sections"][0]["items"]] == [notice]
        starts, ends = MORNING + timedelta(hours=1), MORNING + timedelta(days=7)
        pin = {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}
        assert people.post(people.publisher, "/topics/社保/pin", pin)[0] == 403
        assert people.post(people.editor, "/topics/社保/pin", pin)[0] == 201
        assert not [p for p in client.get("/api/v1/feed").json().get("pinned", []) if p["kind"] == "topic"]
        clock.advance(hours=2)
        pinned = client.get("/api/v1/feed").json()["pinned"]
        assert [(p["kind"], p["title"]) for p in pinned] == [("topic", "民生·社保")]
        assert "民生·社保" in page_text(client.get("/", headers=HTML).text)

        popup = {
            "starts_at": (MORNING + timedelta(hours=2)).isoformat(),
            "ends_at": (MORNING + timedelta(days=1)).isoformat(),
            "streets": [people.north],
        }
        assert people.post(people.publisher, f"/notices/{notice}/popup", popup)[0] == 403
        status, made_popup = people.post(people.editor, f"/notices/{notice}/popup", popup)
        assert status == 201 and made_popup["id"] > 0
        shown = client.get("/api/v1/me/popups", headers=people.resident).json()
        assert [(p["title"], p["link"]) for p in shown] == [(NOTICE["title"], f"/govinfo/notices/{notice}")]
        assert client.get("/api/v1/me/popups", headers=people.neighbour).json() == []
        assert client.get("/api/v1/me/popups", headers=people.resident).json() == []  # once


def test_followers_of_a_category_or_department_hear_of_a_new_notice(newsplus_app) -> None:
    with frozen_clock(MORNING), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        follow = client.post(
            "/api/v1/govinfo/subscriptions", json={"kind": "category", "value": "社保"}, headers=people.resident
        )
        assert follow.status_code == 204
        client.post(
            "/api/v1/govinfo/subscriptions",
            json={"kind": "department", "value": str(people.bureau)},
            headers=people.neighbour,
        )
        bad = client.post(
            "/api/v1/govinfo/subscriptions",
            json={"kind": "category", "value": "火星"},
            headers={**people.resident, **EN},
        )
        assert bad.status_code == 400 and bad.json()["detail"] == "Choose a category from the list"
        assert client.get("/api/v1/govinfo/subscriptions", headers=people.resident).json() == {
            "category": ["社保"],
            "department": [],
        }
        notice = people.post(people.publisher, "/notices", NOTICE)[1]["id"]
        people.post(people.publisher, f"/notices/{notice}/submit")
        people.post(people.editor, f"/notices/{notice}/approve")
        people.deliver()
        rows = call(client, lambda: Notification.select(Notification.user, Notification.title, Notification.link))
        told = {r["user"] for r in rows if r["link"] == f"/govinfo/notices/{notice}"}
        ids = {client.get("/api/v1/me", headers=h).json()["id"] for h in (people.resident, people.neighbour)}
        assert told == ids
        assert all(r["title"] == f"社保：{NOTICE['title']}" for r in rows if r["user"] in ids)


def test_reimporting_the_same_file_changes_nothing_and_bad_rows_are_reported_by_line(newsplus_app) -> None:
    csv_text = (
        "title,level,category,department,doc_number,published_on,effective_on,original_url\n"
        "关于城乡居民医保参保登记的通知,市,医疗,区人力社保局,京医保发〔2026〕3号,2026-10-08,2027-01-01,\n"
        "关于发放2026年度高龄津贴的通知,区,养老,区人力社保局,,2026-09-01,,\n"
        "没有层级的行,,医疗,区人力社保局,,,,\n"
        "部门不存在的行,区,医疗,区火星局,,,,\n"
        "日期写错的行,区,医疗,区人力社保局,,2026年9月,,\n"
        "链接不安全的行,区,医疗,区人力社保局,,,,javascript:alert(1)\n"
    ).encode()
    with frozen_clock(MORNING), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)

        def run() -> dict:
            started = client.post(
                "/api/v1/govinfo/imports", files={"file": ("export.csv", csv_text, "text/csv")}, headers=people.editor
            )
            assert started.status_code == 202, started.text
            for _ in range(200):  # the import runs in the background; its progress is what the desk polls
                report = client.get(f"/api/v1/govinfo/imports/{started.json()['id']}", headers={**people.editor, **EN})
                if report.json()["status"] != "running":
                    return report.json()
                time.sleep(0.05)
            raise AssertionError("the import did not finish")

        first = run()
        assert (first["status"], first["total"], first["imported"], first["unchanged"]) == ("done", 6, 2, 0)
        assert first["problems"] == [
            {"line": 4, "reason": "level is empty"},
            {"line": 5, "reason": "No department is called 区火星局"},
            {"line": 6, "reason": "published_on is not a date (YYYY-MM-DD)"},
            {"line": 7, "reason": "A link is a path on this site or an http(s) address"},
        ]
        listed = client.get("/api/v1/govinfo/notices").json()["items"]
        assert [i["title"] for i in listed] == ["关于城乡居民医保参保登记的通知", "关于发放2026年度高龄津贴的通知"]
        assert listed[0]["published_at"].startswith("2026-10-08T01:00:00")  # 09:00 in Beijing on its day
        second = run()
        assert (second["imported"], second["unchanged"], len(second["problems"])) == (0, 2, 4)
        assert [i["title"] for i in client.get("/api/v1/govinfo/notices").json()["items"]] == [
            i["title"] for i in listed
        ]
        people.deliver()
        medical = client.get("/api/v1/topics/yiliao").json()
        assert [s["name"] for s in medical["sections"]] == ["市"]
        assert people.post(people.publisher, "/imports")[0] == 403
