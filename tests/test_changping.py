"""The Changping reference app as a visitor, a resident and the staff meet it: seeded with its demo data,
every page reachable by links from the home page or the desk renders without error."""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

import pytest
from changping_demo import seeded_changping
from litestar.testing import TestClient

from newsplus.testing import HTML, login_resident

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/logout", "/static/", "/media/", "/schema")
FILES = (".ics", ".csv", ".atom", ".png")


@pytest.fixture(scope="module")
def changping(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The Changping app on a fresh SQLite file with every plugin's demo data."""
    app, lines = seeded_changping(tmp_path_factory.mktemp("changping"))
    assert any("Demo activities" in line for line in lines) and any("Demo 政务" in line for line in lines)
    with TestClient(app) as client:
        yield client


def shape(url: str) -> str:
    """A URL with its ids and tokens blanked, so the crawl visits a few of each kind of page."""
    return re.sub(r"/[A-Za-z0-9_-]{16,}|/\d+|=[^&]*", "/_", url)


def crawl(client: TestClient, start: str, cookie: str | None, limit: int = 600) -> dict[str, int]:
    """Follow every same-site link from ``start``; return each page visited with its status."""
    if cookie:
        client.cookies.set("newsplus_session", cookie)
    else:
        client.cookies.delete("newsplus_session")
    seen: dict[str, int] = {}
    shapes: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen or url.startswith(SKIP) or "lang=" in url:
            continue
        kind = shape(url)
        if shapes.get(kind, 0) >= 3:
            continue
        shapes[kind] = shapes.get(kind, 0) + 1
        answer = client.get(url, headers=HTML, follow_redirects=True)
        seen[url] = answer.status_code
        if answer.status_code == 200 and not url.split("?")[0].endswith(FILES):
            queue.extend(u.replace("&amp;", "&") for u in LINK.findall(answer.text))
    return seen


def signed_in_staff(client: TestClient, username: str) -> str:
    answer = client.post("/api/v1/auth/login/password", json={"username": username, "password": "changping-demo"})
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def test_every_page_a_visitor_reaches_from_the_home_page_renders(changping: TestClient) -> None:
    visited = crawl(changping, "/", None)
    assert len(visited) > 40
    broken = {url: status for url, status in visited.items() if status != 200}
    assert not broken, broken
    for place in ("/services", "/govinfo", "/activities", "/wenzheng", "/services/huitian"):
        assert place in visited


def test_every_page_a_resident_reaches_renders(changping: TestClient) -> None:
    token = login_resident(changping, "13800200000")  # 王秀英 of the demo, who lives in 天通苑北街道
    visited = crawl(changping, "/", token)
    broken = {url: status for url, status in visited.items() if status != 200}
    assert not broken, broken
    assert "/services/mine" in visited and "/activities/mine" in visited


@pytest.mark.parametrize("username", ["admin", "dispatcher", "chengguan", "weijian", "zhengwu", "huodong", "shop1"])
def test_every_desk_page_a_staff_member_reaches_renders(changping: TestClient, username: str) -> None:
    visited = crawl(changping, "/desk", signed_in_staff(changping, username))
    broken = {url: status for url, status in visited.items() if status != 200}
    assert not broken, broken
    assert len([u for u in visited if u.startswith("/desk")]) > 1


def test_the_huitian_module_added_by_the_example_plugin_takes_applications(changping: TestClient) -> None:
    home = changping.get("/", headers=HTML).text
    assert "/services/huitian" in home and "回天专项" in home
    module = changping.get("/api/v1/services/modules/huitian").json()
    assert module["form_title"] == "提交民生建议" and module["resources"][0]["slug"] == "service-point"
    token = login_resident(changping, "13800200002")
    answers = {"street": "回龙观街道", "suggestion": "建议增加回龙观到上地的通勤公交。", "phone": "13800200002"}
    made = changping.post(
        "/api/v1/services/modules/huitian/applications",
        json={"answers": answers},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 201, made.text


def test_changping_wears_its_own_colours_and_logo_on_every_page(changping: TestClient) -> None:
    changping.cookies.delete("newsplus_session")
    for url in ("/", "/wenzheng", "/services/marriage"):
        page = changping.get(url, headers=HTML).text
        assert '<link rel="stylesheet" href="/static/changping/changping.css">' in page, url
    logo = changping.get("/static/changping/logo.svg")
    assert logo.status_code == 200 and logo.text.startswith("<svg") and 'aria-label="北京昌平"' in logo.text
    assert "--brand: #1d4e89" in changping.get("/static/changping/changping.css").text
