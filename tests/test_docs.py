"""The docs that are generated or checked against the code: the configuration reference is complete and up to
date, and every plugin's own hook is documented and tested."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from newsplus.settings_reference import reference

ROOT = Path(__file__).resolve().parents[1]


def test_the_configuration_reference_is_up_to_date() -> None:
    written = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert written == reference(), "run: uv run python -m newsplus.settings_reference > docs/configuration.md"


def test_every_settings_key_says_what_it_does() -> None:
    undocumented = [line for line in reference().splitlines() if line.startswith("| `") and line.endswith("|  |")]
    assert not undocumented, undocumented


PLUGIN_HOOKS = [
    ("wenzheng", "newsplus_wenzheng.hookspecs", "docs/wenzheng.md"),
    ("services", "newsplus_services.hookspecs", "docs/services.md"),
]


@pytest.mark.parametrize(("plugin", "module", "doc"), PLUGIN_HOOKS)
def test_every_plugin_hook_is_documented_with_its_signature_and_tested(plugin: str, module: str, doc: str) -> None:
    specs = __import__(module, fromlist=["_"])
    hooks = [n for n, f in inspect.getmembers(specs, inspect.isfunction) if hasattr(f, "newsplus_spec")]
    assert hooks
    text = (ROOT / doc).read_text(encoding="utf-8")
    tests = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "plugins" / plugin / "tests").rglob("test_*.py"))
    for hook in hooks:
        signature = f"{hook}{inspect.signature(getattr(specs, hook))}".replace("'", "")
        assert signature in text, f"{doc} should show {signature}"
        assert re.search(rf"def test_\w*{hook}\w*", tests), f"no test of {plugin} is named after {hook}"


def test_the_tutorial_shows_the_tested_files_exactly() -> None:
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- file: (\S+) -->\n```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 2
    for path, code in blocks:
        assert code == (ROOT / path).read_text(encoding="utf-8"), f"docs/tutorial.md shows an old {path}"
