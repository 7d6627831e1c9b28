"""Activities as people use them in a browser: residents on the H5 pages (the list by status, an activity's
page, signing up, the registration with its QR code, voting, coupons, my activities) and organisers and
merchants' clerks on the desk pages. Pages are asked for in English (``HTML``) unless a test says otherwise."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from litestar.testing import TestClient

from newsplus import frozen_clock
from newsplus.testing import bearer, call, login_resident, login_staff, submit_form, view
from newsplus.testing import page_text as text
from newsplus.users.accounts import create_department

# Wednesday 2026-11-25, 09:30 in Beijing.
T = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
API = "/api/v1/activities"
DESK = "/api/v1/activities/desk"
GOOD_ID = "11010519491231002X"
BAD_ID = "110101199003071234"
ID_FIELD = {"name": "id", "label": "身份证号", "type": "id_number", "required": True}


def iso(**delta: float) -> str:
    return (T + timedelta(**delta)).isoformat()


def activity(**fields) -> dict:
    """A published event five days ahead (2026-11-30 09:30 to 17:30 in Beijing) with two places."""
    when = {"starts_at": iso(days=5), "ends_at": iso(days=5, hours=8)}
    return {"slug": "carnival", "title": "农业嘉年华", "capacity": 2, "published": True} | when | fields


def festival(**fields) -> dict:
    sessions = [
        {"title": "开幕式", "starts_at": iso(days=5), "ends_at": iso(days=5, hours=1), "place": "主会场"},
        {"title": "美食市集", "starts_at": iso(days=5, hours=2), "ends_at": iso(days=5, hours=8)},
    ]
    return activity(slug="food", title="昌平美食节", kind="festival", place="滨河森林公园", sessions=sessions) | fields


def contest(**fields) -> dict:
    return activity(slug="elders", title="爱老敬老评比", kind="contest", capacity=0) | fields


def create(client: TestClient, staff: str, body: dict) -> int:
    made = client.post(f"{DESK}/activities", json=body, headers=bearer(staff))
    assert made.status_code == 201, made.text
    return made.json()["id"]


def organiser(client: TestClient) -> str:
    return login_staff(client, "org", roles=("activity_organiser",))


def location(response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:3000])
    return response.headers["location"]


def feed(page: str) -> list[str]:
    """The activities listed, each as its status label and title."""
    return [text(t) for t in re.findall(r'<strong class="feed-title">(.*?)</strong>', page, re.S)]


def value_of(page: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}"[^>]*?value="([^"]*)"', page)
    return found.group(1) if found else None


def error_of(page: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', page, re.S)
    return text(found.group(1)) if found else ""


# -- the list and an activity's page ----------------------------------------------------------------------


def test_the_list_shows_published_activities_by_status(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        create(client, org, activity())
        create(client, org, activity(slug="market", title="年货集市", opens_at=iso(days=1)))
        create(client, org, activity(slug="opera", title="京剧进社区", starts_at=iso(hours=-1), ends_at=iso(hours=5)))
        create(client, org, activity(slug="fair", title="秋季庙会", starts_at=iso(days=-2), ends_at=iso(days=-1)))
        create(client, org, activity(slug="draft", title="未发布的活动", published=False))

        everything = view(client, "/activities")
        assert sorted(feed(everything)) == sorted(
            ["Open for sign-up 农业嘉年华", "Upcoming 年货集市", "Ongoing 京剧进社区", "Ended 秋季庙会"]
        )
        assert "未发布的活动" not in everything and "2 places left" in text(everything)
        tabs = {"open": "农业嘉年华", "upcoming": "年货集市", "ongoing": "京剧进社区", "ended": "秋季庙会"}
        for status, title in tabs.items():
            page = view(client, f"/activities?status={status}")
            assert [t.split()[-1] for t in feed(page)] == [title], status
            assert f'class="tag active" href="/activities?status={status}"' in page
        view(client, "/activities/draft", status=404)

        clock.advance(days=1)  # the market's sign-up opens
        assert [t.split()[-1] for t in feed(view(client, "/activities?status=open"))] == ["农业嘉年华", "年货集市"]
        assert "No activities here yet." in text(view(client, "/activities?status=upcoming"))


def test_an_activity_whose_sign_up_has_closed_is_not_open_for_sign_up(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        create(client, organiser(client), activity(closes_at=iso(hours=1)))
        clock.advance(hours=2)
        assert feed(view(client, "/activities?status=open")) == []
        assert "Open for sign-up" not in text(view(client, "/activities/carnival"))


def test_a_festival_page_shows_when_where_its_sessions_and_its_questions(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        create(client, organiser(client), festival(form=[ID_FIELD]))
        anonymous = view(client, "/activities/food")
        shown = text(anonymous)
        assert "昌平美食节" in shown and "2026-11-30 09:30 – 2026-11-30 17:30 · 滨河森林公园" in shown
        assert "开幕式 2026-11-30 09:30 – 10:30 · 主会场" in shown and "美食市集 2026-11-30 11:30 – 17:30" in shown
        assert '<a href="/api/v1/activities/food/calendar.ics">Add to my calendar</a>' in anonymous
        assert "Sign in to sign up" in shown and 'name="id"' not in anonymous

        page = view(client, "/activities/food", login_resident(client))
        assert 'action="/activities/food/register"' in page and "身份证号" in text(page)
        assert 'name="id" maxlength="18"' in page and value_of(page, "phone") == "13800138000"


# -- signing up -------------------------------------------------------------------------------------------


def sign_up(client: TestClient, token: str, **typed: str):
    data = {"name": "张三", "phone": "13800138000", "id": GOOD_ID} | typed
    return submit_form(client, "/activities/food/register", data, token, follow=False)


def test_signing_up_through_the_form_shows_the_qr_code_and_cancels(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        create(client, organiser(client), festival(form=[ID_FIELD]))
        resident = login_resident(client)
        where = location(sign_up(client, resident))
        assert where.startswith("/activities/registrations/")
        page = view(client, where, resident)
        assert re.search(r'<div class="qr"><svg[^>]*>.*</svg>', page, re.S)
        assert "Registered" in text(page) and "Show this code at the entrance." in text(page)
        assert f'action="{where}/cancel"' in page and "Cancel my registration" in text(page)
        view(client, where, login_resident(client, "13900139000"), status=404)

        assert location(submit_form(client, f"{where}/cancel", {}, resident, follow=False)) == where
        cancelled = view(client, where, resident)
        assert "Cancelled" in text(cancelled) and "<svg" not in cancelled and "/cancel" not in cancelled
        assert client.get(f"{API}/registrations/mine", headers=bearer(resident)).json()[0]["status"] == "cancelled"


def test_a_mistake_in_the_sign_up_form_keeps_what_was_typed(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        create(client, organiser(client), festival(form=[ID_FIELD]))
        resident = login_resident(client)
        bad_phone = sign_up(client, resident, name="李四", phone="12345")
        assert bad_phone.status_code == 400 and error_of(bad_phone.text) == "Give an 11-digit mobile number"
        assert value_of(bad_phone.text, "name") == "李四" and value_of(bad_phone.text, "phone") == "12345"
        assert 'name="phone" inputmode="tel" maxlength="20" value="12345" aria-invalid="true"' in bad_phone.text

        bad_id = sign_up(client, resident, id=BAD_ID)
        assert bad_id.status_code == 400 and "This is not a valid resident ID number" in text(bad_id.text)
        assert value_of(bad_id.text, "id") == BAD_ID
        assert client.get(f"{API}/registrations/mine", headers=bearer(resident)).json() == []


def test_a_waitlisted_resident_is_told_so(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        create(client, organiser(client), festival(capacity=1))
        location(sign_up(client, login_resident(client)))
        other = login_resident(client, "13900139000")
        page = view(client, location(sign_up(client, other, phone="13900139000")), other)
        assert "On the waitlist" in text(page) and "<svg" not in page
        assert "You are on the waitlist; we will tell you when a place is yours." in text(page)
        assert "0 places left" in text(view(client, "/activities/food", other))


# -- voting -----------------------------------------------------------------------------------------------


def test_voting_through_the_contest_page_and_its_results(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        elders = create(client, org, contest(votes_per_day=1, voting_closes_at=iso(days=1)))
        ids = [
            client.post(f"{DESK}/activities/{elders}/candidates", json={"name": n}, headers=bearer(org)).json()["id"]
            for n in ("王奶奶", "李爷爷", "赵阿姨")
        ]
        a, b = login_resident(client), login_resident(client, "13900139000")
        page = view(client, "/activities/elders", a)
        assert "王奶奶" in text(page) and "李爷爷" in text(page)
        assert page.count('action="/activities/elders/vote"') == 3
        assert f'name="candidate" value="{ids[1]}"' in page and "Thank you for voting." not in text(page)

        voted = submit_form(client, "/activities/elders/vote", {"candidate": str(ids[1])}, a, follow=False)
        assert location(voted) == "/activities/elders?voted=1#candidates"
        assert "Thank you for voting." in text(view(client, "/activities/elders?voted=1", a))
        submit_form(client, "/activities/elders/vote", {"candidate": str(ids[0])}, b)
        again = submit_form(client, "/activities/elders/vote", {"candidate": str(ids[0])}, a)
        assert again.status_code == 409
        assert error_of(again.text) == "You have used today's 1 votes; come back tomorrow"

        results = view(client, "/activities/elders/results")
        assert "Live results" in text(results)
        rows = [text(r) for r in re.findall(r"<tr><td>(.*?)</tr>", results, re.S)]
        assert rows == ["1 王奶奶 1", "1 李爷爷 1", "3 赵阿姨 0"]
        clock.advance(days=1)
        assert "Final results" in text(view(client, "/activities/elders/results"))


def test_no_vote_buttons_once_voting_has_closed(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        elders = create(client, org, contest(voting_closes_at=iso(days=1)))
        client.post(f"{DESK}/activities/{elders}/candidates", json={"name": "王奶奶"}, headers=bearer(org))
        resident = login_resident(client)
        assert 'action="/activities/elders/vote"' in view(client, "/activities/elders", resident)
        clock.advance(days=2)  # voting has closed; the contest itself ends in three days
        assert 'action="/activities/elders/vote"' not in view(client, "/activities/elders", resident)


# -- coupons ----------------------------------------------------------------------------------------------


def add_batch(client: TestClient, org: str, merchant: int, **fields) -> int:
    body = {"merchant": merchant, "title": "满100减20", "value": 2000, "min_spend": 10000, "stock": 10}
    body |= {"valid_from": iso(), "valid_until": iso(days=7), "activity": "food"} | fields
    made = client.post(f"{DESK}/batches", json=body, headers=bearer(org))
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_claiming_a_coupon_from_the_festival_page(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        create(client, org, festival())
        batch = add_batch(client, org, call(client, create_department, "老北京涮肉", "merchant"))
        assert f"/activities/coupons/{batch}/claim" not in view(client, "/activities/food")
        resident = login_resident(client)
        page = view(client, "/activities/food", resident)
        assert "老北京涮肉 · 满100减20 · ¥20.00 off · on ¥100.00 or more 10 left" in text(page)
        assert f'action="/activities/coupons/{batch}/claim"' in page and "Claim" in text(page)

        claimed = submit_form(client, f"/activities/coupons/{batch}/claim", {}, resident, follow=False)
        assert location(claimed) == "/activities/mine#coupons"
        [coupon] = client.get(f"{API}/coupons/mine", headers=bearer(resident)).json()
        mine = view(client, "/activities/mine", resident)
        assert f"<code>{coupon['code']}</code>" in mine and "老北京涮肉 · 满100减20" in text(mine)
        assert "9 left" in text(view(client, "/activities/food", resident))


# -- the desk ---------------------------------------------------------------------------------------------

TYPED = {
    "title": "冬季长跑",
    "slug": "winter-run",
    "kind": "festival",
    "place": "奥林匹克公园",
    "starts_at": "2026-11-30T09:00",
    "ends_at": "2026-11-30T12:00",
    "capacity": "50",
    "per_user": "1",
    "waitlist": "1",
    "published": "1",
    "sessions": "开幕式 | 2026-11-30T09:00 | 2026-11-30T10:00 | 主会场\n长跑 | 2026-11-30T10:00 | 2026-11-30T12:00 |",
    "form": "id | 身份证号 | id_number | 1 |",
}


def test_an_organiser_creates_and_edits_an_activity_on_the_desk(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        wrong = submit_form(client, "/desk/activities/new", TYPED | {"ends_at": "2026-11-30T08:00"}, org)
        assert wrong.status_code == 400 and error_of(wrong.text) == "An activity must end after it starts"
        assert value_of(wrong.text, "title") == "冬季长跑" and value_of(wrong.text, "ends_at") == "2026-11-30T08:00"

        where = location(submit_form(client, "/desk/activities/new", TYPED, org, follow=False))
        run = int(where.removeprefix("/desk/activities/"))
        assert "Open for sign-up 冬季长跑" in feed(view(client, "/activities"))
        resident = login_resident(client)
        public = text(view(client, "/activities/winter-run", resident))
        assert "2026-11-30 09:00 – 2026-11-30 12:00 · 奥林匹克公园" in public
        assert "开幕式 2026-11-30 09:00 – 10:00 · 主会场" in public and "身份证号" in public
        typed = {"name": "张三", "id": GOOD_ID}
        location(submit_form(client, "/activities/winter-run/register", typed, resident, follow=False))

        desk = view(client, where, org)
        assert "张三" in text(desk) and f'href="/desk/activities/{run}/registrations.csv"' in desk
        assert value_of(desk, "starts_at") == "2026-11-30T09:00" and "1/50" in text(desk)
        csv = client.get(f"/desk/activities/{run}/registrations.csv")
        assert csv.status_code == 200 and "138****8000" in csv.text and "110105********002X" in csv.text

        edited = submit_form(client, where, TYPED | {"title": "冬季长跑比赛", "capacity": "60"}, org, follow=False)
        assert location(edited) == where and "1/60" in text(view(client, where, org))
        listing = view(client, "/desk/activities", org)
        assert '<svg class="chart"' in listing and f'<a href="/desk/activities/{run}">冬季长跑比赛</a>' in listing


def test_a_question_of_unknown_type_is_refused_on_the_desk(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        typed = TYPED | {"form": "q | 问题 | bogus | 1"}
        refused = submit_form(client, "/desk/activities/new", typed, org, follow=False)
        assert refused.status_code == 400
        assert error_of(refused.text) == "Each form line is name | label | type | required | choices"


def test_capacity_below_the_places_taken_is_refused_on_the_desk(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        where = location(submit_form(client, "/desk/activities/new", TYPED | {"per_user": "2"}, org, follow=False))
        submit_form(client, "/activities/winter-run/register", {"seats": "2", "id": GOOD_ID}, login_resident(client))
        refused = submit_form(client, where, TYPED | {"capacity": "1", "per_user": "2"}, org)
        assert refused.status_code == 409 and error_of(refused.text) == "More places are taken than this capacity"
        assert value_of(refused.text, "capacity") == "1"
        assert "2/50" in text(view(client, where, org))


def test_moderating_a_proposed_candidate_on_the_desk(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        elders = create(client, org, contest(proposals=True))
        resident = login_resident(client)
        proposed = submit_form(client, "/activities/elders/propose", {"name": "孙大爷"}, resident, follow=False)
        assert location(proposed) == "/activities/elders?proposed=1"
        assert "孙大爷" not in text(view(client, "/activities/elders", resident))

        desk = view(client, f"/desk/activities/{elders}", org)
        assert "Waiting for moderation 孙大爷" in text(desk)
        candidate = re.search(r'name="candidate" value="(\d+)"', desk).group(1)
        approve = {"candidate": candidate, "status": "approved"}
        moderated = submit_form(client, f"/desk/activities/{elders}/candidates", approve, org, follow=False)
        assert location(moderated) == f"/desk/activities/{elders}#candidates"
        assert "Waiting for moderation" not in text(view(client, f"/desk/activities/{elders}", org))
        assert "孙大爷" in text(view(client, "/activities/elders", resident))


def test_checking_in_by_the_scanned_address(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        create(client, org, festival(form=[ID_FIELD], starts_at=iso(hours=4), ends_at=iso(hours=6), sessions=[]))
        resident = login_resident(client)
        token = location(sign_up(client, resident)).removeprefix("/activities/registrations/")
        early = submit_form(client, "/desk/activities/check-in", {"code": token}, org)
        assert early.status_code == 409 and "three hours before" in error_of(early.text)
        clock.advance(hours=2)
        page = view(client, f"/desk/activities/check-in?code={token}", org)
        assert value_of(page, "code") == token
        done = submit_form(client, "/desk/activities/check-in", {"code": token}, org)
        assert done.status_code == 200 and "Checked in: 张三 (1 places)" in text(done.text)
        twice = submit_form(client, "/desk/activities/check-in", {"code": token}, org)
        assert twice.status_code == 409 and error_of(twice.text) == "Already checked in"
        assert "Attended" in text(view(client, f"/activities/registrations/{token}", resident))


def test_merchants_batches_and_redemption_at_the_counter(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        create(client, org, festival())
        added = submit_form(client, "/desk/activities/merchants", {"what": "merchant", "name": "稻香村"}, org)
        assert added.status_code == 200 and '<option value="1">稻香村</option>' in added.text
        typed = {"what": "batch", "merchant": "1", "title": "点心八折", "kind": "percent", "value": "20"}
        typed |= {"stock": "5", "per_user": "1", "valid_from": "2026-11-25T09:00", "valid_until": "2026-12-31T21:00"}
        bad = submit_form(client, "/desk/activities/merchants", typed | {"value": "0"}, org)
        assert bad.status_code == 400 and error_of(bad.text) == "An amount in fen above 0, or a percentage from 1 to 99"
        made = submit_form(client, "/desk/activities/merchants", typed | {"activity": "food"}, org, follow=False)
        assert location(made) == "/desk/activities/merchants"
        assert "稻香村 点心八折 5 0 0" in text(view(client, "/desk/activities/merchants", org))

        other = call(client, create_department, "老北京涮肉", "merchant")
        add_batch(client, org, other, title="满100减20")
        resident = login_resident(client)
        assert "20% off" in text(view(client, "/activities/food", resident))
        submit_form(client, "/activities/coupons/1/claim", {}, resident)
        [coupon] = client.get(f"{API}/coupons/mine", headers=bearer(resident)).json()

        clerk = login_staff(client, "clerk", roles=("merchant_clerk",), department=1)
        counter = view(client, "/desk/activities/redeem", clerk)
        assert "点心八折" in text(counter) and "满100减20" not in text(counter)
        done = submit_form(client, "/desk/activities/redeem", {"code": coupon["code"].lower()}, clerk)
        assert done.status_code == 200 and "Redeemed: 点心八折" in text(done.text)
        assert "稻香村 点心八折 5 1 1" in text(done.text)
        again = submit_form(client, "/desk/activities/redeem", {"code": coupon["code"]}, clerk)
        assert again.status_code == 409 and error_of(again.text) == "This coupon has been used"


def test_residents_and_clerks_are_kept_out_of_the_organisers_desk(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        shop = call(client, create_department, "老北京涮肉", "merchant")
        clerk = login_staff(client, "clerk", roles=("merchant_clerk",), department=shop)
        resident = login_resident(client)
        for url in ("/desk/activities", "/desk/activities/new", "/desk/activities/merchants"):
            view(client, url, resident, status=403)
            view(client, url, clerk, status=403)
        view(client, "/desk/activities/redeem", resident, status=403)


def test_pages_are_in_chinese_by_default(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        create(client, organiser(client), activity())
        client.cookies.clear()
        response = client.get("/activities", headers={"Accept": "text/html"})
        assert response.status_code == 200
        shown = text(response.text)
        assert "活动" in shown and "报名中 农业嘉年华" in shown and "Open for sign-up" not in shown
