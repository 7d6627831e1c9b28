"""Abuse and bad input on the full app (every plugin): size caps, sniffed uploads, broken JSON, rate limits,
SQL and LIKE metacharacters in search boxes, security headers, cookies and CSRF on every page form."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from PIL import Image

from newsplus import db, frozen_clock
from newsplus.content.tables import Article, Comment, Media
from newsplus.testing import HTML, bearer, call, login_staff, make_app, page_text
from newsplus.users.accounts import create_department
from newsplus.users.auth import _create_resident, _open_session
from newsplus.users.tables import Department, User
from newsplus_activities.tables import Candidate, Coupon, Registration, Vote
from newsplus_govinfo.tables import ImportRun, Notice
from newsplus_services.tables import Application, ApplicationFile, Booking
from newsplus_wenzheng.tables import Inquiry, Photo

PLUGINS = ("wenzheng", "services", "activities", "govinfo")
EN = {"Accept-Language": "en"}
# Wednesday 2026-11-25, 09:30 in Beijing: service halls are open, activities are ahead.
T = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
GP = "/api/v1/services/modules/medical/resources/gp"
GOOD_ID = "11010519491231002X"
ONE_STEP = {"review_chain": [{"name": "终审", "role": "chief_editor"}], "distinct_reviewers": False}


# -- the world a test works in ---------------------------------------------------------------------------


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Settings tables merged one level deeper than dict.update (``plugins.content`` and ``plugins.wenzheng``)."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def full_app(media: Path, database_url: str | None = None, settings: dict[str, Any] | None = None) -> Litestar:
    """The app with every plugin, its media in ``media``, articles out after one review step."""
    base = {"site": {"media": str(media)}, "plugins": {"content": dict(ONE_STEP)}}
    return make_app(PLUGINS, database_url=database_url, settings=merged(base, settings or {}))


def resident(client: TestClient, phone: str) -> str:
    """A resident's session token, made directly (the SMS code limits are tested on their own)."""

    async def make() -> str:
        user = await _create_resident(phone)
        return await _open_session(client.app.state.newsplus, user, "test")

    return call(client, make)


