"""Message catalogues: English source strings, shown in Simplified Chinese first, English on request.

Each plugin package (the core's included) may ship ``locales/<language>.po`` files; they are read with
Babel when the app is built. The caller's language comes from ``?lang=``, then the ``newsplus_lang``
cookie, then Accept-Language, then the site's first language.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

__all__ = ["LANG_COOKIE", "Catalogues", "Translator", "negotiate_language", "package_dirs"]

LANG_COOKIE = "newsplus_lang"


def package_dirs(plugins: Iterable[Any]) -> list[Path]:
    """The package folder of each plugin module (where templates/, static/ and locales/ live).

    A plugin that is not inside a package (a lone module, an object) has no such folder.
    """
    dirs: list[Path] = []
    for plugin in plugins:
        package = sys.modules.get(getattr(plugin, "__package__", None) or "")
        file = getattr(package, "__file__", None)
        if file and Path(file).parent not in dirs:
            dirs.append(Path(file).parent)
    return dirs


class Translator:
    """Translates messages into one language; unknown messages stay in English."""

    def __init__(self, language: str, messages: dict[str, str]) -> None:
        self.language = language
        self.messages = messages

    def __call__(self, message: str, **params: Any) -> str:
        text = self.messages.get(message) or message
        if params:
            try:
                return text.format(**params)
            except (KeyError, IndexError, ValueError):
                return text
        return text


class Catalogues:
    """Every language's messages, merged from all plugin packages (later plugins may override)."""

    def __init__(self, languages: tuple[str, ...], folders: Iterable[Path]) -> None:
        self.languages = languages
        self.messages: dict[str, dict[str, str]] = {lang: {} for lang in languages}
        for folder in folders:
            for lang in languages:
                po = folder / "locales" / f"{lang}.po"
                if po.is_file():
                    with po.open("rb") as handle:
                        catalog = read_po(handle)
                    self.messages[lang].update(
                        {m.id: m.string for m in catalog if m.id and m.string and isinstance(m.id, str)}
                    )
        self._translators = {lang: Translator(lang, self.messages[lang]) for lang in languages}

    def translator(self, language: str) -> Translator:
        """The translator for a language (the site's first language when it is not offered)."""
        return self._translators.get(language) or self._translators[self.languages[0]]


def negotiate_language(
    offered: tuple[str, ...], query: str | None, cookie: str | None, accept_language: str | None
) -> str:
    """Pick the caller's language from what the site offers."""
    lowered = {lang.lower(): lang for lang in offered}
    for choice in (query, cookie):
        if choice and choice.lower() in lowered:
            return lowered[choice.lower()]
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        ranked.append((-weight, position, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag in lowered:
            return lowered[tag]
        base = tag.split("-")[0]
        for lang in offered:
            if lang.lower().split("-")[0] == base:
                return lang
    return offered[0]
