"""Who may call what: every route of the full app, called as seven people, answers as its declared Access says;
and nobody but resident A and the staff on A's case reads or touches A's private things."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from PIL import Image

from newsplus.testing import HTML, bearer, call, http_scope, login_resident, login_staff, make_app
from newsplus.users.access import Access, route_access

PLUGINS = ["wenzheng", "services", "activities", "govinfo"]
EN = {"Accept-Language": "en"}
PASSWORD = "correct-horse-battery"
PHONE_A, PHONE_B = "13800000001", "13900000002"
NAME_A = "甲阿姨"
SECRET_A = f"甲阿姨家的私事：请打{PHONE_A}，住天通苑北一区7号楼"
"""Written only by resident A; it must reach nobody but A and the staff working on A's case."""

ACTORS = ["anonymous", "resident_a", "resident_b", "editor", "handler", "other_handler", "admin"]
STAFF = {"editor", "handler", "other_handler", "admin"}
SIGNED_IN = {"resident_a", "resident_b"} | STAFF


# -- the routes --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: str
    access: tuple[Access, ...]

    @property
    def api(self) -> bool:
        return self.path.startswith(("/api/", "/open311/"))

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def handlers_of(app: Any) -> list[tuple[str, Any]]:
    """(path, handler) of every route handler but litestar's OpenAPI pages and CORS preflights, which the app
    exempts from declaring an audience."""
    found = []
    for route in app.routes:
        if route.path.startswith("/schema"):
            continue
        for handler in route.route_handlers:
            if getattr(handler, "http_methods", None) == {"OPTIONS"} and handler.handler_name == "options_handler":
                continue
            found.append((route.path, handler))
    return found


def routes_of(app: Any) -> list[Route]:
    routes = {
        Route(method, path, handler.handler_name, tuple(route_access(handler)))
        for path, handler in handlers_of(app)
        for method in handler.http_methods
        if method not in ("HEAD", "OPTIONS")
    }
    return sorted(routes, key=lambda r: (r.path, r.method))


FULL_APP = make_app(PLUGINS)
ROUTES = routes_of(FULL_APP)


def test_every_route_of_the_full_app_declares_exactly_one_access() -> None:
    handlers = handlers_of(FULL_APP)
    declared = {f"{'/'.join(sorted(h.http_methods))} {path}": route_access(h) for path, h in handlers}
    assert {name: guards for name, guards in declared.items() if len(guards) != 1} == {}
    levels = [guards[0].level for guards in declared.values()]
    counts = {level: levels.count(level) for level in sorted(set(levels))}
    print(f"\n{len(handlers)} route handlers, {len(ROUTES)} method × path routes, each with one Access: {counts}")
    assert len(ROUTES) > 250 and {"anyone", "signed_in", "staff", "permission"} <= set(counts)
    plugin_paths = ("/api/v1/wenzheng/", "/api/v1/services/", "/api/v1/activities/", "/api/v1/govinfo/")
    assert all(any(r.path.startswith(p) for r in ROUTES) for p in plugin_paths)


# -- the people and what they own --------------------------------------------------------------------------


@dataclass
class Actor:
    name: str
    token: str | None = None
    staff: bool = False
    roles: tuple[str, ...] = ()
    department: int | None = None
    permissions: frozenset[str] = frozenset()
    """Granted district-wide."""
    department_permissions: frozenset[str] = frozenset()
    """Granted within ``department`` only."""
    user_id: int = 0


@dataclass
class World:
    client: TestClient
    actors: dict[str, Actor] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)
    booked_days: set[str] = field(default_factory=set)
    stand_ins: int = 0
    csrf: str = ""

    @property
    def newsplus(self) -> Any:
        return self.client.app.state.newsplus

    def who(self, name: str) -> dict[str, str]:
        return {**EN, **bearer(self.actors[name].token)}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, format="PNG")
    return out.getvalue()


def ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, (str(response.request.url), response.status_code, response.text[:2000])
    return response.json() if response.content else None


def first_id(client: TestClient, table: Any, *where: Any) -> int | None:
    """The id of the first row of a table (matching ``where``), read inside the site's district."""

    async def read() -> int | None:
        query = table.select(table.id).order_by(table.id)
        for condition in where:
            query = query.where(condition)
        row = await query.first()
        return row["id"] if row else None

    return call(client, read)


def permissions_of(newsplus: Any, roles: tuple[str, ...]) -> frozenset[str]:
    """What roles grant, from the roles the core and the plugins registered (admin: every permission)."""
    if "admin" in roles:
        return frozenset(newsplus.permissions)
    return frozenset(p for r in roles for p in newsplus.roles[r].permissions)


GP = "/api/v1/services/modules/medical/resources/gp"


def next_slot(world: World) -> str:
    """The first free slot of the general clinic on a day A has no booking there yet."""
    today = datetime.now(UTC).date()
    for offset in range(10):
        day = (today + timedelta(days=offset)).isoformat()
        if day in world.booked_days:
            continue
        free = [s for s in world.client.get(f"{GP}/slots", params={"day": day}).json() if s["left"] > 0]
        if free:
            world.booked_days.add(day)
            return free[0]["starts_at"]
    raise AssertionError("the general clinic has no free slot in the coming days")


def deliver_everything(world: World) -> None:
    """Deliver events until none is due (the notifications an event causes are events too)."""
    for _ in range(10):
        if not call(world.client, world.newsplus.dispatcher.deliver_pending):
            return


