"""Bookings: slots from a resource's rules, never more bookings than places (also when 200 residents press
at once), cancelling and moving before the deadline, check-in by code, reminders the day before."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from litestar.testing import TestClient

from newsplus import district_scope, frozen_clock
from newsplus.notifications.tables import Notification
from newsplus.testing import bearer, call, login_resident, login_staff, make_app, serving
from newsplus.users.accounts import create_department
from newsplus.users.auth import _create_resident, _open_session
from newsplus_services.tables import Booking, Slot

EN = {"Accept-Language": "en"}
# Wednesday 2026-11-25, 09:30 in Beijing.
MORNING = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
GP = "/api/v1/services/modules/medical/resources/gp"
REGISTRY = "/api/v1/services/modules/marriage/resources/registry"


def slots(client: TestClient, base: str, day: str) -> list[dict]:
    answer = client.get(f"{base}/slots", params={"day": day})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def notifications() -> list[dict]:
    """Every notification sent, oldest first."""
    return await Notification.select().order_by(Notification.id)


def signed_in(client: TestClient, username: str) -> dict[str, str]:
    """Sign an existing staff account in again."""
    answer = client.post(
        "/api/v1/auth/login/password", json={"username": username, "password": "correct-horse-battery"}
    )
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["token"])


def left_at(client: TestClient, starts_at: str) -> int:
    """Places left in the marriage registry's slot starting then."""
    return next(s["left"] for s in slots(client, REGISTRY, starts_at[:10]) if s["starts_at"] == starts_at)


def book(client: TestClient, who: dict, base: str, starts_at: str, **fields) -> httpx.Response:
    return client.post(f"{base}/bookings", json={"starts_at": starts_at, **fields}, headers={**who, **EN})


def test_slots_follow_the_rules_and_places_count_down(newsplus_app) -> None:
    settings = {"plugins": {"services": {"holidays": ["2026-11-27"]}}}
    with frozen_clock(MORNING), TestClient(newsplus_app(["services"], settings=settings)) as client:
        today = slots(client, GP, "2026-11-25")
        # The general clinic opens 08:00-11:30 in 15-minute slots; at 09:30 only the slots still ahead are shown.
        assert [s["starts_at"] for s in today][:2] == ["2026-11-25T01:45:00Z", "2026-11-25T02:00:00Z"]
        assert len(today) == 7 and all(s["left"] == s["capacity"] == 4 for s in today)
        assert slots(client, GP, "2026-11-27") == []  # a holiday
        assert slots(client, GP, "2026-11-29") == []  # Sunday: closed
        assert slots(client, GP, "2026-11-24") == []  # yesterday
        assert slots(client, GP, "2026-12-31") == []  # beyond the week it takes bookings for
        assert client.get(f"{GP}/slots", params={"day": "tomorrow"}).status_code == 400

        first = today[0]["starts_at"]
        for phone in ("13800000001", "13800000002", "13800000003", "13800000004"):
            assert book(client, bearer(login_resident(client, phone)), GP, first).status_code == 201
        assert slots(client, GP, "2026-11-25")[0]["left"] == 0
        late = book(client, bearer(login_resident(client, "13800000005")), GP, first)
        assert late.status_code == 409 and late.json()["detail"] == "This time is fully booked; please choose another"


