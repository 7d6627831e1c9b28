"""Reading values typed into page forms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsplus.fields import InvalidFields
from newsplus.web.render import translator_for

if TYPE_CHECKING:
    from litestar import Request

    from newsplus.errors import DomainError

__all__ = ["field_errors", "form_number"]


def form_number(value: str | None) -> int | None:
    """A whole number typed in a form (ASCII digits only, so "²" or "１２" never reach ``int``), or None."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def field_errors(request: Request, error: DomainError) -> dict[str, str]:
    """Each refused answer's message in the caller's language, by field (empty when the error names none)."""
    _ = translator_for(request)
    if isinstance(error, InvalidFields):
        return {name: _(detail, **params) for name, (detail, params) in error.errors.items()}
    field = error.extra.get("field")
    return {field: _(error.detail, **error.params)} if field else {}