def private_things(world: World, label: str) -> dict[str, Any]:
    """Resident A's private inquiry (dispatched to the handler's department), birth application (which goes to the
    same department), general-clinic booking, registration for an activity, and coupon."""
    client, ids = world.client, world.ids
    a, admin = world.who("resident_a"), world.who("admin")
    inquiry = {
        "kind": "complaint",
        "category": "sanitation",
        "title": f"{label}：楼道里堆满杂物",
        "body": SECRET_A,
        "street": ids["street"],
        "address": "天通苑北一区7号楼",
        "public": False,
        "contact_name": NAME_A,
        "contact_phone": PHONE_A,
    }
    made = ok(client.post("/api/v1/wenzheng/inquiries", json=inquiry, headers=a))
    for action, body in (("accept", {}), ("dispatch", {"department": ids["dept_x"]})):
        ok(client.post(f"/api/v1/wenzheng/inquiries/{made['token']}/{action}", json=body, headers=admin), 200)
    photo = ok(client.post("/api/v1/services/uploads", files={"file": ("c.png", png(), "image/png")}, headers=a))
    answers = {
        "mother_name": NAME_A,
        "mother_id_number": "11010519491231002X",
        "expected_date": (date.today() + timedelta(days=120)).isoformat(),
        "phone": PHONE_A,
        "marriage_certificate": photo["token"],
    }
    application = ok(client.post("/api/v1/services/modules/birth/applications", json={"answers": answers}, headers=a))
    booking = ok(client.post(f"{GP}/bookings", json={"starts_at": next_slot(world), "name": NAME_A}, headers=a))
    booking = ok(client.get(f"/api/v1/services/bookings/{booking['token']}", headers=a), 200)
    slug = f"{label}-fair"
    soon = datetime.now(UTC) + timedelta(days=5)
    activity = {
        "slug": slug,
        "title": f"{label}农业嘉年华",
        "starts_at": soon.isoformat(),
        "ends_at": (soon + timedelta(hours=8)).isoformat(),
        "capacity": 30,
        "published": True,
    }
    ok(client.post("/api/v1/activities/desk/activities", json=activity, headers=admin))
    registration = ok(
        client.post(f"/api/v1/activities/{slug}/registrations", json={"name": NAME_A, "phone": PHONE_A}, headers=a)
    )
    batch = {
        "merchant": ids["merchant"],
        "title": f"{label}满100减20",
        "value": 2000,
        "stock": 100,
        "per_user": 20,
        "valid_from": datetime.now(UTC).isoformat(),
        "valid_until": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
    }
    batch_id = ok(client.post("/api/v1/activities/desk/batches", json=batch, headers=admin))["id"]
    coupon = ok(client.post(f"/api/v1/activities/coupons/{batch_id}/claim", json={}, headers=a))
    return {
        "inquiry": made["token"],
        "inquiry_number": made["number"],
        "inquiry_title": inquiry["title"],
        "application": application["token"],
        "application_number": application["number"],
        "certificate": photo["url"],
        "booking": booking["token"],
        "booking_code": booking["code"],
        "booking_day": booking["starts_at"][:10],
        "activity_slug": slug,
        "registration": registration["token"],
        "batch": batch_id,
        "coupon": coupon["code"],
    }