def png(size: tuple[int, int] = (60, 40), colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def noise_png(side: int) -> bytes:
    """A PNG that does not compress: about 3 bytes per pixel."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG", compress_level=0)
    return out.getvalue()


def count(client: TestClient, table: Any) -> int:
    return call(client, table.count)


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


class World:
    """One district on the full app: an admin (every permission), a street and a bureau, articles, notices,
    activities and residents made on demand; ``media`` is where uploads land."""

    def __init__(self, client: TestClient, media: Path) -> None:
        self.client = client
        self.media = media
        self.admin_token = login_staff(client, "admin")
        self.admin = bearer(self.admin_token)
        self.street = call(client, create_department, "天通苑北街道", "street")
        self.bureau = call(client, create_department, "区人力社保局", "bureau")
        self._phones = iter(f"137{n:08d}" for n in range(1, 10**6))
        self._made: set[str] = set()

    def resident(self) -> str:
        return resident(self.client, next(self._phones))

    def send(self, method: str, path: str, body: Any = None, who: dict | None = None, expect: int = 0) -> Any:
        answer = self.client.request(method, path, json=body, headers={**(who or self.admin), **EN})
        if expect:
            assert answer.status_code == expect, (path, answer.text)
        return answer.json() if answer.content else None

    def article(self, title: str, body: str = "") -> int:
        """A published article in the news channel (made on first use)."""
        if "news" not in self._made:
            self.send("POST", "/api/v1/content/channels", {"slug": "news", "name": "新闻"}, expect=201)
            self._made.add("news")
        made = self.send(
            "POST", "/api/v1/content/articles", {"title": title, "channel": "news", "body": body}, expect=201
        )
        self.send("POST", f"/api/v1/content/articles/{made['id']}/submit", expect=200)
        self.send("POST", f"/api/v1/content/articles/{made['id']}/approve", expect=200)
        return made["id"]

    def notice(self, title: str, category: str = "社保") -> int:
        """A published government notice of the bureau."""
        body = {"title": title, "level": "district", "category": category, "department": self.bureau}
        made = self.send("POST", "/api/v1/govinfo/notices", body, expect=201)
        self.send("POST", f"/api/v1/govinfo/notices/{made['id']}/submit", expect=200)
        self.send("POST", f"/api/v1/govinfo/notices/{made['id']}/approve", {}, expect=200)
        return made["id"]

    def inquiry(self, who: dict, **fields: Any) -> dict:
        body = {
            "kind": "complaint",
            "category": "sanitation",
            "title": "小区垃圾堆积什么时候清运？",
            "body": "天通苑北一区的垃圾已经堆了一周，气味很大。",
            "street": self.street,
            "public": True,
            **fields,
        }
        return self.send("POST", "/api/v1/wenzheng/inquiries", body, who=who, expect=201)

    def activity(self, slug: str, **fields: Any) -> int:
        """A published activity five days ahead; its id."""
        when = {
            "starts_at": (T + timedelta(days=5)).isoformat(),
            "ends_at": (T + timedelta(days=5, hours=8)).isoformat(),
        }
        body = {"slug": slug, "title": "农业嘉年华", "capacity": 100, "published": True} | when | fields
        return self.send("POST", "/api/v1/activities/desk/activities", body, expect=201)["id"]

    def contest(self, slug: str, **fields: Any) -> tuple[int, int]:
        """A published contest open for votes and proposals, with one approved candidate: (activity, candidate)."""
        activity = self.activity(slug, kind="contest", title="爱老敬老评比", capacity=0, proposals=True, **fields)
        made = self.send("POST", f"/api/v1/activities/desk/activities/{activity}/candidates", {"name": "王奶奶"})
        return activity, made["id"]

    def coupons(self, stock: int = 1000, per_user: int = 100) -> int:
        """A batch of coupons anyone may claim; its id."""
        shop = call(self.client, create_department, f"老北京涮肉{len(self._made)}", "merchant")
        self._made.add(f"shop{shop}")
        body = {"merchant": shop, "title": "满100减20", "value": 2000, "stock": stock, "per_user": per_user}
        body |= {"valid_from": T.isoformat(), "valid_until": (T + timedelta(days=7)).isoformat()}
        return self.send("POST", "/api/v1/activities/desk/batches", body, expect=201)["id"]

    def files(self) -> set[Path]:
        return set(stored_files(self.media))

    def rows(self) -> dict[str, int]:
        tables = (Media, Photo, ApplicationFile, Application, Booking, ImportRun, Notice, Inquiry, Comment)
        return {t.__name__: count(self.client, t) for t in (*tables, Registration, Vote, Candidate, Department, User)}


_SHARED: dict[str, World] = {}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The full app on SQLite with a small upload cap (1 MB), shared by this module's tests (each uses its own
    residents, so their rate limits do not meet), at a fixed Wednesday morning."""
    media = tmp_path_factory.mktemp("media")
    app = full_app(media, settings={"plugins": {"content": {"max_upload_mb": 1}}})
    with frozen_clock(T), TestClient(app) as client:
        _SHARED["world"] = World(client, media)
        yield _SHARED["world"]
        del _SHARED["world"]


@pytest.fixture
def own_app() -> Iterator[None]:
    """For a test that builds an app of its own: building one points every piccolo table at its database, so
    afterwards point them back at the shared world's."""
    yield
    if "world" in _SHARED:
        newsplus = _SHARED["world"].client.app.state.newsplus
        db.activate(newsplus.engine, newsplus.piccolo_apps)


# -- 1. sizes ----------------------------------------------------------------------------------------------


def test_an_oversized_json_body_is_refused_with_413_and_nothing_is_stored(world: World) -> None:
    client, who = world.client, bearer(world.resident())
    before = world.rows()
    body = (
        b'{"kind": "complaint", "category": "sanitation", "title": "x", "body": "' + b"a" * (11 * 1024 * 1024) + b'"}'
    )
    refused = client.post(
        "/api/v1/wenzheng/inquiries", content=body, headers={**who, **EN, "Content-Type": "application/json"}
    )
    assert refused.status_code == 413
    assert refused.json()["status_code"] == 413 and refused.json()["detail"]
    assert world.rows() == before


def test_an_oversized_json_body_is_explained_in_the_callers_language(world: World) -> None:
    body = b'{"phone": "' + b"1" * (11 * 1024 * 1024) + b'"}'
    refused = world.client.post("/api/v1/auth/code", content=body, headers={"Content-Type": "application/json"})
    assert refused.status_code == 413
    assert re.search(r"[\u4e00-\u9fff]", refused.json()["detail"]), refused.json()


API_UPLOADS = ["content", "services", "wenzheng", "govinfo"]


def _api_upload(world: World, route: str) -> tuple[str, dict]:
    """The address of an API upload route, and who may use it."""
    if route == "wenzheng":
        who = bearer(world.resident())
        return f"/api/v1/wenzheng/inquiries/{world.inquiry(who)['token']}/photos", who
    if route == "services":
        return "/api/v1/services/uploads", bearer(world.resident())
    return {"content": "/api/v1/content/media", "govinfo": "/api/v1/govinfo/imports"}[route], world.admin


def _page_upload(world: World, route: str, data: bytes, name: str = "big.png", kind: str = "image/png"):
    """A page form that takes a file: (address, fields, files, the session token to post with)."""
    if route == "content":
        return "/desk/content/media", {"alt": "x"}, {"file": (name, data, kind)}, world.admin_token
    if route == "govinfo":
        return "/desk/govinfo/imports", {}, {"file": (name, data, kind)}, world.admin_token
    token = world.resident()
    if route == "wenzheng":
        fields = {"kind": "complaint", "category": "sanitation", "title": "垃圾堆积", "body": "垃圾堆了一周。"}
        return "/wenzheng/new", fields | {"street": str(world.street)}, {"photos": (name, data, kind)}, token
    fields = {"mother_name": "李娜", "mother_id_number": GOOD_ID, "expected_date": "2027-03-01", "phone": "13800138000"}
    return "/services/birth/apply", fields, {"marriage_certificate": (name, data, kind)}, token


def post_form(client: TestClient, url: str, data: dict, token: str | None, files: Any = None) -> Any:
    """A browser's form POST with its session cookie and the CSRF token its page carried."""
    if token:
        client.cookies.set("newsplus_session", token)
    else:
        client.cookies.delete("newsplus_session")
    if not client.cookies.get("newsplus_csrf"):
        client.get("/", headers=HTML)
    data = {**data, "_csrf_token": client.cookies.get("newsplus_csrf")}
    return client.post(url, data=data, files=files, headers=HTML, follow_redirects=False)


def _too_big(route: str) -> bytes:
    if route == "govinfo":
        return b"title,level,category,department\n" + b"x" * (1536 * 1024)
    return noise_png(700)


@pytest.mark.parametrize("route", API_UPLOADS)
def test_an_upload_over_the_cap_is_refused_with_413_on_every_api_upload_route(world: World, route: str) -> None:
    path, who = _api_upload(world, route)
    before, files = world.rows(), world.files()
    big = _too_big(route)
    assert len(big) > 1024 * 1024
    refused = world.client.post(path, files={"file": ("big.png", big, "image/png")}, headers={**who, **EN})
    assert refused.status_code == 413, refused.text
    assert refused.json()["detail"] == "Files may be at most 1 MB"
    assert world.rows() == before and world.files() == files


@pytest.mark.parametrize("route", API_UPLOADS)
def test_an_upload_over_the_cap_is_refused_with_413_on_every_upload_form(world: World, route: str) -> None:
    url, fields, files, token = _page_upload(world, route, _too_big(route))
    before, stored = world.rows(), world.files()
    refused = post_form(world.client, url, fields, token, files)
    assert refused.status_code == 413, refused.text[:2000]
    assert "Files may be at most 1 MB" in refused.text
    assert world.rows() == before and world.files() == stored


def test_the_services_file_cap_of_its_own_settings_is_kept(tmp_path: Path, own_app: None) -> None:
    app = full_app(tmp_path / "media", settings={"plugins": {"services": {"max_file_mb": 1}}})
    with TestClient(app) as client:
        photo = noise_png(700)
        assert 1024 * 1024 < len(photo) < 20 * 1024 * 1024
        answer = client.post(
            "/api/v1/services/uploads",
            files={"file": ("scan.png", photo, "image/png")},
            headers={**bearer(resident(client, "13800138000")), **EN},
        )
        assert answer.status_code == 413, answer.text


# -- 1. what an upload really is ----------------------------------------------------------------------------

SCRIPT = b"<script>alert(document.cookie)</script>"
DISGUISED = {
    "text named .jpg": ("photo.jpg", b"just some text, not a picture " + SCRIPT, "image/jpeg"),
    "svg with a script": (
        "photo.svg",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">' + SCRIPT + b"</svg>",
        "image/svg+xml",
    ),
    "jpeg header then html": ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00<html>" + SCRIPT, "image/jpeg"),
    "gif header then javascript": ("photo.gif", b"GIF89a/*\x00\x00*/=1;alert(document.domain);//", "image/gif"),
}


@pytest.mark.parametrize("route", ["content", "services", "wenzheng"])
def test_files_that_are_not_images_are_refused_with_415_whatever_their_name(world: World, route: str) -> None:
    path, who = _api_upload(world, route)
    before, stored = world.rows(), world.files()
    for kind, (name, data, declared) in DISGUISED.items():
        refused = world.client.post(path, files={"file": (name, data, declared)}, headers={**who, **EN})
        assert refused.status_code == 415, (kind, refused.text)
        assert refused.json()["detail"].startswith(("Only JPEG", "This file is not a readable image")), kind
    assert world.rows() == before and world.files() == stored


@pytest.mark.parametrize("route", ["content", "services", "wenzheng"])
def test_a_disguised_file_sent_through_a_form_is_refused_with_415(world: World, route: str) -> None:
    for kind, (name, data, declared) in DISGUISED.items():
        url, fields, files, token = _page_upload(world, route, data, name, declared)
        before, stored = world.rows(), world.files()
        refused = post_form(world.client, url, fields, token, files)
        assert refused.status_code == 415, (kind, refused.status_code, refused.text[:1500])
        assert world.rows() == before and world.files() == stored


def test_an_image_carrying_a_script_is_re_encoded_and_served_without_it(world: World) -> None:
    polyglot = png() + b"<html>" + SCRIPT + b"</html>"
    for path, who in (_api_upload(world, "content"), _api_upload(world, "services")):
        made = world.client.post(path, files={"file": ("ok.png", polyglot, "image/png")}, headers=who)
        assert made.status_code == 201, made.text
        served = world.client.get(made.json()["url"], headers=who)  # a resident's form file is theirs alone
        assert served.status_code == 200 and served.headers["content-type"].startswith("image/")
        assert served.headers["x-content-type-options"] == "nosniff"
        assert b"<script" not in served.content and b"<html" not in served.content


def test_a_fake_video_is_refused(world: World) -> None:
    stored = world.files()
    fake = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"<html>" + SCRIPT * 10
    answer = world.client.post(
        "/api/v1/content/media", files={"file": ("clip.mp4", fake, "video/mp4")}, headers=world.admin
    )
    assert answer.status_code == 415, answer.text
    assert world.files() == stored


def test_an_image_sent_as_a_notice_import_is_refused_and_imports_nothing(world: World) -> None:
    before = world.rows()
    answer = world.client.post(
        "/api/v1/govinfo/imports", files={"file": ("notices.csv", png(), "text/csv")}, headers={**world.admin, **EN}
    )
    assert 400 <= answer.status_code < 500 and answer.json()["detail"], answer.text
    url, fields, files, token = _page_upload(world, "govinfo", png(), "notices.csv", "text/csv")
    page = post_form(world.client, url, fields, token, files)
    assert 400 <= page.status_code < 500
    assert world.rows() == before


# -- 1. broken and mislabelled JSON on every API write -----------------------------------------------------


def _fill(path: str) -> str:
    """A route's path with its parameters filled in (ids 1, names x)."""
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: "1" if m.group(2) == "int" else "x", path)


