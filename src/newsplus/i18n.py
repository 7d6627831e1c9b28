"""Message catalogues: English source strings, shown in Simplified Chinese first, English on request.

Each plugin package (the core's included) may ship ``locales/<language>.po`` files; they are read with
Babel when a language is first asked for. The caller's language comes from ``?lang=``, then the ``newsplus_lang``
cookie, then Accept-Language, then the site's first language.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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
    """Every language's messages, merged from all plugin packages (later plugins may override).

    A language is read the first time it is asked for: importing Babel and reading every catalogue took
    35–45 ms of each worker's start, and a worker may never serve some of the site's languages.
    """

    def __init__(self, languages: tuple[str, ...], folders: Iterable[Path]) -> None:
        self.languages = languages
        self._folders = list(folders)
        self._translators: dict[str, Translator] = {}

    @property
    def messages(self) -> dict[str, dict[str, str]]:
        """Every language's messages (read now if they were not yet)."""
        return {lang: self.translator(lang).messages for lang in self.languages}

    def translator(self, language: str) -> Translator:
        """The translator for a language (the site's first language when it is not offered)."""
        translator = self._translators.get(language)
        if translator is None:
            if language not in self.languages:
                return self.translator(self.languages[0])
            translator = self._translators[language] = Translator(language, self._read(language))
        return translator

    def _read(self, language: str) -> dict[str, str]:
        from babel.messages.pofile import read_po

        messages: dict[str, str] = {}
        for folder in self._folders:
            po = folder / "locales" / f"{language}.po"
            if po.is_file():
                with po.open("rb") as handle:
                    catalog = read_po(handle)
                messages.update({m.id: m.string for m in catalog if m.id and m.string and isinstance(m.id, str)})
        return messages


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