def build_world(client: TestClient) -> World:
    from newsplus.content.articles import create_article
    from newsplus.content.cache import changes
    from newsplus.content.schemas import ArticleIn
    from newsplus.content.tables import Article, Channel, Comment, Pin, PlanningItem
    from newsplus.events.tables import Delivery
    from newsplus.users.access import CurrentUser
    from newsplus.users.accounts import create_department
    from newsplus.users.auth import _open_session
    from newsplus.users.tables import Session, User
    from newsplus_govinfo.tables import ImportRun

    world = World(client)
    newsplus, ids = world.newsplus, world.ids
    ids["dept_x"] = call(client, create_department, "区卫健委", "bureau")  # birth and medical services go here
    ids["dept_y"] = call(client, create_department, "区民政局", "bureau")
    ids["street"] = call(client, create_department, "天通苑北街道", "street")
    ids["merchant"] = call(client, create_department, "老北京涮肉", "merchant")

    def staff(name: str, roles: tuple[str, ...], department: int | None = None) -> Actor:
        token = login_staff(client, name, roles=roles, department=department, password=PASSWORD)
        granted = permissions_of(newsplus, roles)
        return Actor(
            name,
            token,
            staff=True,
            roles=roles,
            department=department,
            permissions=frozenset() if department else granted,
            department_permissions=granted if department else frozenset(),
        )

    handler = ("department_handler", "service_handler")  # 问政 and services handler, within one department
    world.actors = {
        "anonymous": Actor("anonymous"),
        "resident_a": Actor("resident_a", login_resident(client, PHONE_A), roles=("resident",)),
        "resident_b": Actor("resident_b", login_resident(client, PHONE_B), roles=("resident",)),
        "editor": staff("editor", ("editor",)),
        "handler": staff("handler", handler, ids["dept_x"]),
        "other_handler": staff("other_handler", handler, ids["dept_y"]),
        "admin": staff("admin", ("admin",)),
    }
    for actor in world.actors.values():
        if actor.token:
            actor.user_id = ok(client.get("/api/v1/me", headers=bearer(actor.token)), 200)["id"]
    admin, a = world.who("admin"), world.who("resident_a")

    # News: a published article with A's comment and a published topic for readers; a draft article and a
    # second topic for the desk routes (which publish, archive and unpublish what they are given).
    ok(client.post("/api/v1/content/channels", json={"slug": "news", "name": "要闻"}, headers=admin))
    ids["channel"] = first_id(client, Channel, Channel.slug == "news")
    writer = CurrentUser(id=world.actors["editor"].user_id, kind="staff", display_name="editor")

    async def published_article() -> int:
        article = await create_article(
            newsplus, writer, ArticleIn(title="垃圾清运完成", channel="news", body="<p>好</p>")
        )
        async with changes(newsplus):
            await Article.update({Article.status: "published", Article.published_at: datetime.now(UTC)}).where(
                Article.id == article
            )
        return article

    ids["article"] = call(client, published_article)
    draft = {"title": "供暖保障", "channel": "news", "body": "<p>草稿</p>"}
    ids["draft"] = ok(client.post("/api/v1/content/articles", json=draft, headers=world.who("editor")))["id"]
    ok(client.post(f"/api/v1/articles/{ids['article']}/comments", json={"body": "清运很及时"}, headers=a))
    ids["comment"] = first_id(client, Comment)
    reader_topic = ok(client.post("/api/v1/content/topics", json={"slug": "huitian", "title": "回天"}, headers=admin))
    ok(client.post(f"/api/v1/content/topics/{reader_topic['id']}/publish", json={}, headers=admin), 200)
    ids["topic"] = ok(client.post("/api/v1/content/topics", json={"slug": "desk", "title": "专题"}, headers=admin))[
        "id"
    ]
    ok(client.post("/api/v1/content/pins", json={"article": ids["article"]}, headers=admin))
    ids["pin"] = first_id(client, Pin)
    ok(client.post("/api/v1/content/planning", json={"title": "冬季供暖"}, headers=admin))
    ids["planning"] = first_id(client, PlanningItem)
    image = ok(client.post("/api/v1/content/media", files={"file": ("p.png", png(), "image/png")}, headers=admin))
    ids["media"] = image["url"].removeprefix("/media/")

    # Notifications: a pop-up and a webhook.
    now = datetime.now(UTC)
    popup = {
        "title": "停水通知",
        "audience": {"everyone": True},
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }
    ids["popup"] = ok(client.post("/api/v1/notifications/popups", json=popup, headers=admin))["id"]
    hook = {"url": "https://hooks.example/in", "events": "nothing.ever"}  # no deliveries over the network
    ids["webhook"] = ok(client.post("/api/v1/notifications/webhooks", json=hook, headers=admin))["id"]

    # 问政: a routing rule.
    rule = {"department": ids["dept_x"], "category": "sanitation"}
    ids["rule"] = ok(client.post("/api/v1/wenzheng/rules", json=rule, headers=admin))["id"]

    # Activities: an event and a contest with a candidate.
    desk = "/api/v1/activities/desk"
    when = {
        "starts_at": (now + timedelta(days=5)).isoformat(),
        "ends_at": (now + timedelta(days=5, hours=8)).isoformat(),
        "published": True,
    }
    event = {"slug": "carnival", "title": "农业嘉年华", "capacity": 30, **when}
    ids["activity"] = ok(client.post(f"{desk}/activities", json=event, headers=admin))["id"]
    contest = {"slug": "elders", "title": "爱老敬老评比", "kind": "contest", "proposals": True, **when}
    ids["contest"] = ok(client.post(f"{desk}/activities", json=contest, headers=admin))["id"]
    candidate = {"name": "王奶奶"}
    ids["candidate"] = ok(client.post(f"{desk}/activities/{ids['contest']}/candidates", json=candidate, headers=admin))[
        "id"
    ]

    # 政务: a published notice for readers, a draft of the handler's department for the desk routes, an import.
    def notice(title: str) -> int:
        body = {"title": title, "level": "district", "category": "医疗", "department": ids["dept_x"]}
        return ok(client.post("/api/v1/govinfo/notices", json=body, headers=admin))["id"]

    ids["notice"] = notice("流感疫苗接种安排")
    ok(client.post(f"/api/v1/govinfo/notices/{ids['notice']}/submit", json={}, headers=admin), 200)
    reviewer = bearer(login_staff(client, "zhengwu", roles=("govinfo_editor",), password=PASSWORD))  # four eyes
    ok(client.post(f"/api/v1/govinfo/notices/{ids['notice']}/approve", json={}, headers=reviewer), 200)
    ids["draft_notice"] = notice("门诊时间调整（草稿）")

    async def import_run() -> int:
        run = ImportRun(filename="notices.csv", status="done", created_at=datetime.now(UTC))
        await run.save()
        return run.id

    ids["import_run"] = call(client, import_run)

    # A staff account whose grant the admin routes take away, and a spare session of A's.
    login_staff(client, "grantee", roles=("editor",), password=PASSWORD)
    ids["grantee"] = first_id(client, User, User.username == "grantee")

    async def spare_session() -> None:
        user = await User.objects().where(User.id == world.actors["resident_a"].user_id).first()
        await _open_session(newsplus, user, "spare")

    call(client, spare_session)
    ids["session"] = first_id(client, Session, Session.client == "spare")

    # A's private things for the matrix (the privacy tests have their own).
    ids.update(private_things(world, "matrix"))
    deliver_everything(world)
    ids["delivery"] = first_id(client, Delivery) or 1
    return world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """The full app on SQLite, its people signed in and its data written, shared by this module's tests."""
    from argon2 import PasswordHasher

    from newsplus.users import auth

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        with TestClient(make_app(PLUGINS)) as client:
            yield build_world(client)


# -- calling a route as someone ----------------------------------------------------------------------------

PARAM = re.compile(r"\{(\w+):\w+\}")
ENDS_SESSION = {("POST", "/api/v1/auth/logout"), ("POST", "/logout")}
"""Called with a fresh session of the same person, so their own stays valid for the other routes."""
ENDS_ACCOUNT = {("DELETE", "/api/v1/me"), ("POST", "/me/delete")}
"""Called by a stand-in of the same kind with the same roles, so the people themselves stay."""
STREAMING = {("GET", "/api/v1/me/notifications/stream")}
"""Server-sent events never end: only the status the answer starts with is read."""


READER_NOTICE = {"/api/v1/govinfo/notices/{article_id:int}", "/govinfo/notices/{article_id:int}"}


