"""Security headers on every answer (API, pages, static files, media and refusals alike), added as the
response starts: litestar's ``response_headers`` miss exception responses and the static files router.
A 429 also says when to retry, whichever handler drew the page."""

from __future__ import annotations

from litestar.types import Message, Scope

from newsplus.errors import RETRY_AFTER

__all__ = ["CONTENT_SECURITY_POLICY", "add_security_headers"]

# Scripts only from our own files (no inline scripts or handlers anywhere); styles may be inline (style
# attributes in sanitised articles); images and video may come from other https sites (articles embed them).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; "
    "media-src 'self' https:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The interactive API docs load Swagger UI's script and styles from its CDN: they may not be framed either.
DOCS_POLICY = "frame-ancestors 'none'"

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
_PAGES = [*_COMMON, (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())]
_DOCS = [*_COMMON, (b"content-security-policy", DOCS_POLICY.encode())]


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Add the security headers a response does not set itself."""
    if message["type"] != "http.response.start":
        return
    wanted = _DOCS if scope.get("path", "").startswith("/schema") else _PAGES
    headers = list(message.get("headers") or ())
    present = {bytes(name).lower() for name, _ in headers}
    headers.extend(h for h in wanted if h[0] not in present)
    if message.get("status") == 429 and b"retry-after" not in present and (wait := RETRY_AFTER.get()):
        headers.append((b"retry-after", str(wait).encode()))
    message["headers"] = headers
