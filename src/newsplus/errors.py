"""Errors the domain raises for a caller's mistake; the app turns each into a 4xx JSON answer or page.

Messages are written in English and shown in the caller's language (zh-CN first) through the catalogues.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "Unauthenticated",
    "UnsupportedMediaType",
]


# Seconds until a rate-limited request may be retried, for the response of the request that was refused.
RETRY_AFTER: ContextVar[int | None] = ContextVar("newsplus_retry_after", default=None)


class DomainError(Exception):
    """A request the domain refuses; ``status_code`` is the HTTP status it maps to."""

    status_code = 400

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None, **params: Any) -> None:
        try:
            english = detail.format(**params) if params else detail
        except (KeyError, IndexError, ValueError):
            english = detail
        super().__init__(english)
        self.detail = detail
        self.params = params
        self.extra = extra or {}


class InvalidInput(DomainError):
    """Input that is well-formed but not acceptable (a wrong code, a bad phone number)."""

    status_code = 400


class Unauthenticated(DomainError):
    """The caller must sign in, or the credentials given were wrong."""

    status_code = 401


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    status_code = 403


class NotFound(DomainError):
    """The thing asked for does not exist, or is not the caller's to see."""

    status_code = 404


class Conflict(DomainError):
    """The request clashes with the current state (a name already taken, an illegal state change)."""

    status_code = 409


class PayloadTooLarge(DomainError):
    """An upload or body over the size the site accepts."""

    status_code = 413


class UnsupportedMediaType(DomainError):
    """An upload whose content (sniffed, not its name) is not a type the site accepts."""

    status_code = 415


class RateLimited(DomainError):
    """Too many attempts; ``retry_after`` seconds until the next one is accepted."""

    status_code = 429

    def __init__(self, detail: str, *, retry_after: int, **params: Any) -> None:
        super().__init__(detail, **params)
        self.retry_after = max(1, int(retry_after))
        # Pages that catch the refusal and show it on their own form still answer with Retry-After.
        RETRY_AFTER.set(self.retry_after)
