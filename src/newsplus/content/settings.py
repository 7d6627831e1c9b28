"""Settings of the content plugin: ``[plugins.content]``."""

from __future__ import annotations

from typing import Literal

import msgspec


class ReviewStep(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One step of a review chain: its name (初审) and the role whose holders may pass it."""

    name: str
    """The step's name shown to reviewers (初审, 复审, 终审)."""
    role: str
    """The role whose holders (district-wide) may pass it."""


DEFAULT_CHAIN = (
    ReviewStep(name="初审", role="reviewer"),
    ReviewStep(name="复审", role="reviewer"),
    ReviewStep(name="终审", role="chief_editor"),
)


class ContentSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The default review chain, comment moderation, upload limits and how often workers look for changes."""

    review_chain: tuple[ReviewStep, ...] = DEFAULT_CHAIN
    """Steps every article passes before it goes out; a channel may set its own chain in the desk."""
    distinct_reviewers: bool = True
    """Each step needs a different person, and never the author (四眼原则)."""
    comment_moderation: Literal["all", "flagged"] = "all"
    """``all``: every comment waits for a moderator (先审后发); ``flagged``: only those with sensitive words."""
    sensitive_words: tuple[str, ...] = ()
    """Words that hold a comment for moderation (with ``flagged``)."""
    max_upload_mb: int = 20
    """The largest upload accepted, in MB (413 beyond it)."""
    image_max_side: int = 2048
    """Uploaded images are shrunk to fit this many pixels on their longer side."""
    thumbnail_side: int = 360
    """The longer side of thumbnails, in pixels."""
    change_check_seconds: float = 1.0
    """How often a worker asks whether another worker published something (the cache's staleness bound)."""
    view_flush_seconds: float = 5.0
    """How often each worker writes the views it counted (0: never on its own; tests write by hand)."""