def json_writes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path) of every API route that reads a JSON body, generated from the app's routes."""
    found = []
    for route in app.routes:
        if not route.path.startswith(("/api/", "/open311/")):
            continue
        for handler in route.route_handlers:
            methods = set(getattr(handler, "http_methods", ())) & {"POST", "PUT", "PATCH"}
            data = handler.parsed_fn_signature.parameters.get("data")
            if methods and data is not None and "UploadFile" not in repr(data.annotation):
                found.extend((method, route.path) for method in sorted(methods))
    return sorted(found)


def test_every_json_api_write_answers_malformed_json_with_a_clear_400(world: World) -> None:
    client = world.client
    writes = json_writes(client.app)
    assert len(writes) >= 50, writes  # the sweep really covers the API
    before = world.rows()
    wrong = []
    for method, path in writes:
        for body in (b'{"title": "x",', b"\xff\xfe not json", b"[1, 2"):
            answer = client.request(
                method, _fill(path), content=body, headers={**world.admin, **EN, "Content-Type": "application/json"}
            )
            detail = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
            if answer.status_code != 400 or detail.get("detail") != "The request data is invalid":
                wrong.append((method, path, body[:8], answer.status_code, answer.text[:200]))
    assert wrong == []
    assert world.rows() == before


def test_every_json_api_write_refuses_a_form_encoded_body(world: World) -> None:
    before = world.rows()
    wrong = []
    for method, path in json_writes(world.client.app):
        answer = world.client.request(
            method,
            _fill(path),
            content=b"title=x&phone=13800138000",
            headers={**world.admin, **EN, "Content-Type": "application/x-www-form-urlencoded"},
        )
        if not 400 <= answer.status_code < 500:
            wrong.append((method, path, answer.status_code, answer.text[:200]))
    assert wrong == []
    assert world.rows() == before