def value_of(route: Route, name: str, ids: dict[str, Any]) -> str:
    """A real value for a path parameter, from the data the world was built with."""
    path = route.path
    if name == "slug":
        if path.startswith(("/api/v1/channels/", "/channels/")):
            return "news"
        if path.startswith(("/api/v1/topics/", "/topics/")):
            return "huitian"
        if path.startswith(("/api/v1/activities/", "/activities/")):
            return "elders" if path.endswith(("/votes", "/vote", "/candidates", "/propose", "/results")) else "carnival"
        return "medical" if ("/resources/" in path or path.endswith("/book")) else "birth"
    if name == "token":
        for part, key in (
            ("/wenzheng/", "inquiry"),
            ("/services/applications/", "application"),
            ("/services/bookings/", "booking"),
            ("/activities/registrations/", "registration"),
        ):
            if part in path:
                return ids[key]
        raise AssertionError(f"no token for {route}")
    if name == "action":  # steps that are refused without a note, or in the state the object is in
        return "progress" if "wenzheng" in path else "reject"
    if name == "article_id":
        if "govinfo" in path:
            reader = route.method == "GET" and path in READER_NOTICE
            return str(ids["notice"] if reader else ids["draft_notice"])
        return str(ids["draft"] if "/content/" in path else ids["article"])
    if name == "activity_id":
        return str(ids["contest"] if path.endswith("/candidates") else ids["activity"])
    if name == "name":  # Open311 names carry their format
        if "/requests/" in path:
            return f"{ids['inquiry_number']}.json"
        if "/tokens/" in path:
            return f"{ids['inquiry']}.json"
        if "/services/" in path:
            return "sanitation.json"
        return "requests.json" if route.method == "POST" else "discovery.json"
    if name == "path":
        return ids["media"]
    fixed = {
        "batch_id": ids["batch"],
        "candidate_id": ids["candidate"],
        "category": "医疗",
        "channel_id": ids["channel"],
        "comment_id": ids["comment"],
        "delivery_id": ids["delivery"],
        "department_id": ids["dept_x"],
        "file_path": "core/newsplus.css",
        "item_id": ids["planning"],
        "number": 1,
        "pin_id": ids["pin"],
        "popup_id": ids["popup"],
        "resource": "gp",
        "role": "editor",
        "rule_id": ids["rule"],
        "run_id": ids["import_run"],
        "session_id": ids["session"],
        "target": "wechat",
        "topic_id": ids["topic"],
        "user_id": ids["grantee"],
        "webhook_id": ids["webhook"],
    }
    return str(fixed[name])


def query_of(route: Route, ids: dict[str, Any]) -> dict[str, str]:
    """Query parameters a route needs to get past its own validation."""
    day = {"day": ids["booking_day"]}
    return {
        ("GET", "/api/v1/search"): {"q": "清运"},
        ("GET", "/api/v1/services/modules/{slug:str}/resources/{resource:str}/slots"): day,
        ("GET", "/api/v1/services/bookings/day"): day,
        ("GET", "/desk/services/bookings"): day,
        ("GET", "/api/v1/wenzheng/rates"): {"month": date.today().strftime("%Y-%m")},
    }.get(route.key, {})


def url_of(route: Route, ids: dict[str, Any]) -> str:
    return PARAM.sub(lambda m: value_of(route, m.group(1), ids), route.path)


def token_for(world: World, actor: Actor, route: Route) -> str | None:
    """The actor's session token, or a fresh one (or a stand-in's) for the routes that would end it."""
    from newsplus.users.accounts import create_staff
    from newsplus.users.auth import _create_resident, _open_session
    from newsplus.users.tables import User

    if actor.token is None or route.key not in ENDS_SESSION | ENDS_ACCOUNT:
        return actor.token
    world.stand_ins += 1
    number, newsplus = world.stand_ins, world.newsplus

    async def fresh() -> str:
        if route.key in ENDS_SESSION:
            user_id = actor.user_id
        elif actor.staff:
            user_id = await create_staff(
                newsplus, f"stand-in-{number}", PASSWORD, roles=actor.roles, department=actor.department
            )
        else:
            user_id = (await _create_resident(f"137{number:08d}")).id
        user = await User.objects().where(User.id == user_id).first()
        return await _open_session(newsplus, user, "matrix")

    return call(world.client, fresh)


def csrf_of(world: World) -> str:
    """The CSRF token every page form carries (its cookie comes with any page)."""
    if not world.csrf:
        world.client.cookies.clear()
        world.client.get("/", headers=HTML)
        world.csrf = world.client.cookies["newsplus_csrf"]
    return world.csrf


def page_headers(world: World, token: str | None) -> dict[str, str]:
    """A browser's: HTML wanted, the session cookie (when signed in) and the CSRF cookie."""
    cookie = f"newsplus_csrf={csrf_of(world)}" + (f"; newsplus_session={token}" if token else "")
    return {**HTML, "Cookie": cookie}


def ask(world: World, route: Route, actor: Actor) -> tuple[int, str]:
    """Call a route as an actor the way its clients do (a bearer token for the API, the session cookie and the CSRF
    token for pages), with an empty body for writes; answer the status and where it redirects to."""
    client = world.client
    url = url_of(route, world.ids)
    token = token_for(world, actor, route)
    headers = {**EN, **(bearer(token) if token else {})} if route.api else page_headers(world, token)
    client.cookies.clear()
    if route.key in STREAMING:
        return client.blocking_portal.call(status_of_stream, client.app, url, headers), ""
    options: dict[str, Any] = {"headers": headers, "params": query_of(route, world.ids), "follow_redirects": False}
    if route.method in ("POST", "PUT", "PATCH"):
        if route.api:
            options["json"] = {}
        else:
            options["data"] = {"_csrf_token": csrf_of(world)}
    response = client.request(route.method, url, **options)
    return response.status_code, response.headers.get("location", "")


