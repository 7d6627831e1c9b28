"""Article bodies are stored as sanitised HTML (nh3, the ammonia sanitiser): script never survives a save."""

from __future__ import annotations

import html
import re

import nh3

TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "sub", "sup", "blockquote", "ul", "ol", "li",
    "a", "img", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td", "hr", "span", "video", "source",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "video": {"src", "poster", "controls", "width", "height"},
    "source": {"src", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_IMG = re.compile(r"<img\b[^>]*\bsrc=\"([^\"]+)\"", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def clean_html(value: str) -> str:
    """Keep the formatting an editor needs; drop scripts, handlers, styles and unsafe links."""
    return nh3.clean(
        value or "",
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


def text_of(value: str) -> str:
    """The plain text of an HTML fragment, whitespace collapsed (for search, summaries and exports)."""
    spaced = re.sub(r"<(br|/p|/h\d|/li|/tr|/blockquote)\b[^>]*>", "\n", value or "", flags=re.IGNORECASE)
    return _SPACE.sub(" ", html.unescape(nh3.clean(spaced, tags=set()))).strip()


def paragraphs_of(value: str) -> list[str]:
    """The text of an HTML fragment as paragraphs (for plain-text exports)."""
    spaced = re.sub(r"<(br|/p|/h\d|/li|/tr|/blockquote)\b[^>]*>", "\n", value or "", flags=re.IGNORECASE)
    text = html.unescape(nh3.clean(spaced, tags=set()))
    return [line.strip() for line in text.splitlines() if line.strip()]


def image_urls(value: str) -> list[str]:
    """The image addresses in a sanitised body, in order."""
    return list(dict.fromkeys(html.unescape(src) for src in _IMG.findall(value or "")))


def summary_of(value: str, length: int = 120) -> str:
    """A summary from a body: the first ``length`` characters of its text."""
    text = text_of(value)
    return text if len(text) <= length else text[: length - 1] + "…"