def test_upload_routes_refuse_a_json_body_instead_of_a_file(world: World) -> None:
    for route in API_UPLOADS:
        path, who = _api_upload(world, route)
        before, stored = world.rows(), world.files()
        answer = world.client.post(path, json={"file": "aGVsbG8="}, headers={**who, **EN})
        assert 400 <= answer.status_code < 500, (route, answer.text)
        assert world.rows() == before and world.files() == stored


def test_a_json_api_write_labelled_text_plain_is_refused_with_415(world: World) -> None:
    who = bearer(world.resident())
    before = world.rows()
    body = '{"kind": "complaint", "category": "sanitation", "title": "垃圾堆积", "body": "垃圾堆了一周。"}'.encode()
    answer = world.client.post(
        "/api/v1/wenzheng/inquiries", content=body, headers={**who, **EN, "Content-Type": "text/plain"}
    )
    assert answer.status_code == 415, answer.text
    assert world.rows() == before


# -- 2. rate limits ------------------------------------------------------------------------------------------

BOOK_AT = "2026-11-25T02:00:00Z"  # the general clinic's slot at 10:00 in Beijing


def _limited_api(world: World, action: str) -> tuple[Any, int, Any]:
    """(attempt(i) -> response, how many attempts pass, the table a passed attempt may add to) of an API action."""
    post = world.client.post
    who = {**bearer(world.resident()), **EN}
    if action == "问政 submission":
        body = {"kind": "complaint", "category": "sanitation", "title": "垃圾堆积", "body": "垃圾堆了一周。"}
        return lambda i: post("/api/v1/wenzheng/inquiries", json=body, headers=who), 10, Inquiry
    if action == "comment":
        article = world.article("垃圾分类新规下月施行")
        return (
            lambda i: post(f"/api/v1/articles/{article}/comments", json={"body": f"说得好{i}"}, headers=who),
            10,
            Comment,
        )
    if action == "service application":
        url = "/api/v1/services/modules/birth/applications"
        return lambda i: post(url, json={"answers": {"mother_name": "李娜"}}, headers=who), 10, Application
    if action == "service booking":
        return lambda i: post(f"{GP}/bookings", json={"starts_at": BOOK_AT}, headers=who), 20, Booking
    if action == "activity registration":
        world.activity("reg-api")
        return lambda i: post("/api/v1/activities/reg-api/registrations", json={}, headers=who), 20, Registration
    if action == "candidate proposal":
        world.contest("propose-api")
        url = "/api/v1/activities/propose-api/candidates"
        return lambda i: post(url, json={"name": f"孙大爷{i}"}, headers=who), 5, Candidate
    if action == "coupon claim":
        batch = world.coupons()
        return lambda i: post(f"/api/v1/activities/coupons/{batch}/claim", headers=who), 30, Coupon
    assert action == "vote"  # limited per address: every vote here comes from another resident on one address
    _, candidate = world.contest("vote-api")
    world.client.app.state.newsplus.limiter.reset("vote:testclient")  # the page test's votes came from here too
    url = "/api/v1/activities/vote-api/votes"
    return lambda i: post(url, json={"candidate": candidate}, headers={**bearer(world.resident()), **EN}), 20, Vote


