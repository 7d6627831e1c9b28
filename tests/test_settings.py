"""newsplus.toml: decoded into Structs, overridden by NEWSPLUS_* variables, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsplus.settings import SettingsError, load_settings, settings_from_dict


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsplus.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_file_is_decoded(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[site]
name = "北京昌平"
district = "changping"
district_name = "昌平区"
languages = ["zh-CN", "en"]
base_url = "https://news.changping.example"
secret = "s3cret"

[database]
url = "postgresql://postgres@127.0.0.1:5432/test"
pool_max = 20

[plugins]
enabled = ["wenzheng", "services"]
modules = ["changping_local.plugin"]

[plugins.wenzheng]
response_days = 2

[[districts]]
slug = "yanqing"
name = "延庆区"
hosts = ["yanqing.example"]
""",
    )
    settings = load_settings(path, environ={})
    assert settings.site.name == "北京昌平"
    assert settings.site.district_name == "昌平区"
    assert settings.database.pool_max == 20
    assert settings.plugins == ("wenzheng", "services")
    assert settings.plugin_modules == ("changping_local.plugin",)
    assert settings.plugin_settings == {"wenzheng": {"response_days": 2}}
    assert settings.districts[0].hosts == ("yanqing.example",)
    assert settings.root_path == tmp_path.resolve()


def test_a_plain_plugin_list_is_accepted_and_defaults_fill_the_rest(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, 'plugins = ["wenzheng"]\n'), environ={})
    assert settings.plugins == ("wenzheng",)
    assert settings.site.timezone == "Asia/Shanghai"
    assert settings.site.languages == ("zh-CN", "en")
    assert settings.database.url == "sqlite:///newsplus.sqlite3"
    assert len(settings.site.secret) >= 32  # a development secret is generated when none is set
    assert settings.site.district_name == settings.site.district


def test_environment_overrides_win_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[site]\nname = "file"\n[plugins]\nenabled = ["notes"]\n[plugins.notes]\nmax_length = 5\n')
    settings = load_settings(
        path,
        environ={
            "NEWSPLUS_SITE__NAME": "env",
            "NEWSPLUS_DATABASE_URL": "postgresql://x@127.0.0.1/y",
            "NEWSPLUS_SITE__DEBUG": "true",
            "NEWSPLUS_PLUGINS__NOTES__TITLE": "随手记",
        },
    )
    assert settings.site.name == "env"
    assert settings.site.debug is True
    assert settings.database.url == "postgresql://x@127.0.0.1/y"
    assert settings.plugin_settings["notes"] == {"max_length": 5, "title": "随手记"}


def test_the_config_file_can_be_named_by_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[site]\nname = "via env"\n')
    assert load_settings(environ={"NEWSPLUS_CONFIG": str(path)}).site.name == "via env"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"site": {"debug": "maybe"}}, "site.debug: Expected `bool`, got `str`"),
        ({"site": {"nmae": "x"}}, "site: Object contains unknown field `nmae`"),
        ({"database": {"pool_max": "many"}}, "database.pool_max: Expected `int`, got `str`"),
        ({"districts": [{"slug": "a"}]}, "districts[0]: Object missing required field `name`"),
        ({"plugins": "wenzheng"}, "plugins: expected a list of plugin names or a [plugins] table"),
        ({"plugins": {"enabled": "wenzheng"}}, "plugins.enabled: expected a list of plugin names"),
        ({"plugins": {"wenzheng": 3}}, "plugins.wenzheng: expected a table of settings"),
        ({"sites": {}}, "unknown settings table 'sites'"),
    ],
)
def test_wrong_values_name_the_key_and_what_was_expected(raw: dict, message: str) -> None:
    with pytest.raises(SettingsError) as error:
        settings_from_dict(raw, environ={})
    assert message in str(error.value)


def test_invalid_toml_and_a_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"invalid TOML"):
        load_settings(write(tmp_path, "[site\nname = 1\n"), environ={})
    with pytest.raises(SettingsError, match=r"settings file '.*nowhere.toml' not found"):
        load_settings(tmp_path / "nowhere.toml", environ={})