async def status_of_stream(app: Any, path: str, headers: dict[str, str]) -> int:
    """The status a never-ending answer starts with; the caller then goes away."""
    started: dict[str, int] = {}
    gone = asyncio.Event()
    asked = False

    async def receive() -> dict:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            started["status"] = message["status"]
            gone.set()

    scope = http_scope("GET", path, headers)
    task = asyncio.create_task(app(scope, receive, send))
    try:
        await asyncio.wait_for(gone.wait(), timeout=10)
    finally:
        gone.set()
        try:
            await asyncio.wait_for(task, timeout=5)
        except TimeoutError:
            task.cancel()
    return started["status"]


# -- what each caller should get ---------------------------------------------------------------------------

ALLOWED, SIGN_IN, FORBIDDEN = "allowed past the guard", "asked to sign in", "forbidden"
NARROWED_OUT, NOT_THEIRS = "refused by the handler", "refused: not theirs"


def by_guard(access: Access, actor: Actor) -> str:
    """What the declared Access says: anyone passes; a protected route asks the anonymous to sign in (401, or a
    redirect to the sign-in page) and refuses (403) residents on staff routes and anyone lacking its permission."""
    if access.level == "anyone":
        return ALLOWED
    if actor.token is None:
        return SIGN_IN
    if access.level == "staff" and not actor.staff:
        return FORBIDDEN
    granted = actor.permissions | (actor.department_permissions if access.in_department else frozenset())
    if access.permission and access.permission not in granted:
        return FORBIDDEN
    return ALLOWED


A_INQUIRY = {"resident_a", "handler", "admin"}
A_CASE = {"resident_a", "handler", "admin"}
OWNER = {"resident_a"}
WORKERS = {"handler", "admin"}
PRIVATE_INQUIRY = "A's private inquiry is for A, dispatchers (admin) and the department it was dispatched to"

OBJECT_LEVEL: dict[tuple[str, str], tuple[set[str], str]] = {
    ("GET", "/api/v1/wenzheng/inquiries/{token:str}"): (A_INQUIRY, PRIVATE_INQUIRY),
    ("GET", "/wenzheng/{token:str}"): (A_INQUIRY, PRIVATE_INQUIRY),
    ("POST", "/api/v1/wenzheng/inquiries/{token:str}/{action:str}"): (WORKERS, PRIVATE_INQUIRY),
    ("GET", "/desk/wenzheng/{token:str}"): (WORKERS, PRIVATE_INQUIRY),
    ("POST", "/desk/wenzheng/{token:str}"): (WORKERS, PRIVATE_INQUIRY),
    ("GET", "/api/v1/services/applications/{token:str}"): (A_CASE, "A's application, for A and its department"),
    ("GET", "/services/applications/{token:str}"): (A_CASE, "A's application, for A and its department"),
    ("POST", "/api/v1/services/applications/{token:str}/supplement"): (OWNER, "only A supplements A's application"),
    ("POST", "/services/applications/{token:str}/supplement"): (OWNER, "only A supplements A's application"),
    ("POST", "/api/v1/services/applications/{token:str}/withdraw"): (OWNER, "only A withdraws A's application"),
    ("POST", "/services/applications/{token:str}/withdraw"): (OWNER, "only A withdraws A's application"),
    ("POST", "/api/v1/services/applications/{token:str}/{action:str}"): (WORKERS, "the application's department"),
    ("GET", "/desk/services/applications/{token:str}"): (WORKERS, "the application's department"),
    ("POST", "/desk/services/applications/{token:str}/{action:str}"): (WORKERS, "the application's department"),
    ("GET", "/api/v1/services/bookings/{token:str}"): (A_CASE, "A's booking, for A and the counter's department"),
    ("GET", "/services/bookings/{token:str}"): (A_CASE, "A's booking, for A and the counter's department"),
    ("POST", "/api/v1/services/bookings/{token:str}/cancel"): (OWNER, "only A cancels A's booking"),
    ("POST", "/services/bookings/{token:str}/cancel"): (OWNER, "only A cancels A's booking"),
    ("GET", "/api/v1/activities/registrations/{token:str}"): (
        {"resident_a", "admin"},
        "A's registration, for A and organisers",
    ),
    ("GET", "/api/v1/activities/registrations/{token:str}/qr.png"): (OWNER, "A's entrance QR code"),
    ("GET", "/activities/registrations/{token:str}"): (OWNER, "A's registration page"),
    ("POST", "/api/v1/activities/registrations/{token:str}/cancel"): (OWNER, "only A cancels A's registration"),
    ("POST", "/activities/registrations/{token:str}/cancel"): (OWNER, "only A cancels A's registration"),
    ("DELETE", "/api/v1/me/sessions/{session_id:int}"): (OWNER, "only A signs A's sessions out"),
    ("GET", "/api/v1/govinfo/desk/notices/{article_id:int}"): ({"admin"}, "a draft notice is its department's"),
    ("POST", "/api/v1/govinfo/notices/{article_id:int}/submit"): ({"admin"}, "a draft notice is its department's"),
    ("GET", "/desk/govinfo/notices/{article_id:int}"): ({"admin"}, "a draft notice is its department's"),
    ("POST", "/desk/govinfo/notices/{article_id:int}/{action:str}"): ({"admin"}, "a draft notice is its department's"),
}
"""Routes acting on one object: the people allowed by the guard but not among these must be refused (403 or
404) — the object belongs to someone else. The people among them must get past the guard (not 401/403)."""

