"""Turning refusals into answers: JSON ``{status_code, detail, extra}`` for the API, a page for people."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any
from urllib.parse import quote

import asyncpg
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from newsplus import db
from newsplus.errors import DomainError, RateLimited
from newsplus.fields import InvalidFields
from newsplus.web.forms import field_errors
from newsplus.web.render import error_page, translator_for

logger = logging.getLogger("newsplus.errors")

CSRF_FAILED = "CSRF token verification failed"
CLIENT_GONE = "client disconnected prematurely"  # litestar's words when a client leaves before its body is in
MAX_BODY_BYTES = 10 * 1024 * 1024  # the app's cap on a request body where a route sets none


def _wants_page(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/open311/", "/schema")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _answer(request: Request, status: int, detail: str, extra: Any = None, headers: dict | None = None) -> Response:
    if _wants_page(request):
        if status == 401:
            target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            return Redirect(f"/login?next={target}")
        return error_page(request, status, detail)  # type: ignore[return-value]
    body: dict[str, Any] = {"status_code": status, "detail": detail}
    if extra:
        body["extra"] = extra
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    """A domain refusal in the caller's language with its status (400, 401, 403, 404, 409, 429)."""
    _ = translator_for(request)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    extra = {**exc.extra, "errors": field_errors(request, exc)} if isinstance(exc, InvalidFields) else exc.extra
    return _answer(request, exc.status_code, _(exc.detail, **exc.params), extra or None, headers)


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    """litestar's own refusals (validation, not found, guards, CSRF) in the caller's language."""
    _ = translator_for(request)
    if isinstance(exc, ValidationException):
        return _answer(request, exc.status_code, _("The request data is invalid"), exc.extra)
    if exc.status_code == 400:  # malformed JSON or form data: keep litestar's reason for developers
        return _answer(request, 400, _("The request data is invalid"), {"reason": exc.detail})
    if exc.status_code == 413:
        limit = request.route_handler.resolve_request_max_body_size() if request.scope.get("route_handler") else None
        size = round((limit or MAX_BODY_BYTES) / 1024 / 1024)
        return _answer(request, 413, _("This request is too large: at most {size} MB", size=size))
    if exc.status_code >= 500:
        logger.error("server error on %s: %s", request.url.path, exc.detail)
    detail = _(exc.detail) if isinstance(exc.detail, str) else exc.detail
    if exc.detail == CSRF_FAILED:
        detail = _("This form has expired; please reload the page and try again")
    headers = dict(exc.headers or {})
    return _answer(request, exc.status_code, detail, exc.extra, headers or None)


def database_error_handler(request: Request, exc: Exception) -> Response:
    """Input the database refused (a number out of range, a NUL byte, a reference to nothing): a 4xx, not a 500."""
    _ = translator_for(request)
    if db.is_unique_violation(exc):
        return _answer(request, 409, _("This already exists"))
    logger.info("database refused input on %s: %s", request.url.path, exc)
    return _answer(request, 400, _("The request data is invalid"))


def internal_error_handler(request: Request, exc: Exception) -> Response:
    """An unexpected failure: logged with its traceback, answered without one. A client that left before sending
    all of its request (a phone losing signal mid-upload) is noted, not logged as a failure of ours."""
    _ = translator_for(request)
    if isinstance(exc, HTTPException) and exc.detail == CLIENT_GONE:
        logger.info("client left before sending all of %s %s", request.method, request.url.path)
        return _answer(request, 400, _("The request ended before all of it arrived"))
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _answer(request, HTTP_500_INTERNAL_SERVER_ERROR, _("Something went wrong on our side; please try again"))


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    OverflowError: database_error_handler,
    sqlite3.IntegrityError: database_error_handler,
    asyncpg.exceptions.DataError: database_error_handler,
    asyncpg.exceptions.IntegrityConstraintViolationError: database_error_handler,
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,
}