LIMITED = [
    "问政 submission",
    "comment",
    "service application",
    "service booking",
    "activity registration",
    "candidate proposal",
    "coupon claim",
    "vote",
]


@pytest.mark.parametrize("action", LIMITED)
def test_api_actions_are_rate_limited_with_429_and_retry_after(world: World, action: str) -> None:
    attempt, allowed, table = _limited_api(world, action)
    passed = [attempt(i).status_code for i in range(allowed)]
    assert 429 not in passed, passed
    before = count(world.client, table)
    refused = attempt(allowed)
    assert refused.status_code == 429, refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert refused.json()["detail"] and count(world.client, table) == before


def test_uploads_for_service_forms_are_rate_limited(world: World) -> None:
    who = {**bearer(world.resident()), **EN}
    answers = [
        world.client.post("/api/v1/services/uploads", files={"file": ("p.png", png(), "image/png")}, headers=who)
        for _ in range(60)
    ]
    assert 429 in [a.status_code for a in answers]


def _limited_form(world: World, action: str) -> tuple[Any, int]:
    """(attempt(i) -> response, how many attempts pass) of the page form doing an action."""
    token = world.resident()

    def form(url: str, data: dict, who: str | None = token) -> Any:
        return post_form(world.client, url, data, who)

    if action == "问政 submission":
        fields = {"kind": "complaint", "category": "sanitation", "title": "垃圾堆积", "body": "垃圾堆了一周。"}
        return lambda i: form("/wenzheng/new", fields), 10
    if action == "comment":
        article = world.article("垃圾分类新规的解读")
        return lambda i: form(f"/articles/{article}/comment", {"body": f"说得好{i}"}), 10
    if action == "service application":
        return lambda i: form("/services/birth/apply", {"mother_name": "李娜"}), 10
    if action == "service booking":
        return lambda i: form("/services/medical/book", {"resource": "gp", "starts_at": BOOK_AT}), 20
    if action == "activity registration":
        world.activity("reg-page")
        return lambda i: form("/activities/reg-page/register", {}), 20
    if action == "candidate proposal":
        world.contest("propose-page")
        return lambda i: form("/activities/propose-page/propose", {"name": f"孙大爷{i}"}), 5
    if action == "coupon claim":
        batch = world.coupons()
        return lambda i: form(f"/activities/coupons/{batch}/claim", {}), 30
    if action == "vote":
        _, candidate = world.contest("vote-page")
        world.client.app.state.newsplus.limiter.reset("vote:testclient")  # the API test's votes came from here too
        return lambda i: form("/activities/vote-page/vote", {"candidate": str(candidate)}, world.resident()), 20
    if action == "password sign-in":
        return lambda i: form("/login/password", {"username": "nobody", "password": f"guess-{i}"}, None), 10
    assert action == "sign-in code"
    phone = f"139{next(world._phones)[3:]}"
    return lambda i: form("/login/code/send", {"phone": phone}, None), 1


