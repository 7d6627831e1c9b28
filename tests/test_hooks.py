"""Every hook is documented and tested; the account hooks carry a resident's data out and away."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from newsplus import hookspecs
from newsplus.testing import bearer, call, login_resident, make_app
from newsplus.users.auth import load_current_user
from notes_plugin import plugin as notes
from notes_plugin.tables import Note

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "newsplus_spec"))


def signature_line(name: str) -> str:
    function = getattr(hookspecs, name)
    return f"{name}{inspect.signature(function)}".replace("'", "")


def test_hook_list_is_what_the_docs_promise() -> None:
    assert len(HOOKS) >= 18 and "register_routes" in HOOKS and "addhooks" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docs_entry_with_its_exact_signature(hook: str) -> None:
    docs = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    assert f"### `{hook}`" in docs, f"docs/hooks.md has no entry for {hook}"
    entry = docs.split(f"### `{hook}`", 1)[1].split("\n### ", 1)[0]
    assert signature_line(hook) in entry, f"docs/hooks.md: the signature of {hook} should read {signature_line(hook)}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test_named_after_it(hook: str) -> None:
    names: set[str] = set()
    for folder in (ROOT / "tests", *sorted((ROOT / "plugins").glob("*/tests"))):
        for path in folder.rglob("test_*.py"):
            names |= set(re.findall(r"^\s*(?:async )?def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    assert any(hook in name for name in names), f"no test is named after the hook {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_one_line_docstring(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert doc and doc.split("\n")[0].endswith("."), f"{hook} needs a docstring whose first line is a sentence"


def write_notes(client: TestClient, token: str, mine: list[str], others: list[str] = ()) -> None:
    """Write notes as the token's user and as nobody (residents may not write notes over the API)."""
    newsplus = client.app.state.newsplus

    async def write() -> None:
        user = await load_current_user(newsplus, token)
        for body in mine:
            await notes.add_note(newsplus, body, user.id)
        for body in others:
            await notes.add_note(newsplus, body, None)

    call(client, write)


def test_user_data_adds_each_plugins_section_to_the_export() -> None:
    with TestClient(make_app([notes])) as client:
        token = login_resident(client, "13600000000")
        write_notes(client, token, ["我的笔记"])
        export = client.get("/api/v1/me/export", headers=bearer(token))
        assert export.status_code == 200
        assert export.headers["content-disposition"].startswith("attachment")
        data = export.json()
        assert data["profile"]["phone"] == "13600000000" and "password_hash" not in data["profile"]
        assert [n["body"] for n in data["notes"]] == ["我的笔记"]


def test_handle_user_deleted_lets_plugins_erase_their_data() -> None:
    with TestClient(make_app([notes])) as client:
        token = login_resident(client, "13600000001")
        write_notes(client, token, ["要删除的笔记"], others=["别人的笔记"])
        assert client.delete("/api/v1/me", headers=bearer(token)).status_code == 204

        async def remaining() -> list[str]:
            return [n["body"] for n in await Note.select(Note.body)]

        assert call(client, remaining) == ["别人的笔记"]
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
