"""What leaves the app as files: the iCalendar a resident adds to their calendar, and the QR code a resident
shows at the entrance, read back by a scanner and checked in."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import zxingcpp
from icalendar import Calendar
from litestar.testing import TestClient
from PIL import Image

from newsplus import frozen_clock
from newsplus.testing import bearer, call, login_resident, login_staff
from newsplus_activities import registrations

T = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
EN = {"Accept-Language": "en"}


def festival(**fields) -> dict:
    start = T + timedelta(days=3)
    return {
        "slug": "food-festival",
        "title": "昌平美食节",
        "kind": "festival",
        "place": "昌平新城滨河森林公园",
        "summary": "百家商户，满减优惠",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat(),
        "capacity": 100,
        "published": True,
        "sessions": [
            {"title": "开幕式", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()},
            {
                "title": "美食市集",
                "place": "南门广场",
                "starts_at": (start + timedelta(hours=2)).isoformat(),
                "ends_at": (start + timedelta(hours=10)).isoformat(),
            },
        ],
        **fields,
    }


def test_the_icalendar_of_an_activity_and_of_all_upcoming_ones_parses(newsplus_app) -> None:
    with frozen_clock(T), TestClient(newsplus_app(["activities"])) as client:
        organiser = bearer(login_staff(client, "org", roles=("activity_organiser",)))
        assert client.post("/api/v1/activities/desk/activities", json=festival(), headers=organiser).status_code == 201
        later = festival(slug="carnival", title="农业嘉年华", kind="event", sessions=[])
        later["starts_at"] = (T + timedelta(days=20)).isoformat()
        later["ends_at"] = (T + timedelta(days=20, hours=6)).isoformat()
        client.post("/api/v1/activities/desk/activities", json=later, headers=organiser)
        hidden = festival(slug="draft", title="未发布", published=False, sessions=[])
        client.post("/api/v1/activities/desk/activities", json=hidden, headers=organiser)

        one = client.get("/api/v1/activities/food-festival/calendar.ics")
        assert one.status_code == 200 and one.headers["content-type"].startswith("text/calendar")
        events = [c for c in Calendar.from_ical(one.content).walk("VEVENT")]
        assert [str(e["summary"]) for e in events] == ["昌平美食节 · 开幕式", "昌平美食节 · 美食市集"]
        assert events[0].decoded("dtstart") == T + timedelta(days=3)
        assert str(events[1]["location"]) == "南门广场" and str(events[0]["location"]) == "昌平新城滨河森林公园"
        assert str(events[0]["url"]).endswith("/activities/food-festival")
        assert len({str(e["uid"]) for e in events}) == 2

        every = Calendar.from_ical(client.get("/api/v1/activities/calendar.ics").content)
        titles = sorted(str(e["summary"]) for e in every.walk("VEVENT"))
        assert titles == ["农业嘉年华", "昌平美食节 · 开幕式", "昌平美食节 · 美食市集"]
        assert client.get("/api/v1/activities/draft/calendar.ics").status_code == 404


def test_the_qr_code_on_a_registration_reads_back_and_checks_the_resident_in(newsplus_app) -> None:
    with frozen_clock(T) as clock, TestClient(newsplus_app(["activities"])) as client:
        organiser = bearer(login_staff(client, "org", roles=("activity_organiser",)))
        client.post("/api/v1/activities/desk/activities", json=festival(), headers=organiser)
        resident = bearer(login_resident(client))
        made = client.post("/api/v1/activities/food-festival/registrations", json={"seats": 1}, headers=resident).json()
        page = client.get(f"/api/v1/activities/registrations/{made['token']}", headers=resident).json()
        assert page["qr"].startswith("<svg")

        # The image the app serves, read back as a phone's scanner reads it.
        image = client.get(f"/api/v1/activities/registrations/{made['token']}/qr.png", headers=resident)
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        [read] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.content)))
        assert read.text == registrations.check_in_url(client.app.state.newsplus, made["token"])
        assert registrations.token_from_scan(read.text) == made["token"]
        other = bearer(login_resident(client, "13900139000"))
        assert client.get(f"/api/v1/activities/registrations/{made['token']}/qr.png", headers=other).status_code == 404

        clock.advance(days=3)
        organiser = bearer(login_staff(client, "gate", roles=("activity_organiser",)))  # the day's staff at the gate
        checked = client.post("/api/v1/activities/desk/check-in", json={"code": read.text}, headers=organiser)
        assert checked.status_code == 200 and checked.json()["status"] == "attended"
        again = client.post("/api/v1/activities/desk/check-in", json={"code": read.text}, headers={**organiser, **EN})
        assert again.status_code == 409 and again.json()["detail"] == "Already checked in"
        rows = call(client, lambda: registrations.roster(1))
        assert rows[0]["checked_in_at"] is not None