FORMS = [*LIMITED, "password sign-in", "sign-in code"]


def _refused_form(world: World, action: str) -> Any:
    """The page form's answer once its limit is spent."""
    attempt, allowed = _limited_form(world, action)
    passed = [attempt(i).status_code for i in range(allowed)]
    assert 429 not in passed, passed
    return attempt(allowed)


@pytest.mark.parametrize("action", FORMS)
def test_page_forms_are_rate_limited_with_a_429_page_saying_why(world: World, action: str) -> None:
    refused = _refused_form(world, action)
    assert refused.status_code == 429, refused.text[:1500]
    assert "text/html" in refused.headers["content-type"]
    assert re.search(r"too many|too fast|many .* in the last hour|please wait", page_text(refused.text), re.I)


@pytest.mark.parametrize("action", ["sign-in code", "coupon claim"])  # a handler's own page; the error page
def test_rate_limited_page_forms_say_when_to_retry(world: World, action: str) -> None:
    refused = _refused_form(world, action)
    assert refused.status_code == 429
    assert 0 < int(refused.headers.get("Retry-After", "0")) <= 3600, dict(refused.headers)


# -- 2. SQL and LIKE metacharacters in every search box -----------------------------------------------------

META = ["'", '"', ";", "--", "%", "_", "\\", "%%", "%_%", "\\%", "' OR '1'='1", "'; DROP TABLE content_article; --"]
WITH_WORDS = ["垃圾%", "垃_", "垃圾'", "垃圾\\", "垃圾' OR '1'='1", "社保%", "社保' --", "report%2026", "100_"]


@pytest.fixture
def searchable(tmp_path: Path, newsplus_database_url: str, light_passwords: None, own_app: None) -> Iterator[World]:
    """The full app on SQLite, then PostgreSQL, with articles and notices to search for."""
    media = tmp_path / "media"
    with frozen_clock(T), TestClient(full_app(media, database_url=newsplus_database_url)) as client:
        world = World(client, media)
        world.article("垃圾分类新规下月施行", "<p>居民须按四类投放垃圾。</p>")
        world.article("满意率达100%的社区")
        world.article("上传说明 report_2026")
        world.notice("关于2027年度社会保险缴费基数调整的通知 社保")
        world.notice("关于义务教育阶段入学工作的通知", category="教育")
        yield world


def titles_of(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["title"] for item in answer.json()["items"]]


