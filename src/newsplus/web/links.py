"""Links people can follow: a path on this site or an http(s) address, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit

from newsplus.errors import InvalidInput

__all__ = ["check_link", "is_safe_link", "safe_href"]


def is_safe_link(link: str) -> bool:
    """Whether a link is a local path (not ``//host`` nor ``/\\host``) or an http(s) URL with a host."""
    if not link or any(ch in link for ch in "\\\r\n\t\x00") or len(link) > 500:
        return False
    if link.startswith("/"):
        return not link.startswith("//")
    parts = urlsplit(link)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def check_link(link: str, field: str = "link") -> str:
    """A link as given (trimmed), or InvalidInput when it is neither a local path nor http(s)."""
    link = (link or "").strip()
    if link and not is_safe_link(link):
        raise InvalidInput("A link is a path on this site or an http(s) address", extra={"field": field})
    return link


def safe_href(link: str | None) -> str:
    """Template filter: the link if it is safe to put in ``href``, else ``#`` (a last wall against stored XSS)."""
    return link if link and is_safe_link(link) else "#"
