"""Residents' files for form fields: taken in at a measured pace, capped by ``max_file_mb``, kept private
(only the resident and the staff handling the application may open them), and dropped when no application
claimed them within a day."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from newsplus import now, read_upload, remove_file, store_file
from newsplus_services.applications import keep_file, may_handle
from newsplus_services.tables import Application, ApplicationFile

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus

UPLOADS_PER_HOUR = 30
UNCLAIMED_FOR = timedelta(days=1)


async def take_upload(newsplus: Newsplus, user: CurrentUser, upload: Any) -> tuple[str, str]:
    """Store one image a resident chose for a form field; return its token and the address of its thumbnail."""
    newsplus.limiter.hit(
        f"services-upload:{user.id}",
        limit=UPLOADS_PER_HOUR,
        per_seconds=3600,
        detail="You have uploaded many files in the last hour; please wait a little",
    )
    cap = newsplus.plugin_settings["services"].max_file_mb
    data = await read_upload(newsplus, upload, max_mb=cap)
    stored = await store_file(newsplus, data, images_only=True, max_mb=cap, private=True)
    return await keep_file(user, stored), stored.thumb or stored.path


async def drop_unclaimed(newsplus: Newsplus) -> int:
    """Delete files no application claimed within a day (a form abandoned, a file replaced before sending)."""
    stale = await ApplicationFile.select(ApplicationFile.id, ApplicationFile.path, ApplicationFile.thumb).where(
        ApplicationFile.application.is_null() & (ApplicationFile.created_at < now() - UNCLAIMED_FOR)
    )
    for row in stale:
        await remove_file(newsplus, row["path"])
        await remove_file(newsplus, row["thumb"])
    if stale:
        await ApplicationFile.delete().where(ApplicationFile.id.is_in([r["id"] for r in stale]))
    return len(stale)


async def may_read(user: CurrentUser | None, path: str) -> bool | None:
    """Whether a caller may open a file given for a form: its resident, or staff handling its application."""
    row = (
        await ApplicationFile.select(ApplicationFile.user, ApplicationFile.application)
        .where((ApplicationFile.path == path) | (ApplicationFile.thumb == path))
        .first()
    )
    if row is None:
        return None
    if user is not None and row["user"] == user.id:
        return True
    if row["application"] is None:
        return False
    application = await Application.select(Application.department).where(Application.id == row["application"]).first()
    return application is not None and may_handle(user, application)