NARROWED: dict[tuple[str, str], tuple[set[str], int, str]] = {
    ("DELETE", "/api/v1/me"): (STAFF, 403, "staff accounts are removed by an administrator"),
    ("POST", "/me/delete"): (STAFF, 403, "staff accounts are removed by an administrator"),
    ("GET", "/api/v1/wenzheng/queue"): ({"editor"}, 403, "the queue is for dispatchers, supervisors and handlers"),
    ("GET", "/desk/wenzheng/queue"): ({"editor"}, 403, "the department queue is for department handlers"),
    ("GET", "/api/v1/services/queue"): ({"editor"}, 403, "the queue is for service handlers and managers"),
    ("GET", "/desk/services"): ({"editor"}, 403, "the queue is for service handlers and managers"),
    ("GET", "/api/v1/services/bookings/day"): ({"editor"}, 403, "the day list is for the counters' handlers"),
    ("GET", "/desk/services/bookings"): ({"editor"}, 403, "the day list is for the counters' handlers"),
    ("POST", "/desk/services/check-in"): ({"editor"}, 403, "check-in is for the counters' handlers"),
    ("GET", "/api/v1/govinfo/desk/notices"): (
        {"editor", "handler", "other_handler"},
        403,
        "the notices desk is for govinfo publishers and reviewers",
    ),
    ("GET", "/desk/govinfo"): (
        {"editor", "handler", "other_handler"},
        403,
        "the notices desk is for govinfo publishers and reviewers",
    ),
    ("POST", "/api/v1/wenzheng/callback"): (
        {"anonymous"} | SIGNED_IN,
        403,
        "the handling platform proves itself with X-Newsplus-Signature, not with a session",
    ),
    ("POST", "/open311/v2/{name:str}"): (
        {"anonymous"} | SIGNED_IN,
        403,
        "Open311 clients prove themselves with an api_key",
    ),
    ("POST", "/login/password"): (
        {"anonymous"} | SIGNED_IN,
        401,
        "an empty form is a wrong password: the sign-in page comes back with 401",
    ),
}
"""Routes whose handler admits fewer people than the guard it declares, on purpose: (who, status, why)."""

KNOWN_BUGS: dict[tuple[str, str], str] = {}  # route → reason, for a mismatch found and not yet fixed


@dataclass(frozen=True)
class Expected:
    word: str
    status: int = 0
    why: str = ""

    def met_by(self, route: Route, status: int, location: str) -> bool:
        sent_to_sign_in = status in (302, 303) and location.startswith("/login?next=")
        if self.word == SIGN_IN:
            return status == 401 if route.api else sent_to_sign_in
        if self.word in (FORBIDDEN, NARROWED_OUT):
            return status == (self.status or 403)
        if self.word == NOT_THEIRS:
            return status in (403, 404)
        return status not in (401, 403) and not sent_to_sign_in


def expected(route: Route, actor: Actor) -> Expected:
    [access] = route.access
    word = by_guard(access, actor)
    if word != ALLOWED:
        return Expected(word, why=f"declares {access!r}")
    if route.key in NARROWED:
        who, status, why = NARROWED[route.key]
        if actor.name in who:
            return Expected(NARROWED_OUT, status, why)
    if route.key in OBJECT_LEVEL:
        who, why = OBJECT_LEVEL[route.key]
        if actor.name not in who:
            return Expected(NOT_THEIRS, why=why)
    return Expected(ALLOWED, why=f"declares {access!r}")


def matrix_params() -> list[Any]:
    params = []
    for route in ROUTES:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[route.key])] if route.key in KNOWN_BUGS else []
        params.append(pytest.param(route, id=str(route), marks=marks))
    return params


@pytest.mark.parametrize("route", matrix_params())
def test_each_route_answers_every_caller_as_its_access_says(world: World, route: Route) -> None:
    mismatches = []
    for name in ACTORS:
        actor = world.actors[name]
        want = expected(route, actor)
        status, location = ask(world, route, actor)
        if not want.met_by(route, status, location):
            where = f" → {location}" if location else ""
            mismatches.append(f"{route} as {name}: expected {want.word} ({want.why}), got {status}{where}")
    assert not mismatches, "\n".join(mismatches)


def test_the_matrix_calls_every_route_as_every_caller_and_its_exceptions_name_real_routes() -> None:
    keys = {r.key for r in ROUTES}
    assert set(OBJECT_LEVEL) <= keys and set(NARROWED) <= keys and set(KNOWN_BUGS) <= keys
    print(f"\npermissions matrix: {len(ROUTES)} routes × {len(ACTORS)} callers = {len(ROUTES) * len(ACTORS)} calls")
    assert len(ROUTES) * len(ACTORS) > 1750


def test_each_caller_holds_what_the_registered_roles_grant(world: World) -> None:
    """The matrix's expectations start from the roles registry; the app must see each caller the same way."""
    for actor in world.actors.values():
        if actor.token is None:
            continue
        me = ok(world.client.get("/api/v1/me", headers=bearer(actor.token)), 200)
        assert (me["kind"] == "staff", set(me["permissions"])) == (actor.staff, set(actor.permissions)), actor.name
        within = {int(d): set(p) for d, p in me["department_permissions"].items()}
        assert within == ({actor.department: set(actor.department_permissions)} if actor.department else {})


# -- object-level privacy: resident A's things, resident B and another department ---------------------------


@pytest.fixture(scope="module")
def things(world: World) -> dict[str, Any]:
    """Resident A's private inquiry, application, booking, registration and coupon, for the privacy tests."""
    return private_things(world, "privacy")


def browse(world: World, who: str, url: str, form: dict[str, str] | None = None, **params: str) -> Any:
    """A page as a browser asks for it with this person's session cookie (a form is POSTed with the CSRF token)."""
    headers = page_headers(world, world.actors[who].token)
    world.client.cookies.clear()
    if form is None:
        return world.client.get(url, headers=headers, params=params, follow_redirects=False)
    data = {**form, "_csrf_token": csrf_of(world)}
    return world.client.post(url, data=data, headers=headers, follow_redirects=False)


def leaks(things: dict[str, Any], response: Any) -> list[str]:
    """What of resident A's shows in an answer."""
    markers = [
        SECRET_A,
        NAME_A,
        PHONE_A,
        things["inquiry_title"],
        things["inquiry_number"],
        things["application_number"],
        things["booking_code"],
        things["coupon"],
        things["certificate"],
    ]
    return [m for m in markers if m in response.text]


