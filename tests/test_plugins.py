"""The plugin manager: defaults first, plugins enabled by name, one clear sentence when something is wrong."""

from __future__ import annotations

import subprocess
import sys
import types

import pydantic
import pytest
from litestar import Router, get, post
from litestar.params import JSONBody
from litestar.testing import TestClient

from newsplus import anyone, hookimpl
from newsplus.plugins import PluginError, make_plugin_manager
from newsplus.runtime import Newsplus
from newsplus.settings import SettingsError, settings_from_dict
from newsplus.testing import make_app
from notes_plugin import kinds_plugin
from notes_plugin import plugin as notes

CORE = ["districts", "events", "users", "web", "notifications", "content"]


def module(name: str, **attributes) -> types.ModuleType:
    plugin = types.ModuleType(f"test_{name}")
    plugin.name = name
    for key, value in attributes.items():
        setattr(plugin, key, value)
    return plugin


def test_core_plugins_register_first_then_enabled_ones() -> None:
    pm = make_plugin_manager(["wenzheng", "services", "activities", "govinfo"])
    assert [name for name, _ in pm.list_name_plugin()] == [*CORE, "wenzheng", "services", "activities", "govinfo"]


def test_each_app_gets_its_own_plugin_manager(tmp_path) -> None:
    with_notes = make_app([notes])
    without = make_app([])
    assert with_notes.state.newsplus.pm is not without.state.newsplus.pm
    assert "notes" in with_notes.state.newsplus.plugin_names
    assert "notes" not in without.state.newsplus.plugin_names


def test_an_unknown_plugin_name_stops_start_up_with_one_sentence() -> None:
    with pytest.raises(PluginError) as error:
        make_plugin_manager(["wenzhen"])
    message = str(error.value)
    assert message.startswith("unknown plugin 'wenzhen' in plugins; installed plugins: ")
    assert "wenzheng" in message and "\n" not in message


def test_core_plugins_cannot_be_enabled_again() -> None:
    with pytest.raises(PluginError, match="'users' is part of the core"):
        make_plugin_manager(["users"])


def test_an_incompatible_core_version_is_refused() -> None:
    old = module("old", requires_newsplus=">=9.0")
    with pytest.raises(PluginError, match=r"plugin 'old' needs newsplus >=9.0, but newsplus 0\.1\.0 is installed"):
        make_plugin_manager([old])
    with pytest.raises(PluginError, match="invalid requires_newsplus"):
        make_plugin_manager([module("odd", requires_newsplus="nine")])


def test_a_missing_dependency_is_named() -> None:
    needy = module("needy", depends=("wenzheng",))
    with pytest.raises(PluginError, match="plugin 'needy' needs plugin 'wenzheng'; add 'wenzheng' to plugins"):
        make_plugin_manager([needy])
    # Dependencies register first, whatever order they were listed in.
    pm = make_plugin_manager([needy, "wenzheng"])
    assert [n for n, _ in pm.list_name_plugin()][-2:] == ["wenzheng", "needy"]


def test_a_misspelt_hook_is_caught_at_start_up() -> None:
    from newsplus import hookimpl

    @hookimpl
    def register_route() -> list:
        return []

    with pytest.raises(PluginError, match="unknown hook 'register_route'"):
        make_plugin_manager([module("typo", register_route=register_route)])


def test_addhooks_lets_a_plugin_define_hooks_others_implement() -> None:
    pm = make_plugin_manager([notes, kinds_plugin])
    assert pm.hook.notes_register_kinds() == [["reminder"]]
    # The implementation can come before the plugin that defines the hook, too.
    pm = make_plugin_manager([kinds_plugin, notes])
    assert pm.hook.notes_register_kinds() == [["reminder"]]


def test_hook_calls_are_traced_when_asked(monkeypatch, capsys) -> None:
    monkeypatch.setenv("NEWSPLUS_TRACE_PLUGINS", "1")
    pm = make_plugin_manager([])
    pm.hook.register_permissions()
    assert "newsplus hook: register_permissions" in capsys.readouterr().err


