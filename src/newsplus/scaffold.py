"""``newsplus new`` and ``newsplus new-plugin``: a new district app, a new plugin package, each with tests
that pass as generated."""

import re
import secrets
from pathlib import Path

__all__ = ["new_plugin", "new_site"]

NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")

SITE_TOML = """\
# {title}: a district app on newsplus. Docs: https://github.com/newsplus (docs/getting-started.md).
[site]
name = "{title}"
district = "{district}"
district_name = "{title}"
timezone = "Asia/Shanghai"
languages = ["zh-CN", "en"]
base_url = "http://127.0.0.1:8000"
secret = "{secret}"

[database]
url = "sqlite:///.data/site.sqlite3"   # or postgresql://user@host/db to scale
auto_migrate = true

[plugins]
enabled = [{enabled}]
modules = ["site_local.plugin"]        # this site's own plugin, beside this file
"""

SITE_PLUGIN = '''\
"""{title}'s own plugin: where the district adds tiles, service modules, demo data and templates."""


from newsplus import HomeTile, hookimpl

name = "site_local"


@hookimpl
def home_tiles(request, user) -> list[HomeTile]:
    """The district's own tile on the home page."""
    return [HomeTile(title="{title}", url="/", summary="欢迎使用{title}客户端", order=1)]
'''

SITE_TEST = '''\
"""The generated site starts, serves its home page with its own tile, and answers its health check."""

from pathlib import Path

from litestar.testing import TestClient

from newsplus import Newsplus, create_app, load_settings

SITE = Path(__file__).resolve().parents[1]


def test_the_site_serves_its_home_page(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSPLUS_DATABASE_URL", f"sqlite:///{{tmp_path / 'site.sqlite3'}}")
    settings = load_settings(SITE / "newsplus.toml")
    with TestClient(create_app(newsplus=Newsplus(settings))) as client:
        assert client.get("/healthz").json() == {{"status": "ok"}}
        home = client.get("/", headers={{"Accept": "text/html"}})
        assert home.status_code == 200 and "{title}" in home.text
'''

SITE_README = """\
# {title}

A district app on [newsplus](https://github.com/newsplus).

    newsplus migrate                      # create or update the database
    newsplus createuser admin --role admin
    newsplus serve                        # http://127.0.0.1:8000/
    pytest tests                          # the site's own tests

`newsplus.toml` chooses the plugins and their settings; `site_local/plugin.py` is this district's own
plugin (tiles, service modules through `services_register_modules`, demo data); `templates/` overrides any
page (a file at the same path as the plugin's or the core's wins).
"""

PLUGIN_PYPROJECT = """\
[project]
name = "newsplus-{name}"
version = "0.1.0"
description = "newsplus plugin: {name}"
requires-python = ">=3.11"
dependencies = ["newsplus>=0.1,<0.2"]

[project.entry-points.newsplus]
{name} = "newsplus_{name}.plugin"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/newsplus_{name}"]

[tool.pytest.ini_options]
pythonpath = ["src"]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
"""

PLUGIN_MODULE = '''\
"""The {name} plugin: its settings, routes, page and home tile."""


from typing import Any

from newsplus import HomeTile, MenuItem, hookimpl
from newsplus_{name} import api, pages
from newsplus_{name}.settings import {title}Settings

name = "{name}"
requires_newsplus = ">=0.1,<0.2"


@hookimpl
def register_settings() -> dict[str, type]:
    """``[plugins.{name}]``."""
    return {{"{name}": {title}Settings}}


@hookimpl
def register_routes(newsplus) -> list[Any]:
    """The API under /api/v1/{name} and the H5 page at /{name}."""
    return [api.router, *pages.ROUTES]


@hookimpl
def home_tiles(request, user) -> list[HomeTile]:
    """A tile on the home page."""
    return [HomeTile(title="{name}", url="/{name}", order=90)]


@hookimpl
def menu_items(request, user) -> list[MenuItem]:
    """A tab in the H5 app."""
    return [MenuItem(label="{name}", url="/{name}", area="h5", order=900)]
'''

PLUGIN_SETTINGS = '''\
"""Settings of the {name} plugin: ``[plugins.{name}]`` in newsplus.toml."""

import msgspec


class {title}Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a deployment may change."""

    greeting: str = "你好"
'''

PLUGIN_API = '''\
"""The {name} API under /api/v1/{name}."""

from litestar import Router, get

from newsplus import NewsplusDep, anyone


@get("/greeting", guards=[anyone])
async def greeting(newsplus: NewsplusDep) -> dict[str, str]:
    """The configured greeting."""
    return {{"greeting": newsplus.plugin_settings["{name}"].greeting}}


router = Router(path="/api/v1/{name}", route_handlers=[greeting], tags=["{name}"])
'''

