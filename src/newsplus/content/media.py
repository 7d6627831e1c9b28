"""The media library: uploads sniffed by content, images re-encoded and thumbnailed, files kept outside the code."""

from __future__ import annotations

import asyncio
import io
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus.clock import now
from newsplus.content.tables import Media
from newsplus.districts.scope import current_district
from newsplus.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

MAX_PIXELS = 60_000_000
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"M4V "}
URL_PREFIX = "/media/"
PRIVATE = "private"  # the folder of residents' own files (certificates, photos): served only to those entitled
PRIVATE_PREFIX = "/files/"


def sniff(data: bytes) -> str | None:
    """The media type of a file from its first bytes (jpeg, png, gif, webp, mp4), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in MP4_BRANDS and _mp4_boxes(data):
        return "video/mp4"
    return None


def _mp4_boxes(data: bytes) -> bool:
    """Whether the file is a sequence of MP4 boxes from start to end, with a movie header and media data
    (an MP4 signature followed by anything else, HTML say, is not a video)."""
    seen, at = set(), 0
    while at < len(data):
        if at + 8 > len(data):
            return False
        size, kind = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8]
        if size == 1 and at + 16 <= len(data):
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        elif size == 0:
            size = len(data) - at
        if size < 8 or not all(32 <= c < 127 for c in kind):
            return False
        seen.add(kind)
        at += size
    return at == len(data) and {b"moov", b"mdat"} <= seen


def media_root(newsplus: Newsplus) -> Path:
    """Where uploads are stored (``[site] media``)."""
    return newsplus.settings.path(newsplus.settings.site.media)


def _reencode(data: bytes, max_side: int, thumb_side: int) -> tuple[bytes, bytes, str, int, int]:
    """Decode, rotate upright, shrink and re-encode an image (dropping metadata and anything hidden in it)."""
    from PIL import Image, ImageOps, UnidentifiedImageError  # on the first upload: start-up goes without it

    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise UnsupportedMediaType("This image is too large to process")
            probe.verify()
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise UnsupportedMediaType("This file is not a readable image") from None
    keep_alpha = image.mode in ("RGBA", "LA", "P") and "transparency" in image.info or image.mode in ("RGBA", "LA")
    image = image.convert("RGBA" if keep_alpha else "RGB")
    image.thumbnail((max_side, max_side))
    fmt, ext = ("PNG", "png") if keep_alpha else ("JPEG", "jpg")
    out = io.BytesIO()
    image.save(out, fmt, quality=85, optimize=True)
    thumb = image.copy()
    thumb.thumbnail((thumb_side, thumb_side))
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, fmt, quality=80)
    return out.getvalue(), thumb_out.getvalue(), ext, image.width, image.height


def check_size(newsplus: Newsplus, size: int, max_mb: int | None = None) -> None:
    """Refuse an upload over the site's ``max_upload_mb``, or a plugin's own lower ``max_mb``, before it is read."""
    site_limit = newsplus.plugin_settings["content"].max_upload_mb
    limit = min(max_mb, site_limit) if max_mb else site_limit
    if size > limit * 1024 * 1024:
        raise PayloadTooLarge("Files may be at most {mb} MB", mb=limit)


async def read_upload(newsplus: Newsplus, upload: Any, *, max_mb: int | None = None) -> bytes:
    """The bytes of a multipart upload, its size checked first (litestar spools large ones to disk)."""
    file = upload.file
    file.seek(0, 2)
    check_size(newsplus, file.tell(), max_mb)
    file.seek(0)
    return await upload.read()


class StoredFile(msgspec.Struct, frozen=True, kw_only=True):
    """A file written to the media store: where it is, its thumbnail, its type and size."""

    path: str
    thumb: str
    content_type: str
    size: int
    width: int = 0
    height: int = 0


async def store_file(
    newsplus: Newsplus, data: bytes, *, images_only: bool = False, max_mb: int | None = None, private: bool = False
) -> StoredFile:
    """Check, re-encode (images) and write an upload under ``[site] media``; no library row is made.

    ``private`` files (a resident's certificate, say) are kept apart and served at ``/files/…`` only to
    those a plugin's ``may_read_file`` admits, never cached by a proxy."""
    settings = newsplus.plugin_settings["content"]
    check_size(newsplus, len(data), max_mb)
    if not data:
        raise InvalidInput("The file is empty", extra={"field": "file"})
    content_type = sniff(data)
    if content_type is None or (images_only and not content_type.startswith("image/")):
        if images_only:
            raise UnsupportedMediaType("Only JPEG, PNG, GIF and WebP images can be uploaded")
        raise UnsupportedMediaType("Only JPEG, PNG, GIF, WebP images and MP4 videos can be uploaded")
    folder = Path(current_district().slug) / now().strftime("%Y/%m")
    if private:
        folder = PRIVATE / folder
    stem = secrets.token_urlsafe(12)
    root = media_root(newsplus)
    (root / folder).mkdir(parents=True, exist_ok=True)
    width = height = 0
    thumb_path = ""
    if content_type.startswith("image/"):
        body, thumb, ext, width, height = await asyncio.to_thread(
            _reencode, data, settings.image_max_side, settings.thumbnail_side
        )
        content_type = f"image/{'png' if ext == 'png' else 'jpeg'}"
        thumb_path = str(folder / f"{stem}_t.{ext}")
        await asyncio.to_thread((root / thumb_path).write_bytes, thumb)
    else:
        body, ext = data, "mp4"
    path = str(folder / f"{stem}.{ext}")
    await asyncio.to_thread((root / path).write_bytes, body)
    return StoredFile(
        path=path, thumb=thumb_path, content_type=content_type, size=len(body), width=width, height=height
    )


async def store_upload(newsplus: Newsplus, data: bytes, name: str, *, user_id: int | None, alt: str = "") -> Media:
    """Check, re-encode and store an upload in the media library; return its row."""
    stored = await store_file(newsplus, data)
    row = Media(
        kind=stored.content_type.split("/")[0],
        name=(name or "")[:200],
        path=stored.path,
        thumb=stored.thumb,
        content_type=stored.content_type,
        size=stored.size,
        width=stored.width,
        height=stored.height,
        alt=alt[:200],
        uploaded_by=user_id,
        created_at=now(),
    )
    await row.save()
    return row


async def remove_file(newsplus: Newsplus, path: str) -> None:
    """Delete a stored file (and nothing outside the media folder)."""
    if not path or ".." in Path(path).parts or Path(path).is_absolute():
        return
    target = media_root(newsplus) / path
    await asyncio.to_thread(target.unlink, missing_ok=True)


def url_of(path: str) -> str:
    """The address of a stored file: public media at /media/, private files at the guarded /files/."""
    if not path:
        return ""
    if path.startswith(PRIVATE + "/"):
        return PRIVATE_PREFIX + path[len(PRIVATE) + 1 :]
    return URL_PREFIX + path


async def media_item(media_id: int) -> Media:
    """One item of this district's library."""
    row = await Media.objects().where(Media.id == media_id).first()
    if row is None:
        raise NotFound("No such media item")
    return row


async def library(*, before: int | None = None, limit: int = 48) -> list[dict]:
    """The library, newest first (``before`` an id, for the next page)."""
    query = Media.select().order_by(Media.id, ascending=False).limit(limit)
    if before:
        query = query.where(Media.id < before)
    return [dict(row, url=url_of(row["path"]), thumb_url=url_of(row["thumb"] or row["path"])) for row in await query]
