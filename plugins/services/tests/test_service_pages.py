"""The life services as people use them in a browser: residents on the H5 pages (directory, a module's page,
its eligibility check, the application form, bookings, my services) and department staff on the desk pages.

Pages are asked for in English (``HTML``) so the words can be read; what a test checks is what a person would
notice: the text of the page, its status, where a form sends them, and what the API then reports.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from litestar.testing import TestClient
from PIL import Image

from newsplus import frozen_clock
from newsplus.testing import bearer, call, login_resident, login_staff, submit_form, view
from newsplus.testing import page_text as text
from newsplus.users.accounts import create_department
from newsplus_services.modules import builtin_modules

# Wednesday 2026-11-25, 09:30 in Beijing.
MORNING = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
MODULES = {m.slug: m for m in builtin_modules()}
GOOD_ID = "11010519491231002X"
BAD_ID = "110101199003071234"
PHONE = "13800138000"
EN = {"Accept-Language": "en"}


# -- helpers ---------------------------------------------------------------------------------------------


def png() -> bytes:
    """A small real PNG photo."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(buffer, "PNG")
    return buffer.getvalue()


def photo(data: bytes | None = None, name: str = "cert.png", kind: str = "image/png") -> dict:
    return {"marriage_certificate": (name, png() if data is None else data, kind)}


def birth_form(**changes: str) -> dict[str, str]:
    """A correct 生育登记 form as typed in the browser."""
    return {
        "mother_name": "王芳",
        "mother_id_number": GOOD_ID,
        "father_name": "",
        "father_id_number": "",
        "expected_date": "2027-03-01",
        "phone": PHONE,
        "notes": "",
        **changes,
    }


def field(page: str, name: str) -> str:
    """The label block of one form field (its input, help and error)."""
    found = re.search(rf'<label>(?:(?!</label>).)*?name="{re.escape(name)}".*?</label>', page, re.S)
    assert found, (name, page[:3000])
    return found.group(0)


def field_error(page: str, name: str) -> str:
    found = re.search(r'<small class="error" role="alert">(.*?)</small>', field(page, name), re.S)
    return text(found.group(1)) if found else ""


