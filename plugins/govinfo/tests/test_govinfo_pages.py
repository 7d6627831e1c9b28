"""The 政务 tab as residents browse it, and the desk pages as publishers and editors work in them: filters and
search, the directory, one notice with its interpretations, following, writing and reviewing, pop-ups, imports,
pinned topics, and what a resident's data export and account deletion do with what they follow."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

from litestar.testing import TestClient

from newsplus import frozen_clock
from newsplus.testing import bearer, call, login_resident, login_staff, page_text, submit_form, view
from newsplus.users.accounts import create_department
from newsplus_govinfo.tables import Subscription

EN = {"Accept-Language": "en"}
T = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # 09:30 in Beijing
SHEBAO = {
    "title": "关于2027年度社会保险缴费基数调整的通知",
    "level": "district",
    "category": "社保",
    "doc_number": "昌人社发〔2026〕12号",
    "summary": "2027年度社保缴费基数上下限调整。",
    "body": "<p>各参保单位：根据市有关规定，现将缴费基数调整如下。</p>",
    "effective_on": "2027-01-01",
    "expires_on": "2027-12-31",
    "original_url": "https://www.example.gov.cn/zwgk/12.html",
    "attachments": [{"name": "缴费基数表.xlsx", "url": "https://www.example.gov.cn/files/12.xlsx"}],
}
SCHOOLS = {
    "title": "关于2027年义务教育阶段入学工作的通知",
    "level": "city",
    "category": "教育",
    "doc_number": "京教发〔2026〕3号",
}
DRAFT = {"title": "尚未审核的住房补贴草稿", "level": "district", "category": "住房"}


class District:
    """Two bureaus and two streets; a publisher in each bureau, a govinfo editor, residents of both streets."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.bureau = call(client, create_department, "区人力社保局", "bureau")
        self.schools = call(client, create_department, "区教委", "bureau")
        self.north = call(client, create_department, "天通苑北街道", "street")
        self.south = call(client, create_department, "天通苑南街道", "street")
        self.publisher = login_staff(client, "renshe", roles=("govinfo_publisher",), department=self.bureau)
        self.teacher = login_staff(client, "jiaowei", roles=("govinfo_publisher",), department=self.schools)
        self.editor = login_staff(client, "zhengwu", roles=("govinfo_editor",))
        self.resident = login_resident(client, "13800138000")
        self.neighbour = login_resident(client, "13900139000")
        client.patch("/api/v1/me", json={"street": self.north}, headers=bearer(self.resident))
        client.patch("/api/v1/me", json={"street": self.south}, headers=bearer(self.neighbour))

    def post(self, who: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        answer = self.client.post(f"/api/v1/govinfo{path}", json=body or {}, headers={**bearer(who), **EN})
        return answer.status_code, answer.json() if answer.content else {}

    def publish(self, body: dict, who: str | None = None) -> int:
        """Write, submit and approve a notice; return its id."""
        status, made = self.post(who or self.publisher, "/notices", body)
        assert status == 201, made
        assert self.post(who or self.publisher, f"/notices/{made['id']}/submit")[0] == 200
        assert self.post(self.editor, f"/notices/{made['id']}/approve") == (200, {"status": "published"})
        return made["id"]

    def deliver(self) -> None:
        call(self.client, self.client.app.state.newsplus.dispatcher.deliver_pending)


def titles(page: str) -> list[str]:
    """The titles of the notice cards on a page, in order."""
    return [page_text(t) for t in re.findall(r'<strong class="feed-title">(.*?)</strong>', page, flags=re.S)]


def run_import(client: TestClient, token: str, name: str, data: bytes) -> dict:
    """Upload a file over the API and wait for its report."""
    started = client.post("/api/v1/govinfo/imports", files={"file": (name, data)}, headers=bearer(token))
    assert started.status_code == 202, started.text
    return finished(client, token, started.json()["id"])


def finished(client: TestClient, token: str, run: int) -> dict:
    for _ in range(200):  # the import runs in the background
        report = client.get(f"/api/v1/govinfo/imports/{run}", headers={**bearer(token), **EN}).json()
        if report["status"] != "running":
            return report
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


# -- the 政务 tab ------------------------------------------------------------------------------------------


def test_the_tab_shows_published_notices_and_its_filters_and_search_narrow_them(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        people.publish(SHEBAO)
        people.publish(SCHOOLS, people.teacher)
        people.post(people.publisher, "/notices", DRAFT)

        page = view(client, "/govinfo")
        assert titles(page) == [f"市 {SCHOOLS['title']}", f"区 {SHEBAO['title']}"]  # level tag, newest first
        text = page_text(page)
        assert "区人力社保局 · 昌人社发〔2026〕12号" in text and "区教委 · 京教发〔2026〕3号" in text
        assert DRAFT["title"] not in text
        # Only departments that have published something are offered in the select.
        assert f'<option value="{people.bureau}">区人力社保局</option>' in page
        assert f'<option value="{people.north}">' not in page

        assert titles(view(client, "/govinfo?level=city")) == [f"市 {SCHOOLS['title']}"]
        assert titles(view(client, "/govinfo?category=社保")) == [f"区 {SHEBAO['title']}"]
        chosen = view(client, f"/govinfo?department={people.schools}")
        assert titles(chosen) == [f"市 {SCHOOLS['title']}"]
        assert f'<option value="{people.schools}" selected>' in chosen
        assert titles(view(client, "/govinfo?q=缴费基数")) == [f"区 {SHEBAO['title']}"]
        assert titles(view(client, "/govinfo?q=住房补贴")) == []  # a draft is not found by search either
        assert "No notices here yet." in page_text(view(client, "/govinfo?level=central"))


def test_the_filter_form_sent_with_all_departments_still_filters(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        people.publish(SHEBAO)
        people.publish(SCHOOLS, people.teacher)
        # What the browser sends when a resident picks a level and leaves "All departments" chosen.
        page = view(client, "/govinfo?q=&level=city&category=&department=")
        assert titles(page) == [f"市 {SCHOOLS['title']}"]


def test_the_more_link_of_the_tab_opens_the_next_page(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        rows = [{**ROWS[0], "title": f"第{n}号通知", "published_on": f"2026-10-{n:02d}"} for n in range(1, 22)]
        assert run_import(client, people.editor, "many.json", json.dumps(rows).encode())["imported"] == 21
        first = view(client, "/govinfo")
        assert len(titles(first)) == 20
        more = re.search(r'<p class="more"><a href="([^"]+)"', first).group(1)
        assert titles(view(client, more.replace("&amp;", "&"))) == ["市 第1号通知"]


def test_the_directory_counts_each_departments_notices_and_a_department_page_lists_only_its_own(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        shebao = people.publish(SHEBAO)
        people.publish(SCHOOLS, people.teacher)
        people.post(people.publisher, "/notices", DRAFT)  # a draft is not counted

        text = page_text(view(client, "/govinfo/departments"))
        assert "区人力社保局 1 notices 区教委 1 notices 天通苑北街道 0 notices 天通苑南街道 0 notices" in text
        page = view(client, f"/govinfo/departments/{people.bureau}")
        assert titles(page) == [f"区 {SHEBAO['title']}"] and f'href="/govinfo/notices/{shebao}"' in page
        assert "No notices here yet." in page_text(view(client, f"/govinfo/departments/{people.north}"))
        view(client, "/govinfo/departments/9999", status=404)


def test_a_notice_page_shows_who_issued_it_its_number_dates_attachments_and_the_original(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        shebao = people.publish(SHEBAO)
        old = people.publish({**SCHOOLS, "effective_on": "2025-09-01", "expires_on": "2026-08-31"}, people.teacher)
        draft = people.post(people.publisher, "/notices", DRAFT)[1]["id"]

        page = view(client, f"/govinfo/notices/{shebao}")
        text = page_text(page)
        assert "Issued by 区人力社保局 Document number 昌人社发〔2026〕12号 Published 2026-11-25" in text
        assert "In force from 2027-01-01 In force until 2027-12-31" in text
        assert f'href="/govinfo/departments/{people.bureau}"' in page
        assert '<a href="https://www.example.gov.cn/files/12.xlsx" rel="noopener">缴费基数表.xlsx</a>' in page
        assert '<a href="https://www.example.gov.cn/zwgk/12.html" rel="noopener">Read the original</a>' in page
        assert "No longer in force" not in text
        assert "No longer in force" in page_text(view(client, f"/govinfo/notices/{old}"))
        view(client, f"/govinfo/notices/{draft}", status=404)

        for unsafe in (
            {"original_url": "javascript:alert(1)"},
            {"attachments": [{"name": "表", "url": "javascript:alert(1)"}]},
        ):
            status, refused = people.post(people.publisher, "/notices", {**SHEBAO, **unsafe})
            assert (status, refused["detail"]) == (400, "A link is a path on this site or an http(s) address")


def test_a_notice_is_no_longer_in_force_once_its_last_day_is_over_in_beijing(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        notice = people.publish({**SHEBAO, "effective_on": "2026-01-01", "expires_on": "2026-11-25"})
        assert "No longer in force" not in page_text(view(client, f"/govinfo/notices/{notice}"))
        clock.set(datetime(2026, 11, 25, 17, 0, tzinfo=UTC))  # 01:00 on 26 November in Beijing
        assert "No longer in force" in page_text(view(client, f"/govinfo/notices/{notice}"))


def test_an_interpretation_and_the_notice_it_explains_link_to_each_other_once_published(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        notice = people.publish(SHEBAO)
        reading = {"title": "图解：2027年度社保缴费基数调整", "level": "district", "category": "社保"}
        status, made = people.post(
            people.publisher, "/notices", {**reading, "kind": "interpretation", "explains": [notice]}
        )
        assert status == 201, made
        assert "Interpretations" not in page_text(view(client, f"/govinfo/notices/{notice}"))  # not out yet

        people.post(people.publisher, f"/notices/{made['id']}/submit")
        people.post(people.editor, f"/notices/{made['id']}/approve")
        page = view(client, f"/govinfo/notices/{notice}")
        assert f"Interpretations {reading['title']}" in page_text(page)
        assert f'<a href="/govinfo/notices/{made["id"]}">' in page
        page = view(client, f"/govinfo/notices/{made['id']}")
        assert "Interpretation 图解：2027年度社保缴费基数调整" in page_text(page)
        assert f"The notices it explains {SHEBAO['title']}" in page_text(page)
        assert f'<a href="/govinfo/notices/{notice}">' in page
        assert "区 Interpretation 图解" in page_text(view(client, "/govinfo"))  # its card says what it is

        for explains, detail in (
            ([], "Say which notices this interpretation explains"),
            ([9999], "An interpretation explains notices of this district"),
            ([made["id"]], "An interpretation explains notices of this district"),  # not another interpretation
        ):
            status, refused = people.post(
                people.publisher, "/notices", {**reading, "kind": "interpretation", "explains": explains}
            )
            assert (status, refused["detail"]) == (400, detail)


def test_following_from_the_pages_turns_the_button_and_goes_back_only_to_this_site(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        notice = people.publish(SHEBAO)
        assert "Follow 社保" not in page_text(view(client, f"/govinfo/notices/{notice}"))  # anonymous: no button

        here = f"/govinfo/notices/{notice}"
        assert "Follow 社保" in page_text(view(client, here, people.resident))
        went = submit_form(
            client,
            "/govinfo/follow",
            {"kind": "category", "value": "社保", "on": "1", "next": here},
            people.resident,
            follow=False,
        )
        assert (went.status_code, went.headers["location"]) == (303, here)
        assert "Unfollow 社保" in page_text(view(client, here, people.resident))
        mine = client.get("/api/v1/govinfo/subscriptions", headers=bearer(people.resident)).json()
        assert mine == {"category": ["社保"], "department": []}
        submit_form(
            client, "/govinfo/follow", {"kind": "category", "value": "社保", "on": "0", "next": here}, people.resident
        )
        text = page_text(view(client, here, people.resident))
        assert "Follow 社保" in text and "Unfollow 社保" not in text

        there = f"/govinfo/departments/{people.bureau}"
        assert "Follow 区人力社保局" in page_text(view(client, there, people.resident))
        form = {"kind": "department", "value": str(people.bureau), "on": "1", "next": there}
        assert submit_form(client, "/govinfo/follow", form, people.resident, follow=False).headers["location"] == there
        assert "Unfollow 区人力社保局" in page_text(view(client, there, people.resident))
        assert "Follow 区人力社保局" in page_text(view(client, there, people.neighbour))  # only for who followed

        for unsafe in ("//evil.example", "https://evil.example/", "/\\evil.example"):
            went = submit_form(client, "/govinfo/follow", {**form, "next": unsafe}, people.resident, follow=False)
            assert (went.status_code, went.headers["location"]) == (303, "/govinfo")
        # From the tab filtered by a category: back to the same filter.
        went = submit_form(
            client,
            "/govinfo/follow",
            {"kind": "category", "value": "医疗", "on": "1", "next": "/govinfo?category=医疗"},
            people.resident,
        )
        assert went.status_code == 200 and "Unfollow 医疗" in page_text(went.text)
        refused = submit_form(
            client, "/govinfo/follow", {"kind": "category", "value": "火星", "on": "1"}, people.resident
        )
        assert refused.status_code == 400 and "Choose a category from the list" in page_text(refused.text)


# -- the desk -------------------------------------------------------------------------------------------


def test_a_publisher_writes_and_submits_at_the_desk_and_the_editor_approves_and_pops_it_up(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        people.post(people.teacher, "/notices", SCHOOLS)
        empty = page_text(view(client, "/desk/govinfo", people.publisher))
        assert "Nothing here." in empty and SCHOOLS["title"] not in empty  # not the other bureau's draft
        assert SCHOOLS["title"] in page_text(view(client, "/desk/govinfo", people.editor))
        form = view(client, "/desk/govinfo/new", people.publisher)
        assert f'<option value="{people.bureau}"' in form and f'<option value="{people.schools}"' not in form

        typed = {"title": SHEBAO["title"], "level": "", "category": "社保", "doc_number": SHEBAO["doc_number"]}
        typed |= {
            "department": str(people.bureau),
            "attachments": "缴费基数表.xlsx | https://www.example.gov.cn/12.xlsx",
        }
        wrong = submit_form(client, "/desk/govinfo/new", typed, people.publisher)
        assert wrong.status_code == 400 and "Choose the level: central / city / district / street" in page_text(
            wrong.text
        )
        assert f'value="{SHEBAO["title"]}"' in wrong.text and f'value="{SHEBAO["doc_number"]}"' in wrong.text
        theirs = submit_form(
            client,
            "/desk/govinfo/new",
            {**typed, "level": "district", "department": str(people.schools)},
            people.publisher,
        )
        assert theirs.status_code == 403 and "You may publish only for your own department" in page_text(theirs.text)

        made = submit_form(client, "/desk/govinfo/new", {**typed, "level": "district"}, people.publisher, follow=False)
        assert made.status_code == 303
        here = made.headers["location"]
        notice = int(here.rsplit("/", 1)[1])
        assert here == f"/desk/govinfo/notices/{notice}"
        listed = page_text(view(client, "/desk/govinfo", people.publisher))
        assert f"{SHEBAO['title']} {SHEBAO['doc_number']} 区人力社保局 区 社保 draft" in listed
        assert SCHOOLS["title"] not in listed
        assert "Status: draft" in page_text(view(client, here, people.publisher))
        sent = submit_form(client, f"{here}/submit", {}, people.publisher, follow=False)
        assert (sent.status_code, sent.headers["location"]) == (303, here)
        assert "Status: submitted" in page_text(view(client, here, people.publisher))
        view(client, here, people.teacher, status=404)  # another department's publisher does not see it
        denied = submit_form(client, f"{here}/approve", {}, people.publisher)
        assert denied.status_code == 403 and "You do not have permission to do this" in page_text(denied.text)

        review = page_text(view(client, here, people.editor))
        assert "Approve" in review and "Send back" in review and "Pop up for residents" not in review
        no_reason = submit_form(client, f"{here}/reject", {"comment": ""}, people.editor)
        assert no_reason.status_code == 400 and "Say why it goes back" in page_text(no_reason.text)
        approved = submit_form(client, f"{here}/approve", {"comment": ""}, people.editor)
        assert approved.status_code == 200 and "Status: published" in page_text(approved.text)
        assert "Pop up for residents" in page_text(approved.text)
        assert titles(view(client, "/govinfo")) == [f"区 {SHEBAO['title']}"]

        # 10:00 in Beijing is 02:00 UTC: half an hour after now.
        popup = {"starts_at": "2026-11-25T10:00", "ends_at": "2026-11-26T10:00", "streets": str(people.north)}
        scheduled = submit_form(client, f"{here}/popup", popup, people.editor, follow=False)
        assert (scheduled.status_code, scheduled.headers["location"]) == (303, here)
        assert client.get("/api/v1/me/popups", headers=bearer(people.resident)).json() == []
        clock.advance(hours=1)
        assert client.get("/api/v1/me/popups", headers=bearer(people.neighbour)).json() == []
        shown = client.get("/api/v1/me/popups", headers=bearer(people.resident)).json()
        assert [(p["title"], p["link"]) for p in shown] == [(SHEBAO["title"], f"/govinfo/notices/{notice}")]
        nobody = submit_form(client, f"{here}/popup", {**popup, "streets": ""}, people.editor)
        assert nobody.status_code == 400 and "Choose who it pops up for" in page_text(nobody.text)


def test_the_desk_menu_offers_government_notices_to_publishers_and_editors_only(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        writer = login_staff(client, "bianji", roles=("editor",))

        def menu(token: str) -> list[str]:
            sidebar = re.search(r"<nav aria-label=\"Desk\">(.*?)</nav>", view(client, "/desk", token), re.S)
            return re.findall(r'href="(/desk/govinfo[^"]*)"', sidebar.group(1))

        assert menu(people.publisher) == ["/desk/govinfo"]
        assert menu(people.editor) == ["/desk/govinfo", "/desk/govinfo/topics", "/desk/govinfo/imports"]
        assert menu(writer) == []
        assert "Government notices" in page_text(view(client, "/desk", people.publisher))
        assert "Government notices" not in page_text(view(client, "/desk", writer))
        view(client, "/desk/govinfo", writer, status=403)
        view(client, "/desk/govinfo/topics", people.publisher, status=403)


# -- imports --------------------------------------------------------------------------------------------

ROWS = [
    {"title": "关于城乡居民医保参保登记的通知", "level": "市", "category": "医疗", "department": "区人力社保局"},
    {"title": "没有层级的行", "level": "", "category": "医疗", "department": "区人力社保局"},
]


def listed(client: TestClient) -> list[str]:
    return [i["title"] for i in client.get("/api/v1/govinfo/notices", params={"limit": 50}).json()["items"]]


def test_json_lists_json_objects_with_items_and_gbk_csv_files_import(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        report = run_import(client, people.editor, "list.json", json.dumps(ROWS, ensure_ascii=False).encode())
        assert (report["status"], report["total"], report["imported"]) == ("done", 2, 1)
        assert report["problems"] == [{"line": 2, "reason": "level is empty"}]

        items = [
            {"title": "关于发放2026年度高龄津贴的通知", "level": "district", "category": "养老", "department": "区教委"}
        ]
        report = run_import(client, people.editor, "object.json", json.dumps({"items": items}).encode())
        assert (report["status"], report["imported"], report["problems"]) == ("done", 1, [])

        csv_text = (
            "title,level,category,department,doc_number,published_on\n"
            "关于公租房配租的通知,区,住房,区人力社保局,昌住发〔2026〕5号,2026-11-20\n"
        )
        report = run_import(client, people.editor, "gbk.csv", csv_text.encode("gb18030"))
        assert (report["status"], report["imported"], report["problems"]) == ("done", 1, [])
        assert listed(client) == [
            "关于发放2026年度高龄津贴的通知",
            "关于城乡居民医保参保登记的通知",
            "关于公租房配租的通知",
        ]
        page = page_text(view(client, "/govinfo?category=住房"))
        assert "区 关于公租房配租的通知 区人力社保局 · 昌住发〔2026〕5号 · 2026-11-20" in page


def test_a_file_without_the_columns_or_rows_is_refused_at_upload(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        for name, data, detail in (
            ("short.csv", "title,category\n通知,社保\n".encode(), "The file lacks the columns: level, department"),
            ("empty.csv", b"", "The file has no rows"),
            ("header.csv", b"title,level,category,department\n", "The file has no rows"),
            ("none.json", b"[]", "The file has no rows"),
            ("odd.json", b'{"items": 3}', "A JSON file holds a list of notices (or an object with an items list)"),
            ("bad.json", b"[{", "This JSON file cannot be read"),
        ):
            answer = client.post(
                "/api/v1/govinfo/imports", files={"file": (name, data)}, headers={**bearer(people.editor), **EN}
            )
            assert answer.status_code == 400, (name, answer.text)
            assert answer.json()["detail"] == detail
        assert ".csv" not in page_text(view(client, "/desk/govinfo/imports", people.editor))  # no run recorded
        assert listed(client) == []


def test_the_desk_import_pages_show_progress_and_the_refused_lines_to_editors_only(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        page = view(client, "/desk/govinfo/imports", people.editor)
        assert 'enctype="multipart/form-data"' in page and 'type="file" name="file"' in page
        data = json.dumps(ROWS, ensure_ascii=False).encode()
        went = submit_form(
            client, "/desk/govinfo/imports", {}, people.editor, files={"file": ("rows.json", data)}, follow=False
        )
        assert went.status_code == 303 and re.fullmatch(r"/desk/govinfo/imports/\d+", went.headers["location"])
        run = int(went.headers["location"].rsplit("/", 1)[1])
        assert re.search(r'<progress value="\d" max="2"', view(client, went.headers["location"], people.editor))
        assert finished(client, people.editor, run)["status"] == "done"
        page = view(client, went.headers["location"], people.editor)
        assert '<progress value="2" max="2"' in page and '<meta http-equiv="refresh"' not in page
        text = page_text(page)
        assert "Imported: 1 · Already there: 0 · Refused: 1" in text and "Line Reason 2 level is empty" in text
        assert "rows.json" in page_text(view(client, "/desk/govinfo/imports", people.editor))

        short = submit_form(
            client, "/desk/govinfo/imports", {}, people.editor, files={"file": ("short.csv", b"title\nx\n")}
        )
        assert short.status_code == 400
        assert "The file lacks the columns: level, category, department" in page_text(short.text)

        view(client, "/desk/govinfo/imports", people.publisher, status=403)
        view(client, f"/desk/govinfo/imports/{run}", people.publisher, status=403)
        upload = submit_form(client, "/desk/govinfo/imports", {}, people.publisher, files={"file": ("rows.json", data)})
        assert upload.status_code == 403
        assert listed(client) == ["关于城乡居民医保参保登记的通知"]


# -- pinned topics, privacy -----------------------------------------------------------------------------


def home_feed(client: TestClient) -> str:
    """The text of the home page's feed, pins first."""
    return page_text(view(client, "/").split('id="feed">', 1)[1])


def test_a_topic_pinned_from_the_desk_shows_on_the_home_page_once_its_window_starts(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        people.publish(SHEBAO)
        people.deliver()  # the notice joins the 社保 topic
        page = view(client, "/desk/govinfo/topics", people.editor)
        assert 'action="/desk/govinfo/topics/社保/pin"' in page and 'href="/topics/shebao"' in page

        wrong = submit_form(
            client, "/desk/govinfo/topics/社保/pin", {"starts_at": "明天", "ends_at": ""}, people.editor
        )
        assert wrong.status_code == 400 and "Give a date and time" in page_text(wrong.text)
        window = {"starts_at": "2026-11-25T10:00", "ends_at": "2026-12-02T10:00"}  # Beijing time
        pinned = submit_form(client, "/desk/govinfo/topics/社保/pin", window, people.editor, follow=False)
        assert (pinned.status_code, pinned.headers["location"]) == (303, "/desk/content/arrange")
        assert "民生·社保" not in home_feed(client)  # (the banner shows live topics anyway)
        clock.advance(hours=1)  # 10:30 in Beijing
        assert home_feed(client).startswith("Pinned Topic 民生·社保")
        pins = client.get("/api/v1/feed").json()["pinned"]
        assert [(p["kind"], p["title"]) for p in pins] == [("topic", "民生·社保")]
        denied = submit_form(client, "/desk/govinfo/topics/社保/pin", window, people.publisher)
        assert denied.status_code == 403


def test_a_residents_export_holds_what_they_follow_and_deleting_the_account_forgets_it(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["govinfo"])) as client:
        people = District(client)
        for who, kind, value in (
            (people.resident, "category", "社保"),
            (people.resident, "department", str(people.bureau)),
            (people.neighbour, "category", "社保"),
        ):
            answer = client.post(
                "/api/v1/govinfo/subscriptions", json={"kind": kind, "value": value}, headers=bearer(who)
            )
            assert answer.status_code == 204
        export = client.get("/api/v1/me/export", headers=bearer(people.resident))
        assert export.status_code == 200
        assert export.json()["govinfo"] == {"category": ["社保"], "department": [str(people.bureau)]}

        me = client.get("/api/v1/me", headers=bearer(people.resident)).json()["id"]
        followed = lambda: call(client, lambda: Subscription.count().where(Subscription.user == me))  # noqa: E731
        assert followed() == 2
        assert client.delete("/api/v1/me", headers=bearer(people.resident)).status_code == 204
        assert followed() == 0
        kept = client.get("/api/v1/govinfo/subscriptions", headers=bearer(people.neighbour)).json()
        assert kept == {"category": ["社保"], "department": []}
