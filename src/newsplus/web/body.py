"""What a request body may be: the JSON API takes JSON (or files as multipart), never ``text/plain``, which
a page on another site could send without asking first (a CORS "simple request")."""

from __future__ import annotations

from litestar import Request
from litestar.exceptions import HTTPException

__all__ = ["require_json_api_writes"]

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def require_json_api_writes(request: Request) -> None:
    """Refuse (415) an API write whose body is labelled text/plain, or carries no type at all."""
    if request.method not in WRITES or not request.scope["path"].startswith("/api/"):
        return
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    has_body = request.headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in request.headers
    if has_body and kind in ("", "text/plain"):
        raise HTTPException(status_code=415, detail="Send the data as JSON (Content-Type: application/json)")