def test_search_boxes_treat_sql_and_like_metacharacters_as_plain_text(searchable: World) -> None:
    client = searchable.client
    # What each box finds for words, including the metacharacters written in a title.
    assert titles_of(client.get("/api/v1/search", params={"q": "垃圾"})) == ["垃圾分类新规下月施行"]
    assert titles_of(client.get("/api/v1/search", params={"q": "100%"})) == ["满意率达100%的社区"]
    assert titles_of(client.get("/api/v1/search", params={"q": "report_2026"})) == ["上传说明 report_2026"]
    assert len(titles_of(client.get("/api/v1/govinfo/notices", params={"q": "社保"}))) == 1
    assert [
        m["slug"] for g in client.get("/api/v1/services/modules", params={"q": "生小孩"}).json() for m in g["modules"]
    ]
    wrong = []
    for q in META + WITH_WORDS:
        content = client.get("/api/v1/search", params={"q": q}, headers=EN)
        if content.status_code == 400:  # a query without a searchable character is asked for again
            ok = content.json()["detail"] == "Type something to search for"
        else:
            ok = content.status_code == 200 and content.json()["items"] == []
        page = client.get("/search", params={"q": q}, headers=HTML)
        ok = ok and page.status_code == 200 and "垃圾分类新规" not in page.text and "report_2026" not in page.text
        services = client.get("/api/v1/services/modules", params={"q": q})
        ok = ok and services.status_code == 200 and services.json() == []
        ok = ok and client.get("/services", params={"q": q}, headers=HTML).status_code == 200
        if q in WITH_WORDS:
            ok = ok and titles_of(client.get("/api/v1/govinfo/notices", params={"q": q})) == []
            tab = client.get("/govinfo", params={"q": q}, headers=HTML)
            ok = ok and tab.status_code == 200 and "缴费基数" not in tab.text
        if not ok:
            wrong.append(q)
    assert wrong == []
    assert count(client, Article) == 5  # nothing was dropped on the way


def test_a_govinfo_search_of_only_metacharacters_matches_nothing(world: World) -> None:
    world.notice("关于2027年度社会保险缴费基数调整的通知")
    for q in ("%", "_", "'", "--"):
        assert titles_of(world.client.get("/api/v1/govinfo/notices", params={"q": q})) == [], q
        assert "缴费基数" not in world.client.get("/govinfo", params={"q": q}, headers=HTML).text, q


# -- 2. security headers -------------------------------------------------------------------------------------

SECURITY = {"x-content-type-options": "nosniff", "referrer-policy": "strict-origin-when-cross-origin"}


def missing_headers(answer: Any) -> dict[str, str | None]:
    return {name: answer.headers.get(name) for name, value in SECURITY.items() if answer.headers.get(name) != value}


def test_api_answers_pages_and_media_carry_nosniff_and_a_referrer_policy(world: World) -> None:
    made = world.client.post(
        "/api/v1/content/media", files={"file": ("a.png", png(), "image/png")}, headers=world.admin
    )
    answers = {
        "api": world.client.get("/api/v1/wenzheng/board"),
        "page": world.client.get("/", headers=HTML),
        "form page": world.client.get("/login", headers=HTML),
        "media": world.client.get(made.json()["url"]),
        "openapi": world.client.get("/schema/openapi.json"),
    }
    assert {name: missing_headers(a) for name, a in answers.items() if missing_headers(a)} == {}
    assert answers["page"].headers["x-frame-options"] == "DENY"


def test_static_files_carry_the_security_headers(world: World) -> None:
    for path in ("/static/core/newsplus.css", "/static/content/editor.js"):
        answer = world.client.get(path)
        assert answer.status_code == 200 and missing_headers(answer) == {}, path


def test_refusals_carry_the_security_headers(world: World) -> None:
    resident_token = world.resident()
    world.client.cookies.delete("newsplus_session")
    answers = {
        "404 page": world.client.get("/no-such-page", headers=HTML),
        "404 api": world.client.get("/api/v1/no-such-thing"),
        "401 api": world.client.get("/api/v1/me"),
        "400 api": world.client.post("/api/v1/auth/code", content=b"{", headers={"Content-Type": "application/json"}),
        "415 upload": world.client.post(
            "/api/v1/services/uploads",
            files={"file": ("x.jpg", b"text", "image/jpeg")},
            headers=bearer(resident_token),
        ),
    }
    assert {name: a.status_code for name, a in answers.items()} == {
        "404 page": 404,
        "404 api": 404,
        "401 api": 401,
        "400 api": 400,
        "415 upload": 415,
    }
    assert {name: missing_headers(a) for name, a in answers.items() if missing_headers(a)} == {}


def test_pages_and_api_answers_carry_a_content_security_policy_forbidding_framing(world: World) -> None:
    for answer in (world.client.get("/", headers=HTML), world.client.get("/api/v1/wenzheng/board")):
        policy = answer.headers.get("content-security-policy", "")
        assert re.search(r"frame-ancestors\s+('none'|'self')", policy), dict(answer.headers)
        assert "default-src" in policy or "script-src" in policy