def test_bad_bookings_are_refused_with_a_reason_and_change_nothing(newsplus_app) -> None:
    with frozen_clock(MORNING), TestClient(newsplus_app(["services"])) as client:
        resident = bearer(login_resident(client))
        cases = [
            ("2026-11-25T00:00:00Z", 400, "This time has passed; please choose a later one"),
            ("2026-11-25T01:50:00Z", 400, "There is no booking at this time; please choose a listed one"),
            ("2026-11-29T01:00:00Z", 400, "There is no booking at this time; please choose a listed one"),
            ("2027-03-01T01:00:00Z", 400, "Bookings open 7 days ahead"),
        ]
        for starts_at, status, detail in cases:
            refused = book(client, resident, GP, starts_at)
            assert (refused.status_code, refused.json()["detail"]) == (status, detail), starts_at
        bad_phone = book(client, resident, GP, "2026-11-26T01:00:00Z", phone="12345")
        assert bad_phone.status_code == 400 and bad_phone.json()["extra"]["field"] == "phone"
        unknown = book(client, resident, "/api/v1/services/modules/medical/resources/dentist", "2026-11-26T01:00:00Z")
        assert unknown.status_code == 404
        assert client.post(f"{GP}/bookings", json={"starts_at": "2026-11-26T01:00:00Z"}).status_code == 401
        assert client.get("/api/v1/services/bookings/mine", headers=resident).json() == []
        assert call(client, Slot.count) == 0

        assert book(client, resident, GP, "2026-11-26T01:00:00Z").status_code == 201
        twice = book(client, resident, GP, "2026-11-26T02:00:00Z")
        assert twice.status_code == 409 and twice.json()["detail"] == "You already have a booking here on that day"
        assert book(client, resident, GP, "2026-11-27T02:00:00Z").status_code == 201  # another day is fine


def test_cancel_and_move_before_the_deadline_free_the_place(newsplus_app) -> None:
    with frozen_clock(MORNING) as clock, TestClient(newsplus_app(["services"])) as client:
        resident = bearer(login_resident(client))
        other = bearer(login_resident(client, "13900000000"))
        made = book(client, resident, REGISTRY, "2026-11-26T01:00:00Z").json()
        token = made["token"]
        assert made["status"] == "booked" and made["place"]
        assert client.get(f"/api/v1/services/bookings/{token}", headers=other).status_code == 404
        assert client.post(f"/api/v1/services/bookings/{token}/cancel", headers=other).status_code == 404

        moved = client.post(
            f"/api/v1/services/bookings/{token}/reschedule",
            json={"starts_at": "2026-11-27T02:00:00Z"},
            headers=resident,
        )
        assert moved.status_code == 200 and moved.json()["starts_at"] == "2026-11-27T02:00:00Z"
        assert left_at(client, "2026-11-26T01:00:00Z") == 6  # the old place is free again
        assert left_at(client, "2026-11-27T02:00:00Z") == 5

        clock.advance(hours=48)  # Friday 09:30, half an hour before the 10:00 booking: too late to change
        late = client.post(f"/api/v1/services/bookings/{token}/cancel", headers={**resident, **EN})
        assert late.status_code == 409
        assert late.json()["detail"] == "Changes close 2 hours before the booking; please call the service"
        clock.set(MORNING)
        cancelled = client.post(f"/api/v1/services/bookings/{token}/cancel", headers=resident)
        assert cancelled.json()["status"] == "cancelled"
        again = client.post(f"/api/v1/services/bookings/{token}/cancel", headers=resident)
        assert again.status_code == 409
        assert left_at(client, "2026-11-27T02:00:00Z") == 6
        # The day is free for this resident again.
        assert book(client, resident, REGISTRY, "2026-11-27T02:00:00Z").status_code == 201


