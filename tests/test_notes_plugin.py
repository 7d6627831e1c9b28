"""A plugin defined in a test package adds a route, a table with a migration, a setting and a permission;
removing it from the enabled plugins removes them all."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from newsplus.settings import SettingsError
from newsplus.testing import bearer, login_resident, login_staff
from notes_plugin import plugin as notes


def test_register_routes_and_table_work_together(newsplus_app) -> None:
    app = newsplus_app([notes])
    with TestClient(app) as client:
        token = login_staff(client, "writer", roles=("note_taker",))
        created = client.post("/api/v1/notes", json={"body": "路灯坏了"}, headers=bearer(token))
        assert created.status_code == 201
        assert client.get("/api/v1/notes").json() == [{"id": created.json()["id"], "body": "路灯坏了"}]


def test_register_permissions_guards_the_route(newsplus_app) -> None:
    app = newsplus_app([notes])
    with TestClient(app) as client:
        assert client.post("/api/v1/notes", json={"body": "x"}).status_code == 401
        resident = login_resident(client, "13900000001")
        denied = client.post("/api/v1/notes", json={"body": "x"}, headers=bearer(resident))
        assert denied.status_code == 403


def test_register_settings_validates_and_applies_the_plugin_table(newsplus_app) -> None:
    app = newsplus_app([notes], settings={"plugins": {"notes": {"max_length": 5}}})
    with TestClient(app) as client:
        token = login_staff(client, "writer", roles=("note_taker",))
        too_long = client.post(
            "/api/v1/notes",
            json={"body": "123456"},
            headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        )
        assert too_long.status_code == 400
        assert too_long.json()["detail"] == "A note needs 1 to 5 characters"
    with pytest.raises(SettingsError, match=r"plugins\.notes\.max_length: Expected `int`, got `str`"):
        newsplus_app([notes], settings={"plugins": {"notes": {"max_length": "long"}}})


def test_register_roles_merges_permissions_into_builtin_roles(newsplus_app) -> None:
    app = newsplus_app([notes])
    roles = app.state.newsplus.roles
    assert "notes.write" in roles["editor"].permissions
    assert roles["note_taker"].label == "记录员"
    with TestClient(app) as client:
        token = login_staff(client, "ed", roles=("editor",))
        ok = client.post("/api/v1/notes", json={"body": "编辑可以写"}, headers=bearer(token))
        assert ok.status_code == 201


def test_register_piccolo_apps_migrates_the_plugin_table(newsplus_app) -> None:
    app = newsplus_app([notes])
    with TestClient(app):
        applied = app.state.newsplus.registry.app_configs
        assert list(applied) == ["districts", "events", "users", "notifications", "content", "notes"]


def test_removing_the_plugin_removes_route_table_setting_and_permission(newsplus_app) -> None:
    app = newsplus_app([])
    newsplus = app.state.newsplus
    assert "notes" not in newsplus.registry.app_configs
    assert "notes.write" not in newsplus.permissions
    assert "notes" not in newsplus.plugin_settings
    with TestClient(app) as client:
        assert client.get("/api/v1/notes").status_code == 404
    with pytest.raises(SettingsError, match="plugins.notes: settings for a plugin that is not enabled"):
        newsplus_app([], settings={"plugins": {"notes": {"max_length": 5}}})