# -- 2. cookies ----------------------------------------------------------------------------------------------


def cookie_flags(answer: Any) -> dict[str, set[str]]:
    """Each cookie the answer sets, with its attributes (lowercased, without values but SameSite's)."""
    found = {}
    for header in answer.headers.get_list("set-cookie"):
        name, *attributes = [part.strip() for part in header.split(";")]
        flags = {a.lower() for a in attributes if "=" not in a}
        flags |= {a.lower().replace(" ", "") for a in attributes if a.lower().startswith("samesite")}
        found[name.split("=", 1)[0]] = flags
    return found


@pytest.mark.parametrize("secure", [False, True], ids=["plain", "secure_cookies"])
def test_every_cookie_is_httponly_samesite_and_secure_when_the_site_says_so(
    tmp_path: Path, light_passwords: None, own_app: None, secure: bool
) -> None:
    app = full_app(tmp_path / "media", settings={"site": {"secure_cookies": secure}})
    with TestClient(app, base_url="https://testserver.local" if secure else "http://testserver.local") as client:
        login_staff(client, "boss")
        seen: dict[str, set[str]] = {}
        home = client.get("/", headers=HTML)
        seen |= cookie_flags(home)
        token = client.cookies["newsplus_csrf"]
        for url, data in (("/settings/language", {"value": "zh-CN"}), ("/settings/elder", {"value": "1"})):
            seen |= cookie_flags(client.post(url, data=data | {"_csrf_token": token}, follow_redirects=False))
        signed_in = client.post(
            "/login/password",
            data={"username": "boss", "password": "correct-horse-battery", "_csrf_token": token},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        seen |= cookie_flags(signed_in)
        cleared = cookie_flags(client.post("/logout", data={"_csrf_token": token}, follow_redirects=False))
    assert set(seen) == {"newsplus_csrf", "newsplus_lang", "newsplus_elder", "newsplus_session"}
    for name, flags in {**seen, "newsplus_session (cleared)": cleared["newsplus_session"]}.items():
        assert "httponly" in flags and "samesite=lax" in flags, (name, flags)
        assert ("secure" in flags) is secure, (name, flags)


# -- 2. CSRF on every page form ------------------------------------------------------------------------------


def page_writes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path) of every page route that takes a form, generated from the app's routes."""
    found = []
    for route in app.routes:
        if route.path.startswith(("/api/", "/open311/", "/schema", "/static")):
            continue
        for handler in route.route_handlers:
            for method in sorted(set(getattr(handler, "http_methods", ())) - {"GET", "HEAD", "OPTIONS"}):
                found.append((method, route.path))
    return sorted(found)


def test_every_page_form_without_a_matching_csrf_token_is_refused_and_changes_nothing(world: World) -> None:
    client = world.client
    writes = page_writes(client.app)
    assert len(writes) >= 50, writes
    # Another browser's token: valid in itself, but not this browser's cookie.
    client.cookies.delete("newsplus_csrf")
    client.get("/", headers=HTML)
    foreign = client.cookies["newsplus_csrf"]
    client.cookies.delete("newsplus_csrf")
    client.get("/", headers=HTML)
    assert client.cookies["newsplus_csrf"] != foreign
    client.cookies.set("newsplus_session", world.admin_token)
    before = world.rows()
    forms: dict[str, dict[str, Any]] = {
        "no token": {},
        "another browser's token": {"_csrf_token": foreign},
        "a forged token": {"_csrf_token": "0" * 128},
    }
    wrong = []
    for method, path in writes:
        for case, token in forms.items():
            data = {"value": "en", "name": "x", "body": "x", "next": "/", "keep": "1", **token}
            answer = client.request(method, _fill(path), data=data, headers=HTML, follow_redirects=False)
            if answer.status_code != 403 or "This form has expired" not in answer.text:
                wrong.append((case, method, path, answer.status_code))
        sent = client.request(method, _fill(path), headers={**HTML, "X-CSRFToken": foreign}, follow_redirects=False)
        if sent.status_code != 403:
            wrong.append(("another browser's token in the header", method, path, sent.status_code))
    assert wrong == []
    assert world.rows() == before
    # Nothing a refused form asked for happened: the admin is still signed in, the site still speaks Chinese.
    assert "newsplus_lang" not in client.cookies
    assert client.get("/api/v1/me", headers=world.admin).status_code == 200
    assert client.get("/desk", headers=HTML).status_code == 200
