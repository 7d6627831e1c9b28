"""The activities API's rules as residents, organisers and merchants' clerks meet them: each refusal is a clear
4xx with its reason (in English here) and changes no count."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from litestar.testing import TestClient

from newsplus import frozen_clock
from newsplus.notifications.tables import Notification
from newsplus.testing import bearer, call, login_resident, login_staff
from newsplus.users.accounts import create_department
from newsplus_activities import registrations
from newsplus_activities.tables import Activity, Candidate, Coupon, CouponBatch, Registration, Vote

# Wednesday 2026-11-25, 09:30 in Beijing.
T = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
EN = {"Accept-Language": "en"}
API = "/api/v1/activities"
DESK = "/api/v1/activities/desk"
AUTH = "/api/v1/auth"
GOOD_ID = "11010519491231002X"
BAD_ID = "110101199003071234"
ID_FIELD = {"name": "id", "label": "身份证号", "type": "id_number", "required": True}


def iso(**delta: float) -> str:
    return (T + timedelta(**delta)).isoformat()


def activity(**fields) -> dict:
    """A published event five days ahead with two places (fields override)."""
    when = {"starts_at": iso(days=5), "ends_at": iso(days=5, hours=8)}
    return {"slug": "carnival", "title": "农业嘉年华", "capacity": 2, "published": True} | when | fields


def contest(**fields) -> dict:
    return activity(**{"slug": "elders", "title": "爱老敬老评比", "kind": "contest", "capacity": 0, **fields})


def create(client: TestClient, organiser: dict, **fields) -> int:
    made = client.post(f"{DESK}/activities", json=activity(**fields), headers=organiser)
    assert made.status_code == 201, made.text
    return made.json()["id"]


def send(client: TestClient, url: str, who: dict, body: dict | None = None):
    return client.post(url, json=body if body is not None else {}, headers={**who, **EN})


def refused(response, status: int, detail: str) -> None:
    assert (response.status_code, response.json().get("detail")) == (status, detail), response.text


def register(client: TestClient, who: dict, slug: str = "carnival", **body):
    return send(client, f"{API}/{slug}/registrations", who, body)


def organiser(client: TestClient) -> dict:
    return bearer(login_staff(client, "org", roles=("activity_organiser",)))


def signed_in_again(client: TestClient, username: str = "org") -> dict:
    """A staff session lasts 12 hours: sign the account in again after the clock moved on."""
    answer = client.post(f"{AUTH}/login/password", json={"username": username, "password": "correct-horse-battery"})
    return bearer(answer.json()["token"])


def resident(client: TestClient, phone: str = "13800138000") -> dict:
    return bearer(login_resident(client, phone))


def counts(client: TestClient) -> tuple[int, list[int]]:
    """Registrations in all, and the places taken of each activity."""

    async def read() -> tuple[int, list[int]]:
        taken = await Activity.select(Activity.taken).order_by(Activity.id)
        return await Registration.count(), [r["taken"] for r in taken]

    return call(client, read)


def inbox(client: TestClient, who: dict) -> list[str]:
    """The titles of one user's notifications, oldest first (events delivered first)."""
    call(client, client.app.state.newsplus.dispatcher.deliver_pending)
    me = client.get("/api/v1/me", headers=who).json()["id"]

    async def read() -> list[str]:
        rows = await Notification.select(Notification.title).where(Notification.user == me).order_by(Notification.id)
        return [r["title"] for r in rows]

    return call(client, read)


# -- registration -----------------------------------------------------------------------------------------


