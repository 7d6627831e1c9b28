"""The web layer every plugin shares: health, OpenAPI, errors, languages, 适老化, templates and static files."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import TestClient

from newsplus.testing import bearer, login_resident, login_staff, make_app
from notes_plugin import plugin as notes

HTML = {"accept": "text/html"}


@pytest.fixture
def client():
    with TestClient(make_app([notes])) as test_client:
        yield test_client


def csrf(client: TestClient) -> str:
    client.get("/", headers=HTML)
    return client.cookies["newsplus_csrf"]


def test_healthz_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_openapi_describes_the_api_and_has_an_interactive_ui(client: TestClient) -> None:
    schema = client.get("/schema/openapi.json").json()
    assert schema["info"]["title"] == "newsplus API"
    assert "/api/v1/auth/login/code" in schema["paths"] and "/api/v1/notes" in schema["paths"]
    ui = client.get("/schema")
    assert ui.status_code == 200 and "swagger-ui" in ui.text.lower()


def test_errors_use_litestars_json_shape_in_chinese_first(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"status_code": 404, "detail": "页面不存在"}
    bad = client.post("/api/v1/auth/code", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["detail"] == "请求数据有误"
    english = client.post("/api/v1/auth/code", json={"phone": "12"}, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.json() == {
        "status_code": 400,
        "detail": "Please enter a valid 11-digit mobile number",
        "extra": {"field": "phone"},
    }
    assert client.get("/api/v1/me", params={"lang": "en"}).json()["detail"] == "Please sign in first"


def test_unexpected_failures_answer_500_without_a_traceback() -> None:
    from litestar import get

    from newsplus import anyone, hookimpl

    @get("/boom", guards=[anyone])
    async def boom() -> None:
        raise RuntimeError("secret internals")

    import types

    broken = types.ModuleType("broken")
    broken.name = "broken"
    broken.register_routes = hookimpl(lambda newsplus: [boom])
    with TestClient(make_app([broken]), raise_server_exceptions=False) as test_client:
        response = test_client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"status_code": 500, "detail": "系统出了点问题，请稍后重试"}
    assert "secret internals" not in response.text


def test_pages_speak_chinese_and_switch_to_english(client: TestClient) -> None:
    home = client.get("/", headers=HTML)
    assert '<html lang="zh-CN">' in home.text and "登录" in home.text
    switched = client.post(
        "/settings/language", data={"value": "en", "next": "/", "_csrf_token": csrf(client)}, follow_redirects=False
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    english = client.get("/", headers=HTML)
    assert '<html lang="en">' in english.text and "Sign in" in english.text


def test_elderly_mode_is_a_switch_a_resident_can_turn_on(client: TestClient) -> None:
    assert 'class="h5"' in client.get("/", headers=HTML).text
    client.post("/settings/elder", data={"value": "1", "next": "/me", "_csrf_token": csrf(client)})
    assert 'class="h5 elder"' in client.get("/", headers=HTML).text
    client.post("/settings/elder", data={"value": "0", "_csrf_token": csrf(client)})
    assert 'class="h5"' in client.get("/", headers=HTML).text


def test_forms_without_a_csrf_token_are_refused(client: TestClient) -> None:
    client.get("/", headers=HTML)
    refused = client.post("/settings/elder", data={"value": "1"}, headers=HTML)
    assert refused.status_code == 403
    assert "表单已过期" in refused.text


def test_switches_never_redirect_off_site(client: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        response = client.post(
            "/settings/elder", data={"value": "1", "next": target, "_csrf_token": csrf(client)}, follow_redirects=False
        )
        assert response.headers["location"] == "/"


def test_security_headers_are_on_every_response(client: TestClient) -> None:
    headers = client.get("/").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_static_files_come_from_the_core_and_from_plugins(client: TestClient) -> None:
    css = client.get("/static/core/newsplus.css")
    assert css.status_code == 200 and "body.elder" in css.text
    assert ".notes-title" in client.get("/static/notes/notes.css").text
    assert client.get("/static/../pyproject.toml").status_code == 404


def test_home_tiles_from_plugins_appear_on_the_home_page(client: TestClient) -> None:
    page = client.get("/", headers=HTML).text
    assert 'href="/notes"' in page and "笔记" in page


def test_menu_items_show_desk_entries_only_to_those_allowed(client: TestClient) -> None:
    writer = login_staff(client, "writer", roles=("note_taker",))
    client.cookies["newsplus_session"] = writer
    desk = client.get("/desk", headers=HTML).text
    assert 'href="/notes"' in desk and 'href="/desk/users"' not in desk
    admin = login_staff(client, "boss", roles=("admin",))
    client.cookies["newsplus_session"] = admin
    desk = client.get("/desk", headers=HTML).text
    assert 'href="/desk/users"' in desk and 'href="/desk/departments"' in desk


def test_prepare_jinja2_environment_and_extra_template_vars_reach_plugin_templates(client: TestClient) -> None:
    page = client.get("/notes", headers=HTML).text
    assert '<h1 class="notes-title">Notes!</h1>' in page  # the plugin's `shout` filter
    assert '<p class="banner">notes-enabled</p>' in page  # extra_template_vars
    assert "/static/core/newsplus.css" in page  # extends core:base.html


def test_a_sites_templates_override_plugins_and_core_but_core_prefix_still_works(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    (templates / "notes").mkdir(parents=True)
    (templates / "notes" / "list.html").write_text(
        '{% extends "core:base.html" %}{% block content %}<p class="site-notes">site version</p>{% endblock %}'
    )
    (templates / "home.html").write_text(
        '{% extends "core:home.html" %}{% block content %}<p class="site-home">site home</p>{{ super() }}{% endblock %}'
    )
    app = make_app([notes], settings={"site": {"templates": str(templates)}})
    with TestClient(app) as test_client:
        assert '<p class="site-notes">site version</p>' in test_client.get("/notes", headers=HTML).text
        home = test_client.get("/", headers=HTML).text
        assert '<p class="site-home">site home</p>' in home and 'href="/notes"' in home


def test_configure_app_can_change_the_app(client: TestClient) -> None:
    assert client.get("/healthz").headers["x-notes"] == "on"


def test_startup_and_shutdown_run_once_each() -> None:
    app = make_app([notes])
    state = app.state.newsplus.state
    with TestClient(app):
        assert state == {"notes_started": 1}
    assert state == {"notes_started": 1, "notes_stopped": 1}


def test_a_resident_cannot_reach_the_desk_api_or_pages(client: TestClient) -> None:
    resident = login_resident(client)
    assert client.get("/api/v1/roles", headers=bearer(resident)).status_code == 403
    client.cookies["newsplus_session"] = resident
    page = client.get("/desk", headers=HTML)
    assert page.status_code == 403 and "此页面仅限工作人员访问" in page.text


def test_forms_carry_the_csrf_token_a_browser_posts_back(client: TestClient) -> None:
    import re

    page = client.get("/login", headers=HTML).text
    tokens = re.findall(r'<input type="hidden" name="_csrf_token" value="([^"]+)">', page)
    assert tokens and set(tokens) == {client.cookies["newsplus_csrf"]}
    assert "&lt;input" not in page
    posted = client.post("/settings/elder", data={"value": "1", "_csrf_token": tokens[0]}, follow_redirects=False)
    assert posted.status_code == 303


def test_form_numbers_are_ascii_digits_only() -> None:
    from newsplus import form_number

    assert form_number(" 42 ") == 42
    for odd in ("", None, "²", "１２", "-3", "4.5", "12345678901", "x"):
        assert form_number(odd) is None


def test_every_routes_guard_runs_in_the_event_loop(client: TestClient) -> None:
    """litestar hands a plain-function guard to a thread on every request; newsplus's guards are coroutines."""
    from litestar.routes import HTTPRoute
    from litestar.utils.sync import AsyncCallable

    guards = [
        guard
        for route in client.app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        for guard in handler.resolve_guards()
    ]
    assert len(guards) > 100
    assert [g for g in guards if isinstance(g, AsyncCallable)] == []  # litestar's wrapper for a guard it must thread