def test_entry_point_plugins_load_by_name_only_when_enabled() -> None:
    settings = settings_from_dict({"plugins": ["wenzheng", "govinfo"]}, environ={})
    newsplus = Newsplus(settings)
    assert newsplus.plugin_names == [*CORE, "wenzheng", "govinfo"]
    assert "services" not in newsplus.plugin_names


def test_local_plugin_modules_are_imported_from_beside_the_settings_file(tmp_path) -> None:
    package = tmp_path / "district_local"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(
        "from newsplus import hookimpl, HomeTile\n"
        'name = "district_local"\n'
        "@hookimpl\n"
        "def home_tiles(request, user):\n"
        '    return [HomeTile(title="回天专区", url="/huitian")]\n'
    )
    settings = settings_from_dict(
        {"database": {"url": "sqlite:///x.sqlite3"}, "plugins": {"modules": ["district_local.plugin"]}},
        root=tmp_path,
        environ={},
    )
    assert "district_local" in Newsplus(settings).plugin_names
    broken = settings_from_dict({"plugins": {"modules": ["nowhere.plugin"]}}, root=tmp_path, environ={})
    with pytest.raises(PluginError, match="plugin module 'nowhere.plugin' in plugins.modules cannot be imported"):
        Newsplus(broken)


def test_a_route_without_a_declared_audience_stops_the_app() -> None:
    from litestar import get

    @get("/open")
    async def open_route() -> str:
        return "?"

    from newsplus import hookimpl

    careless = module("careless", register_routes=hookimpl(lambda newsplus: [open_route]))
    with pytest.raises(SettingsError, match=r"route /open \(open_route\) does not say who may call it"):
        make_app([careless])


def test_a_route_naming_an_unregistered_permission_stops_the_app() -> None:
    from litestar import get

    from newsplus import hookimpl, requires

    @get("/secret", guards=[requires("nobody.registered")])
    async def secret() -> str:
        return "?"

    sloppy = module("sloppy", register_routes=hookimpl(lambda newsplus: [secret]))
    with pytest.raises(SettingsError, match="route /secret requires unknown permission 'nobody.registered'"):
        make_app([sloppy])


def test_a_role_naming_an_unregistered_permission_stops_the_app() -> None:
    from newsplus import Role, hookimpl

    sloppy = module("sloppy", register_roles=hookimpl(lambda: [Role(name="editor", permissions=("no.such",))]))
    with pytest.raises(SettingsError, match="role 'editor' names unknown permission 'no.such'"):
        make_app([sloppy])


def test_register_notification_channels_falls_back_to_the_next_channel() -> None:
    app = make_app([notes])
    with TestClient(app) as client:
        assert client.post("/api/v1/auth/code", json={"phone": "13700000000"}).status_code == 202
        failing, recording = app.state.newsplus.channels
        assert failing.name == "failing_sms" and len(failing.attempts) == 1
        assert recording.name == "recording_sms" and recording.sent[-1].to == "13700000000"


def test_register_notification_channels_retires_the_development_sms_channel() -> None:
    """With a real provider registered, codes never fall back to being printed in the log."""
    from newsplus import Channel, hookimpl

    class Down:
        name, kinds = "down_sms", frozenset({"sms"})

        async def send(self, message) -> bool:
            raise ConnectionError("provider down")

    provider = module("provider", register_notification_channels=hookimpl(lambda newsplus: [Down()]))
    app = make_app([provider])
    assert [c.name for c in app.state.newsplus.channels] == ["down_sms"]
    assert isinstance(app.state.newsplus.channels[0], Channel)
    with TestClient(app) as client:
        refused = client.post("/api/v1/auth/code", json={"phone": "13700000000"}, headers={"Accept-Language": "en"})
    assert refused.status_code == 503
    assert refused.json()["detail"] == "The sms service is unavailable; please try again later"
    assert [c.name for c in make_app([]).state.newsplus.channels] == ["sms_log"]


class PydanticNote(pydantic.BaseModel):
    text: str