def test_refused_registrations_say_why_and_change_nothing(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        create(client, org, per_user=2, waitlist=False, opens_at=iso(hours=1), closes_at=iso(days=2), form=[ID_FIELD])
        create(client, org, slug="draft", title="未发布", published=False)
        create(client, org, slug="elders", title="爱老敬老评比", kind="contest", capacity=0)
        a, b = resident(client), resident(client, "13900139000")
        refused(register(client, a, answers={"id": GOOD_ID}), 409, "Registration has not opened yet")
        clock.advance(hours=2)
        refused(register(client, a, seats=3, answers={"id": GOOD_ID}), 400, "One registration takes 1 to 2 places")
        bad_id = register(client, a, answers={"id": BAD_ID})
        refused(bad_id, 400, "Please correct the marked fields")
        assert bad_id.json()["extra"]["errors"] == {"id": "This is not a valid resident ID number"}
        missing = register(client, a)
        assert missing.status_code == 400 and missing.json()["extra"]["errors"] == {"id": "身份证号 is required"}
        bad_phone = register(client, a, phone="12345", answers={"id": GOOD_ID})
        refused(bad_phone, 400, "Give an 11-digit mobile number")
        refused(register(client, a, "draft"), 404, "No such activity")
        refused(register(client, a, "elders"), 400, "This activity takes no registrations")
        assert counts(client) == (0, [0, 0, 0])

        placed = register(client, a, seats=2, answers={"id": GOOD_ID})
        assert placed.status_code == 201 and placed.json()["status"] == "registered"
        refused(register(client, a, answers={"id": GOOD_ID}), 409, "You have already registered for this activity")
        refused(register(client, b, answers={"id": GOOD_ID}), 409, "This activity is full")
        clock.advance(days=2)
        refused(register(client, b, answers={"id": GOOD_ID}), 409, "Registration has closed")
        assert counts(client) == (1, [2, 0, 0])


def test_a_cancelled_place_goes_to_the_waitlist_who_is_told(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        create(client, organiser(client), capacity=1, cancel_until=iso(days=1))
        a, b, c = resident(client), resident(client, "13900139000"), resident(client, "13700137000")
        first = register(client, a).json()
        second = register(client, b).json()
        assert (first["status"], second["status"]) == ("registered", "waitlisted")
        assert client.post(f"{API}/registrations/{first['token']}/cancel", headers=b).status_code == 404

        assert send(client, f"{API}/registrations/{first['token']}/cancel", a).json() == {"status": "cancelled"}
        mine = client.get(f"{API}/registrations/{second['token']}", headers=b).json()
        assert mine["status"] == "registered" and mine["qr"].startswith("<svg")
        assert inbox(client, b) == ["已进入候补：农业嘉年华", "候补成功，已为您保留名额：农业嘉年华"]
        assert inbox(client, a) == ["报名成功：农业嘉年华", "已取消报名：农业嘉年华"]
        again = send(client, f"{API}/registrations/{first['token']}/cancel", a)
        refused(again, 409, "This registration is cancelled and cannot be cancelled")

        assert register(client, c).json()["status"] == "waitlisted"
        clock.advance(days=1)
        late = send(client, f"{API}/registrations/{second['token']}/cancel", b)
        refused(late, 409, "Cancellation has closed for this activity")
        assert counts(client) == (3, [1])


def test_capacity_cannot_drop_below_the_places_taken(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        carnival = create(client, org, capacity=3, per_user=2)
        register(client, resident(client), seats=2)
        url = f"{DESK}/activities/{carnival}"
        lower = client.put(url, json=activity(capacity=1, per_user=2), headers={**org, **EN})
        refused(lower, 409, "More places are taken than this capacity")
        assert client.get(f"{API}/carnival").json()["capacity"] == 3 and counts(client) == (1, [2])
        assert client.put(url, json=activity(capacity=2, per_user=2), headers=org).status_code == 200


def test_raising_the_capacity_gives_the_new_places_to_the_waitlist(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        carnival = create(client, org, capacity=1)
        register(client, resident(client))
        waiting = register(client, resident(client, "13900139000")).json()
        assert waiting["status"] == "waitlisted"
        assert client.put(f"{DESK}/activities/{carnival}", json=activity(capacity=3), headers=org).status_code == 200
        late = register(client, resident(client, "13700137000")).json()
        statuses = [r["status"] for r in client.get(f"{DESK}/activities/{carnival}/registrations", headers=org).json()]
        assert (statuses, late["status"]) == (["registered", "registered", "registered"], "registered")


def test_a_registered_resident_is_reminded_once_before_the_start(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        create(client, organiser(client), starts_at=iso(hours=30), ends_at=iso(hours=33))
        register(client, a := resident(client))
        run = client.app.state.newsplus.scheduler.run_due
        call(client, run)
        assert "活动即将开始：农业嘉年华" not in inbox(client, a)  # 30 hours ahead: beyond remind_hours (24)
        for step in (7 * 60, 10, 10):  # into the 24 hours before the start, then twice more
            clock.advance(minutes=step)
            call(client, run)
        assert inbox(client, a).count("活动即将开始：农业嘉年华") == 1


def test_check_in_by_the_scanned_address_or_the_bare_token(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        create(client, org, starts_at=iso(days=1), ends_at=iso(days=1, hours=4))
        a, b = resident(client), resident(client, "13900139000")
        first = register(client, a, name="张三").json()["token"]
        second = register(client, b).json()["token"]
        address = registrations.check_in_url(client.app.state.newsplus, first)
        assert address.endswith(f"/desk/activities/check-in?code={first}")
        early = send(client, f"{DESK}/check-in", org, {"code": address})
        refused(early, 409, "Check-in is open from three hours before the activity until it ends")

        clock.advance(hours=22)  # two hours before the start
        org = signed_in_again(client)
        refused(send(client, f"{DESK}/check-in", a, {"code": address}), 403, "You do not have permission to do this")
        done = send(client, f"{DESK}/check-in", org, {"code": address})
        assert done.status_code == 200, done.text
        assert done.json() == {"status": "attended", "name": "张三", "seats": 1, "activity": "农业嘉年华"}
        refused(send(client, f"{DESK}/check-in", org, {"code": address}), 409, "Already checked in")
        assert send(client, f"{DESK}/check-in", org, {"code": second}).json()["status"] == "attended"
        refused(send(client, f"{DESK}/check-in", org, {"code": "nothing"}), 404, "No such registration")


# -- voting -----------------------------------------------------------------------------------------------


def candidate(client: TestClient, org: dict, contest_id: int, name: str) -> int:
    made = send(client, f"{DESK}/activities/{contest_id}/candidates", org, {"name": name})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def vote(client: TestClient, who: dict, candidate_id: int, slug: str = "elders"):
    return send(client, f"{API}/{slug}/votes", who, {"candidate": candidate_id})


def results(client: TestClient, slug: str = "elders") -> dict:
    return client.get(f"{API}/{slug}/results").json()


def test_voting_opens_and_closes_and_results_rank_with_ties(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        elders = create(client, org, **contest(voting_opens_at=iso(hours=1), voting_closes_at=iso(days=2)))
        ids = [candidate(client, org, elders, n) for n in ("王奶奶", "李爷爷", "赵阿姨")]
        a, b, c = resident(client), resident(client, "13900139000"), resident(client, "13700137000")
        refused(vote(client, a, ids[0]), 409, "Voting has not opened yet")
        clock.advance(hours=1)
        for who, choice in ((a, 0), (b, 0), (c, 1), (a, 1), (b, 2)):
            assert vote(client, who, ids[choice]).json() == {"counted": True}
        refused(vote(client, a, 999), 404, "No such candidate")
        live = results(client)
        assert not live["closed"]
        ranked = [(r["name"], r["votes"], r["rank"]) for r in live["candidates"]]
        assert ranked == [("王奶奶", 2, 1), ("李爷爷", 2, 1), ("赵阿姨", 1, 3)]
        clock.advance(days=2)
        org = signed_in_again(client)
        refused(vote(client, a, ids[2]), 409, "Voting has closed")
        assert results(client)["closed"]
        assert [r["votes"] for r in results(client)["candidates"]] == [2, 2, 1]

        other = candidate(client, org, create(client, org, **contest(slug="garden", title="最美庭院评比")), "刘家")
        clock.advance(days=4)  # past ends_at: a contest without voting_closes_at closes with the activity
        refused(vote(client, a, other, "garden"), 409, "Voting has closed")
        assert results(client, "garden")["closed"]


def test_daily_and_total_vote_limits_hold_across_days(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        elders = create(client, org, **contest(votes_per_day=2, votes_total=3))
        choice = candidate(client, org, elders, "王奶奶")
        a = resident(client)
        assert [vote(client, a, choice).status_code for _ in range(2)] == [201, 201]
        refused(vote(client, a, choice), 409, "You have used today's 2 votes; come back tomorrow")
        clock.advance(days=1)
        assert vote(client, a, choice).status_code == 201
        refused(vote(client, a, choice), 409, "You have used all your 3 votes in this contest")
        assert results(client)["candidates"][0]["votes"] == 3
        assert call(client, Vote.count) == 3


def test_a_proposed_candidate_shows_once_approved(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        elders = create(client, org, **contest(proposals=True))
        create(client, org, **contest(slug="closed-list", title="最美庭院"))
        a = resident(client)
        proposal = {"name": "孙大爷", "description": "每天义务巡逻"}
        refused(send(client, f"{API}/closed-list/candidates", a, proposal), 403, "This contest does not take proposals")
        made = send(client, f"{API}/elders/candidates", a, proposal)
        assert made.status_code == 201 and made.json()["status"] == "pending"
        pending = made.json()["id"]
        assert client.get(f"{API}/elders").json()["candidates"] == []
        refused(vote(client, a, pending), 404, "No such candidate")
        assert client.get(f"{DESK}/activities/{elders}/candidates", headers=org).json()[0]["name"] == "孙大爷"

        assert send(client, f"{DESK}/candidates/{pending}", a, {"status": "approved"}).status_code == 403
        assert send(client, f"{DESK}/candidates/{pending}", org, {"status": "approved"}).status_code == 204
        assert [c["name"] for c in client.get(f"{API}/elders").json()["candidates"]] == ["孙大爷"]
        assert vote(client, a, pending).json() == {"counted": True}
        assert call(client, Candidate.count) == 1


def test_no_proposals_before_the_contest_opens(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        create(client, org, **contest(proposals=True, opens_at=iso(days=1), voting_opens_at=iso(days=1)))
        early = send(client, f"{API}/elders/candidates", resident(client), {"name": "孙大爷"})
        assert early.status_code == 409 and call(client, Candidate.count) == 0


def test_a_burst_of_votes_from_one_address_is_kept_but_not_counted(newsplus_app) -> None:
    settings = {"plugins": {"activities": {"burst_votes": 3, "votes_per_minute": 1000}}}
    with frozen_clock(T), TestClient(newsplus_app(["activities"], settings=settings)) as client:
        org = organiser(client)
        elders = create(client, org, **contest())
        choice = candidate(client, org, elders, "王奶奶")
        voters = [resident(client, f"1390000000{i}") for i in range(5)]
        assert [vote(client, v, choice).json()["counted"] for v in voters] == [True, True, True, False, False]
        assert results(client)["candidates"][0]["votes"] == 3
        audit = client.get(f"{DESK}/activities/{elders}/audit", headers=org).json()
        assert (audit["counted"], audit["flagged"]) == (3, 2)
        assert audit["sources"] == [{"address": "testclient", "votes": 5}]
        assert client.get(f"{DESK}/activities/{elders}/audit", headers=voters[0]).status_code == 403


def test_too_many_votes_from_one_address_are_asked_to_wait(newsplus_app) -> None:
    settings = {"plugins": {"activities": {"votes_per_minute": 2}}}
    with frozen_clock(T), TestClient(newsplus_app(["activities"], settings=settings)) as client:
        org = organiser(client)
        choice = candidate(client, org, create(client, org, **contest()), "王奶奶")
        a, b = resident(client), resident(client, "13900139000")
        assert [vote(client, who, choice).status_code for who in (a, b)] == [201, 201]
        waited = vote(client, a, choice)
        refused(waited, 429, "Too many votes; please wait a little")
        assert 1 <= int(waited.headers["Retry-After"]) <= 60
        assert results(client)["candidates"][0]["votes"] == 2 and call(client, Vote.count) == 2


# -- coupons ----------------------------------------------------------------------------------------------


def batch(client: TestClient, org: dict, merchant: int, **fields):
    body = {"merchant": merchant, "title": "满100减20", "value": 2000, "min_spend": 10000, "stock": 10}
    return send(client, f"{DESK}/batches", org, body | {"valid_from": iso(), "valid_until": iso(days=7)} | fields)


def claim(client: TestClient, who: dict, batch_id: int):
    return send(client, f"{API}/coupons/{batch_id}/claim", who)


def redeem(client: TestClient, who: dict, code: str):
    return send(client, f"{DESK}/redeem", who, {"code": code})


def test_claiming_coupons_within_the_rules(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        create(client, org)
        shop = call(client, create_department, "老北京涮肉", "merchant")
        bad_value = "An amount in fen above 0, or a percentage from 1 to 99"
        refused(batch(client, org, shop, kind="percent", value=100), 400, bad_value)
        refused(batch(client, org, shop, value=0), 400, bad_value)
        no_activity = batch(client, org, shop, audience="participants")
        refused(no_activity, 400, "Coupons for participants belong to an activity")
        assert call(client, CouponBatch.count) == 0
        everyone = batch(client, org, shop).json()["id"]
        only = batch(client, org, shop, title="参与者专享", activity="carnival", audience="participants")
        for_them = only.json()["id"]
        a = resident(client)
        assert claim(client, a, everyone).status_code == 201
        refused(claim(client, a, everyone), 409, "You have claimed as many of these coupons as one resident may")
        refused(claim(client, a, for_them), 403, "Only participants of the activity can claim this coupon")
        refused(claim(client, a, 999), 404, "No such coupon")
        assert call(client, Coupon.count) == 1
        register(client, a)
        assert claim(client, a, for_them).status_code == 201
        mine = client.get(f"{API}/coupons/mine", headers=a).json()
        assert [c["title"] for c in mine] == ["参与者专享", "满100减20"]
        assert all(len(c["code"]) == 10 and c["status"] == "claimed" for c in mine)


def test_redeeming_a_coupon_at_its_own_merchant_once(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        shop = call(client, create_department, "老北京涮肉", "merchant")
        other = call(client, create_department, "稻香村", "merchant")
        clerk = bearer(login_staff(client, "clerk", roles=("merchant_clerk",), department=shop))
        stranger = bearer(login_staff(client, "baker", roles=("merchant_clerk",), department=other))
        now_batch = batch(client, org, shop, valid_until=iso(days=2)).json()["id"]
        later_batch = batch(client, org, shop, title="周末券", valid_from=iso(days=1)).json()["id"]
        batch(client, org, other, title="点心券")
        a = resident(client)
        code = claim(client, a, now_batch).json()["code"]
        later = claim(client, a, later_batch).json()["code"]

        refused(redeem(client, stranger, code), 403, "This coupon is for another merchant")
        refused(redeem(client, clerk, "NOSUCHCODE"), 404, "No such coupon")
        refused(redeem(client, clerk, later), 409, "This coupon is not valid yet")
        done = redeem(client, clerk, f" {code[:5]}-{code[5:].lower()} ")
        assert done.status_code == 200 and done.json() == {"title": "满100减20", "status": "redeemed"}
        refused(redeem(client, clerk, code), 409, "This coupon has been used")

        statistics = client.get(f"{DESK}/statistics", headers=clerk).json()
        shown = [(s["title"], s["claimed"], s["redeemed"]) for s in statistics]
        assert shown == [("满100减20", 1, 1), ("周末券", 1, 0)]
        assert [s["title"] for s in client.get(f"{DESK}/statistics", headers=stranger).json()] == ["点心券"]
        assert len(client.get(f"{DESK}/statistics", headers=org).json()) == 3

        expiring = claim(client, resident(client, "13900139000"), now_batch).json()["code"]
        clock.advance(days=3)
        clerk = signed_in_again(client, "clerk")
        refused(redeem(client, clerk, expiring), 409, "This coupon has expired")
        assert [c["status"] for c in client.get(f"{API}/coupons/mine", headers=a).json()] == ["claimed", "redeemed"]


# -- the roster and a resident's data ----------------------------------------------------------------------


def test_the_csv_of_registrations_masks_phones_and_id_numbers(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        carnival = create(client, org, form=[ID_FIELD])
        a = resident(client)
        register(client, a, name="张三", answers={"id": GOOD_ID.lower()})
        answer = client.get(f"{DESK}/activities/{carnival}/registrations.csv", headers=org)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        assert answer.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert rows[0][:5] == ["name", "phone", "seats", "status", "身份证号"]
        assert rows[1][:5] == ["张三", "138****8000", "1", "registered", "110105********002X"]
        assert rows[1][5] == "2026-11-25 09:30"
        assert "13800138000" not in answer.text and GOOD_ID not in answer.text
        assert client.get(f"{DESK}/activities/{carnival}/registrations.csv", headers=a).status_code == 403


def test_a_residents_data_is_exported_and_blanked_with_the_account(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        carnival = create(client, org)
        shop = call(client, create_department, "老北京涮肉", "merchant")
        a = resident(client)
        token = register(client, a, name="张三").json()["token"]
        code = claim(client, a, batch(client, org, shop).json()["id"]).json()["code"]
        exported = client.get("/api/v1/me/export", headers=a).json()["activities"]
        mine = [(r["token"], r["slug"], r["status"]) for r in exported["registrations"]]
        assert mine == [(token, "carnival", "registered")]
        assert [c["code"] for c in exported["coupons"]] == [code]

        assert client.delete("/api/v1/me", headers=a).status_code == 204
        roster = client.get(f"{DESK}/activities/{carnival}/registrations", headers=org).json()
        assert [(r["name"], r["phone"], r["status"]) for r in roster] == [("", "", "registered")]
        assert counts(client) == (1, [1])


def test_the_export_holds_the_residents_votes(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        choice = candidate(client, org, create(client, org, **contest()), "王奶奶")
        a = resident(client)
        assert vote(client, a, choice).status_code == 201
        exported = client.get("/api/v1/me/export", headers=a).json()["activities"]
        assert len(exported.get("votes", [])) == 1


def test_a_coupon_batch_needs_times_with_their_time_zone(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        org = organiser(client)
        shop = call(client, create_department, "昌平苹果园", "merchant")
        batch = {"merchant": shop, "title": "八折", "kind": "percent", "value": 20, "stock": 5}
        naive = {"valid_from": "2026-12-01T09:00:00", "valid_until": "2026-12-04T09:00:00"}
        refused(
            send(client, "/api/v1/activities/desk/batches", org, {**batch, **naive}),
            400,
            "Give times with their time zone",
        )
        assert call(client, CouponBatch.count) == 0