def test_the_counter_checks_residents_in_by_code_on_the_day(newsplus_app) -> None:
    with frozen_clock(MORNING) as clock, TestClient(newsplus_app(["services"])) as client:
        health = call(client, create_department, "区卫健委", "bureau")
        civil = call(client, create_department, "区民政局", "bureau")
        nurse = bearer(login_staff(client, "nurse", roles=("service_handler",), department=health))
        clerk = bearer(login_staff(client, "clerk", roles=("service_handler",), department=civil))
        resident = bearer(login_resident(client))
        made = book(client, resident, GP, "2026-11-26T01:00:00Z", name="王芳").json()
        early = client.post("/api/v1/services/check-in", json={"code": made["code"]}, headers={**nurse, **EN})
        assert early.status_code == 409 and early.json()["detail"] == "This booking is for another day"

        clock.advance(hours=23)  # Thursday 08:30: the staff sign in again (a staff session lasts a working day)
        nurse, clerk = signed_in(client, "nurse"), signed_in(client, "clerk")
        day = client.get("/api/v1/services/bookings/day", params={"day": "2026-11-26"}, headers=nurse).json()
        gp = next(r for r in day if r["resource"] == "gp")
        assert [(b["name"], b["status"]) for b in gp["bookings"]] == [("王芳", "booked")]
        assert (
            client.get("/api/v1/services/bookings/day", params={"day": "2026-11-26"}, headers=clerk).json()[0][
                "bookings"
            ]
            == []
        )  # the civil affairs counter has its own resources
        assert client.post("/api/v1/services/check-in", json={"code": made["code"]}, headers=clerk).status_code == 403
        typed = made["code"].lower()[:4] + "-" + made["code"].lower()[4:]
        done = client.post("/api/v1/services/check-in", json={"code": typed}, headers=nurse)
        assert done.status_code == 200 and done.json()["status"] == "checked_in"
        twice = client.post("/api/v1/services/check-in", json={"code": made["code"]}, headers=nurse)
        assert twice.status_code == 409
        wrong = client.post("/api/v1/services/check-in", json={"code": "ZZZZZZZZ"}, headers={**nurse, **EN})
        assert wrong.status_code == 404 and wrong.json()["detail"] == "No booking has this code"
        assert client.post("/api/v1/services/check-in", json={"code": "X"}, headers=resident).status_code == 403


def test_residents_are_told_of_their_booking_and_reminded_the_day_before(newsplus_app) -> None:
    with frozen_clock(MORNING) as clock, TestClient(newsplus_app(["services"])) as client:
        newsplus = client.app.state.newsplus
        resident = bearer(login_resident(client))
        made = book(client, resident, REGISTRY, "2026-11-27T02:00:00Z").json()
        call(client, newsplus.dispatcher.deliver_pending)
        clock.advance(hours=12)
        call(client, newsplus.scheduler.run_due)
        call(client, newsplus.dispatcher.deliver_pending)
        clock.advance(hours=13)  # Thursday 10:30 Beijing: the booking is 23.5 hours away
        call(client, newsplus.scheduler.run_due)
        call(client, newsplus.dispatcher.deliver_pending)
        clock.advance(minutes=30)
        call(client, newsplus.scheduler.run_due)
        call(client, newsplus.dispatcher.deliver_pending)
        rows = call(client, notifications)
        assert [r["title"] for r in rows] == ["预约成功：要结婚", "明日办事提醒：要结婚"]
        reminder = rows[1]
        assert made["code"] in reminder["body"] and "2026-11-27 10:00" in reminder["body"]
        assert reminder["link"] == f"/services/bookings/{made['token']}"


async def test_200_residents_pressing_at_once_get_exactly_the_10_places(newsplus_database_url) -> None:
    settings = {"plugins": {"services": {"overrides": {"marriage": {"resources": [_hall(capacity=10)]}}}}}
    app = make_app(["services"], database_url=newsplus_database_url, settings=settings)
    with frozen_clock(MORNING):
        async with serving(app) as base:
            newsplus = app.state.newsplus
            with district_scope(newsplus.districts.primary):
                tokens = []
                for i in range(200):
                    user = await _create_resident(f"137{i:08d}")
                    tokens.append(await _open_session(newsplus, user, "test"))
            limits = httpx.Limits(max_connections=200)
            async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
                answers = await asyncio.gather(
                    *(
                        http.post(f"{REGISTRY}/bookings", json={"starts_at": "2026-11-26T02:00:00Z"}, headers=bearer(t))
                        for t in tokens
                    )
                )
            codes = sorted(a.status_code for a in answers)
            assert codes.count(201) == 10 and codes.count(409) == 190, {c: codes.count(c) for c in set(codes)}
            with district_scope(newsplus.districts.primary):
                assert await Booking.count().where(Booking.status == "booked") == 10
                [slot] = await Slot.select(Slot.booked)
                assert slot["booked"] == 10


def _hall(capacity: int) -> dict:
    return {"slug": "registry", "name": "婚姻登记窗口", "opens": "09:00", "closes": "17:00", "capacity": capacity}