@post("/api/v1/pydantic-notes/notes", guards=[anyone])
async def add_pydantic_note(data: JSONBody[PydanticNote]) -> PydanticNote:
    """Echo the note."""
    return data


def test_a_plugin_may_take_pydantic_models() -> None:
    plugin = module("pydantic_notes", register_routes=hookimpl(lambda: [add_pydantic_note]))
    with TestClient(make_app([plugin])) as client:
        assert client.post("/api/v1/pydantic-notes/notes", json={"text": "记一笔"}).json() == {"text": "记一笔"}
        refused = client.post("/api/v1/pydantic-notes/notes", json={"words": 1})
        assert refused.status_code == 400 and refused.json()["extra"][0]["key"] == "text"


def test_building_an_app_does_not_load_pydantic_unless_a_plugin_uses_it() -> None:
    """Loading litestar's pydantic support was a third of building the app; newsplus itself never needs it."""
    code = (
        "import sys\n"
        "from newsplus.testing import make_app\n"
        "make_app(['wenzheng', 'services', 'activities', 'govinfo'])\n"
        "print('pydantic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"


@get("/api/v1/shared-path/items", guards=[anyone])
async def list_items() -> list[str]:
    """The items."""
    return ["一"]


@post("/api/v1/shared-path/items", guards=[anyone], status_code=201)
async def add_item() -> str:
    """Add an item."""
    return "二"


def test_two_plugins_may_serve_one_path_and_the_handler_map_matches_litestars() -> None:
    """The app keeps its handler map up to date instead of rebuilding it per path; it must equal litestar's own."""
    reader = module("items_reader", register_routes=hookimpl(lambda: [list_items]))
    writer = module("items_writer", register_routes=hookimpl(lambda: [add_item]))
    app = make_app(["wenzheng", "services", "activities", "govinfo", reader, writer])
    assert app.route_handler_method_map == Router.route_handler_method_map.fget(app)
    assert set(app.route_handler_method_map["/api/v1/shared-path/items"]) == {"GET", "POST", "OPTIONS"}
    with TestClient(app) as client:
        assert client.get("/api/v1/shared-path/items").json() == ["一"]
        assert client.post("/api/v1/shared-path/items").status_code == 201


def test_every_path_answers_options_with_all_its_methods_from_one_handler() -> None:
    """OPTIONS says which methods a path answers, every one of them (litestar's own per-path handler named only
    the first registered); one handler serves every path, so building the app registers it once."""
    reader = module("items_reader", register_routes=hookimpl(lambda: [list_items]))
    writer = module("items_writer", register_routes=hookimpl(lambda: [add_item]))
    app = make_app(["wenzheng", reader, writer])
    options = {id(methods["OPTIONS"]) for methods in app.route_handler_method_map.values() if "OPTIONS" in methods}
    assert len(options) == 1
    with TestClient(app) as client:
        for path, allowed in (
            ("/api/v1/articles/7/like", "DELETE, OPTIONS, POST"),
            ("/api/v1/shared-path/items", "GET, OPTIONS, POST"),
            ("/api/v1/feed", "GET, OPTIONS"),
        ):
            answer = client.options(path)
            assert (answer.status_code, answer.headers["allow"], answer.content) == (204, allowed, b"")
            assert answer.headers["x-content-type-options"] == "nosniff"  # the app's headers, as on any answer
        assert client.options("/api/v1/no-such-path").status_code == 404


def test_importing_newsplus_and_building_an_app_leave_the_garbage_collector_as_it_was() -> None:
    """Start-up pauses automatic collection (newsplus.startup); a program that imports newsplus gets it back."""
    code = (
        "import gc, sys\n"
        "if sys.argv[1] == 'off': gc.disable()\n"
        "import newsplus\n"
        "seen = [gc.isenabled()]\n"
        "from newsplus.testing import make_app\n"
        "make_app(['wenzheng'])\n"
        "print(seen[0], gc.isenabled())\n"
    )
    for state, expected in (("on", "True True"), ("off", "False False")):
        done = subprocess.run([sys.executable, "-c", code, state], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip().splitlines()[-1] == expected
