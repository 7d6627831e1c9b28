"""Reading values typed into page forms."""

from __future__ import annotations

__all__ = ["form_number"]


def form_number(value: str | None) -> int | None:
    """A whole number typed in a form (ASCII digits only, so "²" or "１２" never reach ``int``), or None."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
