"""The Atom feed (RFC 4287) of the latest articles, for the site or one channel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from newsplus.content.distribution import absolute
from newsplus.content.feed import feed

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

NS = "http://www.w3.org/2005/Atom"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


async def atom_feed(newsplus: Newsplus, channel: str = "") -> bytes:
    """The 50 newest articles readers see, as an Atom document."""
    page = await feed(newsplus, channel=channel, limit=50)
    site = newsplus.settings.site
    self_path = f"/channels/{channel}/feed.atom" if channel else "/feed.atom"
    root = ET.Element("feed", {"xmlns": NS, "xml:lang": site.languages[0] if site.languages else "zh-CN"})
    title = site.name + (
        f" · {next((i.channel_name for i in page.items if i.channel == channel), channel)}" if channel else ""
    )
    _text(root, "title", title)
    _text(root, "id", absolute(newsplus, self_path))
    ET.SubElement(root, "link", {"rel": "self", "href": absolute(newsplus, self_path)})
    ET.SubElement(
        root, "link", {"rel": "alternate", "href": absolute(newsplus, f"/channels/{channel}" if channel else "/")}
    )
    items = sorted(
        [*page.pinned, *page.items], key=lambda i: i.published_at or datetime.min.replace(tzinfo=UTC), reverse=True
    )
    items = [i for i in items if i.kind != "topic"]
    updated = items[0].published_at if items and items[0].published_at else datetime.now(UTC)
    _text(root, "updated", updated.isoformat())
    for item in items:
        entry = ET.SubElement(root, "entry")
        _text(entry, "title", item.title)
        _text(entry, "id", absolute(newsplus, item.url))
        ET.SubElement(entry, "link", {"rel": "alternate", "href": absolute(newsplus, item.url)})
        stamp = (item.published_at or updated).isoformat()
        _text(entry, "published", stamp)
        _text(entry, "updated", stamp)
        _text(_text(entry, "author", ""), "name", site.name)
        if item.channel:
            ET.SubElement(entry, "category", {"term": item.channel, "label": item.channel_name})
        if item.summary:
            _text(entry, "summary", item.summary)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