def value_of(page: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}"[^>]*?value="([^"]*)"', page)
    return found.group(1) if found else None


def location(response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:3000])
    return response.headers["location"]


def progress(page: str) -> list[str]:
    """The statuses of the Progress list, oldest first."""
    block = re.search(r"<h2>Progress</h2>\s*<ol class=\"plain\">(.*?)</ol>", page, re.S)
    assert block, page[:3000]
    return [text(s) for s in re.findall(r'<span class="status[^"]*">(.*?)</span>', block.group(1))]


def slot_values(page: str) -> dict[str, str]:
    """The bookable slots of the booking form: local time shown → the value posted."""
    found = re.findall(r'value="([^"]+)" required(?: disabled)?> (\d\d:\d\d)', page)
    return {shown: value for value, shown in found}


def api(client: TestClient, url: str, token: str):
    response = client.get(url, headers={**bearer(token), **EN})
    assert response.status_code == 200, response.text
    return response.json()


def apply_birth(client: TestClient, token: str, **changes: str) -> str:
    """Send a correct 生育登记 through the page; return the application's token."""
    sent = submit_form(client, "/services/birth/apply", birth_form(**changes), token, files=photo(), follow=False)
    where = location(sent)
    assert where.endswith("?sent=1"), where
    return where.removeprefix("/services/applications/").removesuffix("?sent=1")


@pytest.fixture
def client(newsplus_app):
    with frozen_clock(MORNING), TestClient(newsplus_app(["services"])) as client:
        yield client


# -- module pages, directory, home ----------------------------------------------------------------------


@pytest.mark.parametrize("slug", sorted(MODULES))
def test_every_module_page_shows_what_it_offers(client, slug: str) -> None:
    module = MODULES[slug]
    page = view(client, f"/services/{slug}")
    shown = text(page)
    assert module.name in shown
    if module.guide and module.guide.conditions:
        assert "Who can apply" in shown and module.guide.conditions[0] in shown
    if module.guide and module.guide.materials:
        assert "What to bring" in shown and module.guide.materials[0] in shown
    if module.mode != "native":
        assert f'href="{module.url}"' in page
    apply_link = re.search(rf'<a class="button" href="/services/{slug}/apply">(.*?)</a>', page)
    if module.form:
        assert apply_link and text(apply_link.group(1)) == (module.form_title or "Apply online")
    else:
        assert apply_link is None and f"/services/{slug}/apply" not in page
    assert ("Book a visit" in shown) == bool(module.resources)
    assert (f'href="/services/{slug}/book"' in page) == bool(module.resources)


def test_directory_groups_searches_and_filters(client) -> None:
    shown = text(view(client, "/services"))
    for label in ("生 · 出生与成长", "老 · 养老与退休", "病 · 医疗与健康", "走 · 身后事", "用 · 缴费与证照"):
        assert label in shown
    assert shown.index("生 · 出生与成长") < shown.index("老 · 养老与退休") < shown.index("病 · 医疗与健康")
    assert all(m.name in shown for m in MODULES.values())

    found = text(view(client, "/services?q=结婚"))
    assert "要结婚" in found and "看病就医" not in found and "社保" not in found
    assert "No service matches your search." in text(view(client, "/services?q=火箭发射"))

    sick = text(view(client, "/services?group=病"))
    assert "看病就医" in sick and "救助助残" in sick
    assert "要结婚" not in sick and "生 · 出生与成长" not in sick


def test_home_page_has_tiles_for_home_modules_and_the_directory(client) -> None:
    page = view(client, "/")
    assert '<a class="tile" href="/services/marriage">' in page and "要结婚" in text(page)
    assert '<a class="tile" href="/services/social-security">' in page
    assert '<a class="tile" href="/services">' in page and "全部服务" in text(page)
    assert '<a class="tile" href="/services/funeral">' not in page  # not a home module


# -- eligibility ----------------------------------------------------------------------------------------


def check(client: TestClient, **answers: str) -> str:
    query = "&".join(f"q.{k}={v}" for k, v in answers.items())
    return text(view(client, f"/services/marriage?check=1&{query}"))


def test_eligibility_check_on_the_module_page(client) -> None:
    reasons = {q.name: q.reason for q in MODULES["marriage"].eligibility}
    assert "From your answers you can apply." in check(client, age="是", unmarried="是", in_person="能")

    refused = check(client, age="是", unmarried="否", in_person="能")
    assert "From your answers you cannot apply yet:" in refused and reasons["unmarried"] in refused
    assert reasons["age"] not in refused and "you can apply." not in refused

    partial = check(client, age="是", unmarried="是")
    assert "Please answer every question." in partial and "you can apply." not in partial
    assert "Please answer every question." not in text(view(client, "/services/marriage"))


# -- applying -------------------------------------------------------------------------------------------


def test_refused_application_marks_each_field_and_keeps_what_was_typed(client) -> None:
    resident = login_resident(client, PHONE)
    typed = birth_form(mother_name="", mother_id_number=BAD_ID, phone="12345", expected_date="2026-11-01")
    refused = submit_form(client, "/services/birth/apply", typed, resident)
    assert refused.status_code == 400
    page = refused.text
    assert "Please correct the marked fields" in text(page)
    assert field_error(page, "mother_name") == "母亲姓名 is required"
    assert field_error(page, "mother_id_number") == "This is not a valid resident ID number"
    assert field_error(page, "phone") == "Give an 11-digit mobile number"
    assert field_error(page, "expected_date") == "The date cannot be in the past"
    assert field_error(page, "marriage_certificate") == "结婚证照片 is required"
    assert field_error(page, "notes") == ""
    assert value_of(page, "mother_id_number") == BAD_ID and value_of(page, "phone") == "12345"
    assert value_of(page, "expected_date") == "2026-11-01"
    assert api(client, "/api/v1/services/applications/mine", resident)["items"] == []


def test_a_photo_survives_a_refused_send(client) -> None:
    resident = login_resident(client, PHONE)
    refused = submit_form(client, "/services/birth/apply", birth_form(phone="12345"), resident, files=photo())
    assert refused.status_code == 400, refused.status_code
    assert field_error(refused.text, "phone") == "Give an 11-digit mobile number"
    kept = value_of(refused.text, "marriage_certificate.kept")
    assert kept, "the refused form carries no token for the uploaded photo"
    fixed = {**birth_form(), "marriage_certificate.kept": kept}
    assert location(submit_form(client, "/services/birth/apply", fixed, resident, follow=False))


def test_a_text_file_is_refused_as_a_photo(client) -> None:
    resident = login_resident(client, PHONE)
    refused = submit_form(
        client, "/services/birth/apply", birth_form(), resident, files=photo(b"not a picture\n", "c.png", "image/png")
    )
    assert refused.status_code == 415
    assert "Only JPEG, PNG, GIF and WebP images can be uploaded" in text(refused.text)
    assert api(client, "/api/v1/services/applications/mine", resident)["items"] == []


def test_a_refused_photo_keeps_the_typed_answers(client) -> None:
    resident = login_resident(client, PHONE)
    refused = submit_form(
        client, "/services/birth/apply", birth_form(), resident, files=photo(b"not a picture\n", "c.png", "image/png")
    )
    assert refused.status_code == 415
    assert value_of(refused.text, "mother_name") == "王芳"
    assert value_of(refused.text, "mother_id_number") == GOOD_ID


def test_a_sent_application_shows_its_tracking_number(client) -> None:
    resident = login_resident(client, PHONE)
    assert "生育登记" in text(view(client, "/services/birth/apply", resident))
    token = apply_birth(client, resident)
    number = api(client, f"/api/v1/services/applications/{token}", resident)["number"]
    shown = text(view(client, f"/services/applications/{token}?sent=1", resident))
    assert f"Sent. Keep the tracking number: {number}" in shown
    assert "王芳" in shown and GOOD_ID in shown and "Submitted" in shown
    mine = text(view(client, "/services/mine", resident))
    assert "生小孩" in mine and number in mine
    assert view(client, "/services/medical/apply", resident, status=400)


# -- the desk -------------------------------------------------------------------------------------------


def act(client: TestClient, staff: str, token: str, action: str, note: str = "", status: int = 303):
    done = submit_form(client, f"/desk/services/applications/{token}/{action}", {"note": note}, staff, follow=False)
    assert done.status_code == status, (action, done.status_code, done.text[:3000])
    return done


def test_an_application_through_the_desk_and_back(client) -> None:
    health = call(client, create_department, "区卫健委", "bureau")
    civil = call(client, create_department, "区民政局", "bureau")
    handler = login_staff(client, "handler", roles=("service_handler",), department=health)
    outsider = login_staff(client, "outsider", roles=("service_handler",), department=civil)
    resident = login_resident(client, PHONE)
    neighbour = login_resident(client, "13900139000")
    token = apply_birth(client, resident)
    number = api(client, f"/api/v1/services/applications/{token}", resident)["number"]

    assert number in text(view(client, "/desk/services", handler))
    assert number not in text(view(client, "/desk/services", outsider))
    view(client, f"/desk/services/applications/{token}", outsider, status=404)
    view(client, f"/services/applications/{token}", neighbour, status=404)
    desk = view(client, f"/desk/services/applications/{token}", handler)
    assert "王芳" in text(desk) and GOOD_ID in text(desk) and 'alt="结婚证照片"' in desk

    assert location(act(client, handler, token, "accept")) == f"/desk/services/applications/{token}"
    refused = act(client, handler, token, "request_info", "   ", status=400)
    assert "Say what is missing or why, for the resident" in text(refused.text)
    assert api(client, f"/api/v1/services/applications/{token}", resident)["status"] == "accepted"

    act(client, handler, token, "request_info", "请补充父亲的联系电话")
    asked = text(view(client, f"/desk/services/applications/{token}", handler))
    assert "More needed 2026-11-25 09:30 — 请补充父亲的联系电话" in asked
    sent = submit_form(
        client,
        f"/services/applications/{token}/supplement",
        {**birth_form(phone="13900139001"), "note": "已补充"},
        resident,
        follow=False,
    )
    assert location(sent) == f"/services/applications/{token}"
    assert api(client, f"/api/v1/services/applications/{token}", resident)["answers"]["phone"] == "13900139001"
    assert "Send what is missing" not in text(view(client, f"/services/applications/{token}", resident))

    act(client, handler, token, "approve")
    act(client, handler, token, "complete")
    done = view(client, f"/services/applications/{token}", resident)
    assert progress(done) == ["Submitted", "Accepted", "More needed", "Accepted", "Approved", "Completed"]
    assert "Withdraw" not in text(done) and "请补充父亲的联系电话" in text(done)
    assert number in text(view(client, "/desk/services?status=completed", handler))


def test_the_resident_sees_what_is_missing_and_the_form_to_send_it(client) -> None:
    health = call(client, create_department, "区卫健委", "bureau")
    handler = login_staff(client, "handler", roles=("service_handler",), department=health)
    resident = login_resident(client, PHONE)
    token = apply_birth(client, resident)
    act(client, handler, token, "accept")
    act(client, handler, token, "request_info", "请补充父亲的联系电话")
    page = view(client, f"/services/applications/{token}", resident)
    assert "请补充父亲的联系电话" in text(page) and "Send what is missing" in text(page)
    assert value_of(page, "mother_name") == "王芳" and value_of(page, "marriage_certificate.kept")


# -- bookings -------------------------------------------------------------------------------------------


def book(client: TestClient, token: str, at: str, *, resource: str = "gp", move: str = "", status: int = 303):
    page = view(client, f"/services/medical/book?resource={resource}" + (f"&move={move}" if move else ""), token)
    data = {"resource": resource, "starts_at": slot_values(page)[at], "phone": PHONE}
    if move:
        data = {"resource": resource, "starts_at": data["starts_at"], "move": move}
    sent = submit_form(client, "/services/medical/book", data, token, follow=False)
    assert sent.status_code == status, (sent.status_code, sent.text[:3000])
    return sent


def test_booking_moving_and_cancelling_through_pages(client) -> None:
    resident = login_resident(client, PHONE)
    page = view(client, "/services/medical/book", resident)
    times = slot_values(page)
    assert "全科门诊" in text(page) and "4 left" in text(page)
    assert "09:30" not in times and list(times)[:2] == ["09:45", "10:00"] and "11:15" in times

    where = location(book(client, resident, "11:00"))
    token = where.removeprefix("/services/bookings/")
    code = api(client, f"/api/v1/services/bookings/{token}", resident)["code"]
    shown = text(view(client, where, resident))
    assert f"Check-in code {code}" in shown and "2026-11-25 11:00" in shown and "Booked" in shown
    assert "看病就医 · 全科门诊 2026-11-25 11:00" in text(view(client, "/services/mine", resident))
    assert "3 left" in text(view(client, "/services/medical/book", resident))

    again = book(client, resident, "10:30", status=409)
    assert "You already have a booking here on that day" in text(again.text)

    assert "Move my booking" in text(view(client, f"/services/medical/book?resource=gp&move={token}", resident))
    assert location(book(client, resident, "11:15", move=token)) == where
    assert "2026-11-25 11:15" in text(view(client, where, resident))
    assert api(client, "/api/v1/services/bookings/mine", resident)[0]["starts_at"].startswith("2026-11-25T03:15")

    assert location(submit_form(client, f"{where}/cancel", {}, resident, follow=False)) == where
    cancelled = text(view(client, where, resident))
    assert "Cancelled" in cancelled and code not in cancelled
    assert api(client, f"/api/v1/services/bookings/{token}", resident)["status"] == "cancelled"


def test_the_desk_checks_residents_in_by_code(client) -> None:
    health = call(client, create_department, "区卫健委", "bureau")
    civil = call(client, create_department, "区民政局", "bureau")
    handler = login_staff(client, "handler", roles=("service_handler",), department=health)
    outsider = login_staff(client, "outsider", roles=("service_handler",), department=civil)
    resident = login_resident(client, PHONE)
    token = location(book(client, resident, "10:00")).removeprefix("/services/bookings/")
    booked = api(client, f"/api/v1/services/bookings/{token}", resident)
    code, name = booked["code"], booked["name"]

    board = text(view(client, "/desk/services/bookings", handler))
    assert "看病就医 · 全科门诊 1" in board and f"10:00 {name} {PHONE} Booked" in board
    assert "看病就医" not in text(view(client, "/desk/services/bookings", outsider))

    wrong = submit_form(client, "/desk/services/check-in", {"code": "ZZZZZZZZ"}, handler)
    assert wrong.status_code == 404 and "No booking has this code" in text(wrong.text)
    assert api(client, f"/api/v1/services/bookings/{token}", resident)["status"] == "booked"

    done = submit_form(client, "/desk/services/check-in", {"code": code.lower()}, handler)
    assert done.status_code == 200 and f"Checked in: {name}" in text(done.text)
    assert api(client, f"/api/v1/services/bookings/{token}", resident)["status"] == "checked_in"
    assert "Checked in" in text(view(client, f"/services/bookings/{token}", resident))


# -- my services ----------------------------------------------------------------------------------------


def kept_tiles(page: str) -> str:
    found = re.search(r"<h[12]>My services</h[12]>(.*?)</section>", page, re.S)
    return text(found.group(1)) if found else ""


def test_favourites_appear_under_my_services(client) -> None:
    resident = login_resident(client, PHONE)
    assert "Add to my services" in text(view(client, "/services/medical", resident))
    added = submit_form(client, "/services/medical/favourite", {"keep": "1"}, resident, follow=False)
    assert location(added) == "/services/medical"
    assert "Remove from my services" in text(view(client, "/services/medical", resident))
    assert "看病就医" in kept_tiles(view(client, "/services", resident))
    assert "看病就医" in kept_tiles(view(client, "/services/mine", resident))

    submit_form(client, "/services/medical/favourite", {"keep": "0"}, resident, follow=False)
    assert "看病就医" not in kept_tiles(view(client, "/services", resident))
    assert "看病就医" not in kept_tiles(view(client, "/services/mine", resident))
    assert api(client, "/api/v1/services/favourites", resident) == []


# -- settings and language ------------------------------------------------------------------------------


def test_a_disabled_module_is_not_offered(newsplus_app) -> None:
    settings = {"plugins": {"services": {"disabled": ["marriage"]}}}
    with TestClient(newsplus_app(["services"], settings=settings)) as client:
        view(client, "/services/marriage", status=404)
        directory = view(client, "/services")
        assert "要结婚" not in text(directory) and "/services/marriage" not in directory
        assert "生小孩" in text(directory)
        assert "/services/marriage" not in view(client, "/")


def test_pages_are_in_chinese_by_default(client) -> None:
    response = client.get("/services/marriage", headers={"Accept": "text/html"})
    assert response.status_code == 200
    shown = text(response.text)
    assert "办事指南" in shown and "办理条件" in shown and "预约办理" in shown
    assert "Who can apply" not in shown