def refused(things: dict[str, Any], response: Any, statuses: tuple[int, ...] = (403, 404)) -> None:
    assert response.status_code in statuses, (str(response.request.url), response.status_code, response.text[:500])
    assert leaks(things, response) == [], str(response.request.url)


def shows_nothing_of_a(things: dict[str, Any], response: Any) -> None:
    assert response.status_code == 200, (str(response.request.url), response.status_code, response.text[:500])
    assert leaks(things, response) == [], str(response.request.url)


def test_resident_b_cannot_read_or_act_on_a_private_inquiry_of_resident_a(world: World, things: dict) -> None:
    client, a, b = world.client, world.who("resident_a"), world.who("resident_b")
    api = f"/api/v1/wenzheng/inquiries/{things['inquiry']}"
    refused(things, client.get(api, headers=b), (404,))
    refused(things, browse(world, "resident_b", f"/wenzheng/{things['inquiry']}"), (404,))
    refused(things, client.post(f"{api}/rate", json={"rating": "satisfied"}, headers=b))
    refused(things, browse(world, "resident_b", f"/wenzheng/{things['inquiry']}/rate", {"rating": "satisfied"}))
    photo = {"file": ("p.png", png(), "image/png")}
    refused(things, client.post(f"{api}/photos", files=photo, headers=b))
    refused(things, client.post(f"{api}/progress", json={"note": "已处理"}, headers=b), (403,))
    assert client.get(f"/open311/v2/requests/{things['inquiry_number']}.json").status_code == 404
    for answer in (
        client.get("/api/v1/wenzheng/inquiries/mine", headers=b),
        client.get("/api/v1/wenzheng/board", headers=b),
        browse(world, "resident_b", "/wenzheng/mine"),
        browse(world, "resident_b", "/wenzheng"),
    ):
        shows_nothing_of_a(things, answer)
    mine = ok(client.get(api, headers=a), 200)  # A's inquiry is as A left it, and A sees all of it
    assert (mine["status"], mine["body"], mine.get("photos", [])) == ("dispatched", SECRET_A, [])


def test_a_handler_of_another_department_cannot_see_or_act_on_an_inquiry_dispatched_elsewhere(
    world: World, things: dict
) -> None:
    client, x, y = world.client, world.who("handler"), world.who("other_handler")
    token = things["inquiry"]
    api = f"/api/v1/wenzheng/inquiries/{token}"
    assert ok(client.get(api, headers=x), 200)["body"] == SECRET_A  # its own department sees it all
    assert token in client.get("/api/v1/wenzheng/queue", headers=x).text
    refused(things, client.get(api, headers=y), (404,))
    refused(things, browse(world, "other_handler", f"/desk/wenzheng/{token}"))
    refused(things, client.post(f"{api}/sign", json={}, headers=y), (403,))
    refused(things, client.post(f"{api}/return", json={"note": "不归我们"}, headers=y), (403,))
    refused(things, browse(world, "other_handler", f"/desk/wenzheng/{token}", {"action": "sign"}))
    shows_nothing_of_a(things, client.get("/api/v1/wenzheng/queue", headers=y))
    shows_nothing_of_a(things, browse(world, "other_handler", "/desk/wenzheng/queue"))
    assert ok(client.get(api, headers=x), 200)["status"] == "dispatched"


def test_resident_b_cannot_read_or_act_on_an_application_of_resident_a(world: World, things: dict) -> None:
    client, a, b = world.client, world.who("resident_a"), world.who("resident_b")
    token = things["application"]
    api = f"/api/v1/services/applications/{token}"
    refused(things, client.get(api, headers=b), (404,))
    refused(things, browse(world, "resident_b", f"/services/applications/{token}"), (404,))
    refused(things, client.post(f"{api}/withdraw", json={}, headers=b), (404,))
    refused(things, browse(world, "resident_b", f"/services/applications/{token}/withdraw", {}), (404,))
    refused(things, client.post(f"{api}/supplement", json={"answers": {"mother_name": "乙"}}, headers=b), (404,))
    refused(things, browse(world, "resident_b", f"/services/applications/{token}/supplement", {"note": "x"}), (404,))
    refused(things, client.post(f"{api}/approve", json={}, headers=b), (403,))
    shows_nothing_of_a(things, client.get("/api/v1/services/applications/mine", headers=b))
    shows_nothing_of_a(things, browse(world, "resident_b", "/services/mine"))
    assert ok(client.get(api, headers=a), 200)["status"] == "submitted"


def test_a_handler_of_another_department_cannot_see_or_act_on_an_application_sent_elsewhere(
    world: World, things: dict
) -> None:
    client, x, y = world.client, world.who("handler"), world.who("other_handler")
    token = things["application"]
    api = f"/api/v1/services/applications/{token}"
    assert ok(client.get(api, headers=x), 200)["answers"]["mother_name"] == NAME_A  # its department sees it
    assert token in client.get("/api/v1/services/queue", headers=x).text
    refused(things, client.get(api, headers=y), (404,))
    refused(things, browse(world, "other_handler", f"/services/applications/{token}"), (404,))
    refused(things, browse(world, "other_handler", f"/desk/services/applications/{token}"))
    refused(things, client.post(f"{api}/accept", json={}, headers=y), (403,))
    refused(things, browse(world, "other_handler", f"/desk/services/applications/{token}/accept", {}))
    shows_nothing_of_a(things, client.get("/api/v1/services/queue", headers=y))
    shows_nothing_of_a(things, browse(world, "other_handler", "/desk/services", status="submitted"))
    assert ok(client.get(api, headers=x), 200)["status"] == "submitted"


