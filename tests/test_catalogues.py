"""Every message a person can see has a Simplified Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsplus.i18n import Catalogues, negotiate_language

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [ROOT / "src" / "newsplus", *sorted((ROOT / "plugins").glob("*/src/*"))]
RAISED = re.compile(
    r"(?:InvalidInput|Unauthenticated|Forbidden|NotFound|Conflict|RateLimited|DomainError|NotAuthorizedException"
    r"|PermissionDeniedException|NotFoundException|\b_|\))\(\s*\"((?:[^\"\\]|\\.)+)\""
)
LABELS = re.compile(r"(?:MenuItem|HomeTile)\((?:label|title)=\"([^\"]+)\"")
SCAFFOLDS = {"scaffold.py"}
"""Source text of generated projects, which carry their own catalogues."""
IN_TEMPLATES = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)+)"|'((?:[^'\\]|\\.)+)')""")


def messages() -> dict[str, str]:
    """Every translatable message in the core and the plugin packages, with where it was found."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in package.rglob("*"):
            if path.suffix == ".py" and path.name not in SCAFFOLDS:
                text = path.read_text(encoding="utf-8")
                for match in [*RAISED.finditer(text), *LABELS.finditer(text)]:
                    found.setdefault(match.group(1), str(path.relative_to(ROOT)))
            elif path.suffix == ".html":
                for match in IN_TEMPLATES.finditer(path.read_text(encoding="utf-8")):
                    found.setdefault(match.group(1) or match.group(2), str(path.relative_to(ROOT)))
    return found


def test_every_message_has_a_chinese_translation() -> None:
    folders = [p for package in PACKAGES for p in [package, *package.iterdir()] if p.is_dir()]
    chinese = Catalogues(("zh-CN", "en"), folders).messages["zh-CN"]
    missing = {message: where for message, where in messages().items() if message not in chinese}
    assert not missing, f"messages without a zh-CN translation: {missing}"
    assert len(chinese) > 50


def test_translations_keep_their_placeholders() -> None:
    folders = [p for package in PACKAGES for p in package.iterdir() if p.is_dir()]
    for source, text in Catalogues(("zh-CN",), folders).messages["zh-CN"].items():
        assert set(re.findall(r"{\w+}", source)) == set(re.findall(r"{\w+}", text)), source


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        (None, None, None, "zh-CN"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "fr-FR,en;q=0.5,zh;q=0.8", "zh-CN"),
        (None, "en", "zh-CN", "en"),
        ("zh-cn", "en", "en", "zh-CN"),
        ("klingon", None, "en", "en"),
    ],
)
def test_language_is_chosen_from_query_cookie_header_then_site(query, cookie, header, expected) -> None:
    assert negotiate_language(("zh-CN", "en"), query, cookie, header) == expected