PLUGIN_PAGES = '''\
"""The {name} H5 page."""

from typing import Any

from litestar import Request, get
from litestar.response import Template

from newsplus import NewsplusDep, anyone, page


@get("/{name}", guards=[anyone])
async def index(request: Request, newsplus: NewsplusDep) -> Template:
    """The plugin's page."""
    return await page(request, "{name}/index.html", greeting=newsplus.plugin_settings["{name}"].greeting)


ROUTES: list[Any] = [index]
'''

PLUGIN_TEMPLATE = """\
{{% extends "base.html" %}}
{{% block content %}}
<section class="card"><h1>{{{{ greeting }}}}</h1><p>{{{{ _("Made with newsplus") }}}}</p></section>
{{% endblock %}}
"""

PLUGIN_PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: zh_CN\\n"

msgid "Made with newsplus"
msgstr "基于 newsplus 构建"
"""

PLUGIN_TEST = '''\
"""The {name} plugin loads, answers its API, shows its page and its tile, and reads its settings."""

from litestar.testing import TestClient

from newsplus.testing import make_app
from newsplus_{name} import plugin


def test_the_plugin_answers_its_api_and_shows_its_page() -> None:
    with TestClient(make_app([plugin])) as client:
        assert client.get("/api/v1/{name}/greeting").json() == {{"greeting": "你好"}}
        page = client.get("/{name}", headers={{"Accept": "text/html"}})
        assert page.status_code == 200 and "你好" in page.text and "基于 newsplus 构建" in page.text
        assert 'href="/{name}"' in client.get("/", headers={{"Accept": "text/html"}}).text


def test_a_deployment_changes_its_settings() -> None:
    app = make_app([plugin], settings={{"plugins": {{"{name}": {{"greeting": "欢迎"}}}}}})
    with TestClient(app) as client:
        assert client.get("/api/v1/{name}/greeting").json() == {{"greeting": "欢迎"}}
'''


def _write(files: dict[Path, str]) -> list[Path]:
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def new_site(target: Path, *, title: str, district: str, enabled: list[str]) -> list[Path]:
    """Write a new district app into ``target`` (which must not exist or be empty); return the files."""
    if not NAME.match(district):
        raise ValueError(f"district {district!r}: use lowercase letters, digits and _ (2 to 31, a letter first)")
    if target.exists() and any(target.iterdir()):
        raise ValueError(f"{target} is not empty")
    values = {"title": title, "district": district, "secret": secrets.token_urlsafe(32)}
    values["enabled"] = ", ".join(f'"{name}"' for name in enabled)
    return _write(
        {
            target / "newsplus.toml": SITE_TOML.format(**values),
            target / "site_local" / "__init__.py": f'"""{title}\'s own plugin package."""\n',
            target / "site_local" / "plugin.py": SITE_PLUGIN.format(**values),
            target / "templates" / ".keep": "",
            target / "tests" / "test_site.py": SITE_TEST.format(**values),
            target / "README.md": SITE_README.format(**values),
            target / ".gitignore": ".data/\n__pycache__/\n",
            target / "pytest.ini": "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n",
        }
    )


def new_plugin(parent: Path, name: str) -> list[Path]:
    """Write a plugin package ``newsplus-<name>`` into ``parent``; return the files."""
    if not NAME.match(name):
        raise ValueError(f"plugin name {name!r}: use lowercase letters, digits and _ (2 to 31, a letter first)")
    root = parent / f"newsplus-{name}"
    if root.exists():
        raise ValueError(f"{root} exists already")
    package = root / "src" / f"newsplus_{name}"
    values = {"name": name, "title": "".join(part.title() for part in name.split("_"))}
    return _write(
        {
            root / "pyproject.toml": PLUGIN_PYPROJECT.format(**values),
            root / "README.md": f"# newsplus-{name}\n\nA newsplus plugin. `pytest tests` runs its tests.\n",
            package / "__init__.py": f'"""newsplus-{name}."""\n',
            package / "plugin.py": PLUGIN_MODULE.format(**values),
            package / "settings.py": PLUGIN_SETTINGS.format(**values),
            package / "api.py": PLUGIN_API.format(**values),
            package / "pages.py": PLUGIN_PAGES.format(**values),
            package / "templates" / name / "index.html": PLUGIN_TEMPLATE.format(**values),
            package / "locales" / "zh-CN.po": PLUGIN_PO,
            root / "tests" / f"test_{name}.py": PLUGIN_TEST.format(**values),
        }
    )