def test_may_read_file_serves_a_certificate_only_to_its_resident_and_the_department_handling_it(
    world: World, things: dict
) -> None:
    client = world.client
    files = ok(client.get(f"/api/v1/services/applications/{things['application']}", headers=world.who("handler")), 200)
    url = files["files"]["marriage_certificate"]["url"]
    assert url.startswith("/files/")
    for entitled in ("resident_a", "handler", "admin"):
        seen = client.get(url, headers=world.who(entitled))
        assert seen.status_code == 200 and seen.headers["cache-control"] == "private, no-store", entitled
        assert seen.content[:3] == b"\xff\xd8\xff" or seen.content[:4] == b"\x89PNG", entitled
    for stranger in ("resident_b", "other_handler", "editor"):
        assert client.get(url, headers=world.who(stranger)).status_code == 404, stranger
    client.cookies.clear()
    assert client.get(url).status_code == 404  # anonymous: the same answer as for a file that does not exist
    assert client.get(url.replace("/files/", "/media/private/", 1)).status_code == 404
    assert client.get(url.replace("/files/", "/media/", 1)).status_code == 404


def test_resident_b_cannot_read_or_change_a_booking_of_resident_a_nor_another_department_see_it(
    world: World, things: dict
) -> None:
    client, a, b = world.client, world.who("resident_a"), world.who("resident_b")
    x, y = world.who("handler"), world.who("other_handler")
    token, day = things["booking"], things["booking_day"]
    api = f"/api/v1/services/bookings/{token}"
    refused(things, client.get(api, headers=b), (404,))
    refused(things, browse(world, "resident_b", f"/services/bookings/{token}"), (404,))
    refused(things, client.post(f"{api}/cancel", json={}, headers=b), (404,))
    refused(things, browse(world, "resident_b", f"/services/bookings/{token}/cancel", {}), (404,))
    moved = client.post(f"{api}/reschedule", json={"starts_at": f"{day}T08:00:00+08:00"}, headers=b)
    refused(things, moved, (404,))
    shows_nothing_of_a(things, client.get("/api/v1/services/bookings/mine", headers=b))
    # The clinic's department sees it on the day's list; another department neither there nor by its code.
    assert things["booking_code"] in client.get("/api/v1/services/bookings/day", params={"day": day}, headers=x).text
    refused(things, client.get(api, headers=y), (404,))
    refused(things, browse(world, "other_handler", f"/services/bookings/{token}"), (404,))
    shows_nothing_of_a(things, client.get("/api/v1/services/bookings/day", params={"day": day}, headers=y))
    shows_nothing_of_a(things, browse(world, "other_handler", "/desk/services/bookings", day=day))
    refused(things, client.post("/api/v1/services/check-in", json={"code": things["booking_code"]}, headers=y), (403,))
    refused(things, browse(world, "other_handler", "/desk/services/check-in", {"code": things["booking_code"]}), (403,))
    assert ok(client.get(api, headers=a), 200)["status"] == "booked"


def test_resident_b_cannot_read_or_cancel_a_registration_of_resident_a(world: World, things: dict) -> None:
    client, a, b = world.client, world.who("resident_a"), world.who("resident_b")
    token = things["registration"]
    api = f"/api/v1/activities/registrations/{token}"
    refused(things, client.get(api, headers=b), (404,))
    refused(things, client.get(f"{api}/qr.png", headers=b), (404,))
    refused(things, browse(world, "resident_b", f"/activities/registrations/{token}"), (404,))
    refused(things, client.post(f"{api}/cancel", json={}, headers=b), (404,))
    refused(things, browse(world, "resident_b", f"/activities/registrations/{token}/cancel", {}), (404,))
    refused(things, client.post("/api/v1/activities/desk/check-in", json={"code": token}, headers=b), (403,))
    shows_nothing_of_a(things, client.get("/api/v1/activities/registrations/mine", headers=b))
    shows_nothing_of_a(things, browse(world, "resident_b", "/activities/mine"))
    assert ok(client.get(api, headers=a), 200)["status"] == "registered"


def test_nobody_but_the_merchant_redeems_a_coupon_of_resident_a_and_resident_b_never_sees_it(
    world: World, things: dict
) -> None:
    client, a, b = world.client, world.who("resident_a"), world.who("resident_b")
    code = things["coupon"]
    shows_nothing_of_a(things, client.get("/api/v1/activities/coupons/mine", headers=b))
    shows_nothing_of_a(things, browse(world, "resident_b", "/activities/mine"))
    refused(things, client.post("/api/v1/activities/desk/redeem", json={"code": code}, headers=b), (403,))
    refused(things, browse(world, "resident_b", "/desk/activities/redeem", {"code": code}), (403,))
    for who in ("editor", "handler", "other_handler"):  # staff, but not the merchant's clerks
        refused(things, client.post("/api/v1/activities/desk/redeem", json={"code": code}, headers=world.who(who)))
        refused(things, browse(world, who, "/desk/activities/redeem", {"code": code}))
    [mine] = [c for c in ok(client.get("/api/v1/activities/coupons/mine", headers=a), 200) if c["code"] == code]
    assert mine["status"] == "claimed"


def test_nothing_of_resident_a_reaches_resident_b_through_inbox_feed_or_export(world: World, things: dict) -> None:
    client, b = world.client, world.who("resident_b")
    deliver_everything(world)  # A has been told of each step by now
    a_inbox = client.get("/api/v1/me/notifications", params={"limit": 100}, headers=world.who("resident_a")).text
    assert things["inquiry_title"] in a_inbox
    for answer in (
        client.get("/api/v1/me/notifications", params={"limit": 100}, headers=b),
        client.get("/api/v1/me/export", headers=b),
        client.get("/api/v1/me/feed", headers=b),
        client.get("/api/v1/me/popups", headers=b),
        browse(world, "resident_b", "/me/notifications"),
        browse(world, "resident_b", "/me"),
        browse(world, "resident_b", "/"),
    ):
        shows_nothing_of_a(things, answer)
