"""Intake and reading: a resident's inquiry comes in, with photos; who may see which inquiry, and how much."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus import (
    Forbidden,
    InvalidInput,
    NotFound,
    StoredFile,
    clean_fields,
    mask_address,
    mask_name,
    mask_phone,
    mask_text,
    now,
    store_file,
    transaction,
    url_of,
)
from newsplus.tracking import numbered
from newsplus.users.tables import Department
from newsplus_wenzheng.calendar import WorkingCalendar
from newsplus_wenzheng.events import announce
from newsplus_wenzheng.schemas import KINDS, InquiryIn
from newsplus_wenzheng.tables import Inquiry, Photo, Step

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus
    from newsplus_wenzheng.settings import CategorySetting

PHONE = re.compile(r"^1\d{10}$")
PUBLIC_STATUSES = ("accepted", "dispatched", "signed", "in_progress", "replied", "closed")


def categories(newsplus: Newsplus) -> dict[str, CategorySetting]:
    """The district's categories by code."""
    return {c.code: c for c in newsplus.plugin_settings["wenzheng"].categories}


def calendar(newsplus: Newsplus) -> WorkingCalendar:
    """The working-day calendar (built once per app)."""
    found = newsplus.state.get("wenzheng.calendar")
    if found is None:
        found = newsplus.state["wenzheng.calendar"] = WorkingCalendar(
            newsplus.plugin_settings["wenzheng"], newsplus.settings.site.timezone
        )
    return found


def watch_hits(newsplus: Newsplus, text: str) -> list[str]:
    """The 舆情 watch words a text contains."""
    return [w for w in newsplus.plugin_settings["wenzheng"].watch_words if w and w in text]


async def submit(
    newsplus: Newsplus,
    user: CurrentUser | None,
    data: InquiryIn,
    *,
    source: str = "app",
    photos: Sequence[StoredFile] = (),
) -> Inquiry:
    """Take an inquiry in: checked, numbered, its response deadline set, the first step written, photos kept."""
    category = categories(newsplus).get(data.category)
    if category is None:
        raise InvalidInput("Unknown category {category}", category=data.category, extra={"field": "category"})
    title, body = data.title.strip(), data.body.strip()
    if not 2 <= len(title) <= 100:
        raise InvalidInput("A title of 2 to 100 characters is required", extra={"field": "title"})
    if not 5 <= len(body) <= 5000:
        raise InvalidInput("Describe it in 5 to 5,000 characters", extra={"field": "body"})
    phone = re.sub(r"[\s-]", "", data.contact_phone or (user.phone if user and user.phone else ""))
    if phone and not PHONE.match(phone):
        raise InvalidInput("Give an 11-digit mobile number", extra={"field": "contact_phone"})
    for field, dept_id, kind in (("street", data.street, "street"), ("community", data.community, "community")):
        if dept_id is not None and not await Department.exists().where(
            (Department.id == dept_id) & (Department.kind == kind)
        ):
            raise InvalidInput("No such {kind}", kind=kind, extra={"field": field})
    if (data.lat is None) != (data.lng is None) or (
        data.lat is not None and not (-90 <= data.lat <= 90 and -180 <= data.lng <= 180)
    ):
        raise InvalidInput("Give both coordinates, within range", extra={"field": "lat"})
    moment = now()
    today = moment.astimezone(calendar(newsplus).zone).date()
    extra = clean_fields(category.fields, data.extra, today=today, prefix="extra.")
    hits = watch_hits(newsplus, f"{title} {body}")

    async def write(number: str) -> Inquiry:
        # Made before the transaction: while it is open, every other writer of this worker waits.
        row = Inquiry(
            number=number,
            token=secrets.token_urlsafe(16),
            user=user.id if user else None,
            source=source,
            kind=data.kind,
            category=category.code,
            title=title,
            body=body,
            extra=msgspec.json.encode(extra).decode(),
            street=data.street,
            community=data.community,
            address=data.address.strip()[:300],
            lat=data.lat,
            lng=data.lng,
            public=data.public,
            contact_name=data.contact_name.strip()[:100] or (user.display_name if user else ""),
            contact_phone=phone,
            response_due_at=calendar(newsplus).deadline(moment, category.response_days),
            flagged=",".join(hits)[:200],
            created_at=moment,
            updated_at=moment,
        )
        async with transaction():
            await row.save()
            await Step(
                inquiry=row.id,
                action="submit",
                to_status="submitted",
                actor=user.id if user else None,
                created_at=moment,
            ).save()
            for photo in photos:
                await Photo(inquiry=row.id, path=photo.path, thumb=photo.thumb).save()
            await announce(newsplus, row, "submit", user.id if user else None)

        return row

    return await numbered(newsplus, write)


async def add_photo(newsplus: Newsplus, user: CurrentUser, token: str, data: bytes) -> dict[str, str]:
    """Attach a photo to one's own inquiry while it is still being taken in."""
    row = await by_token(token)
    if row["user"] != user.id:
        raise NotFound("No such inquiry")
    if row["status"] not in ("submitted", "accepted"):
        raise InvalidInput("Photos can be added until the inquiry is dispatched")
    stored = await store_file(newsplus, data, images_only=True, private=True)
    limit = newsplus.plugin_settings["wenzheng"].max_photos
    async with transaction():  # counted and added together, so two uploads at once cannot pass the limit
        if await Photo.count().where(Photo.inquiry == row["id"]) >= limit:
            raise InvalidInput("At most {n} photos", n=limit)
        await Photo(inquiry=row["id"], path=stored.path, thumb=stored.thumb).save()
    return {"url": url_of(stored.path), "thumb": url_of(stored.thumb)}


async def by_token(token: str) -> dict[str, Any]:
    """An inquiry of this district by its public token."""
    row = await Inquiry.select().where(Inquiry.token == token[:64]).first()
    if row is None:
        raise NotFound("No such inquiry")
    return row


def may_handle(user: CurrentUser | None, row: dict[str, Any]) -> bool:
    """A dispatcher, or a handler of the department it was dispatched to."""
    if user is None:
        return False
    return user.can("wenzheng.dispatch") or (
        row["department"] is not None and user.can_in("wenzheng.handle", row["department"])
    )


def audience(user: CurrentUser | None, row: dict[str, Any]) -> str:
    """How much a viewer sees: ``staff`` working on it, the ``owner`` who wrote it, or the ``public``."""
    if user is not None and (may_handle(user, row) or user.can("wenzheng.supervise")):
        return "staff"
    if user is not None and row["user"] == user.id:
        return "owner"
    return "public"


async def view(newsplus: Newsplus, user: CurrentUser | None, token: str) -> dict[str, Any]:
    """An inquiry with its timeline and photos, as this viewer may see it (masked for the public)."""
    row = await by_token(token)
    seen_by = audience(user, row)
    full = seen_by != "public"
    if not full and not (row["public"] and row["status"] in PUBLIC_STATUSES):
        raise NotFound("No such inquiry")
    steps = (
        await Step.select(Step.action, Step.to_status, Step.note, Step.created_at, Step.department)
        .where(Step.inquiry == row["id"])
        .order_by(Step.id)
    )
    photos = await Photo.select(Photo.path, Photo.thumb).where(Photo.inquiry == row["id"]).order_by(Photo.id)
    names = await _department_names([s["department"] for s in steps] + [row["department"], row["street"]])
    names |= {c.code: c.name for c in categories(newsplus).values()}
    return shape(row, seen_by=seen_by, names=names) | {
        "timeline": [
            {
                "action": s["action"],
                "status": s["to_status"],
                "note": s["note"]
                if full
                else public_text(row, s["note"])
                if s["action"] in ("reply", "reject", "progress")
                else "",
                "department": names.get(s["department"], ""),
                "at": s["created_at"],
            }
            for s in steps
        ],
        "photos": [{"url": url_of(p["path"]), "thumb": url_of(p["thumb"] or p["path"])} for p in photos]
        if full
        else [],
    }


async def _department_names(ids: list[int | None]) -> dict[int, str]:
    wanted = [i for i in set(ids) if i]
    if not wanted:
        return {}
    return {
        d["id"]: d["name"]
        for d in await Department.select(Department.id, Department.name).where(Department.id.is_in(wanted))
    }


def public_text(row: dict[str, Any], text: str) -> str:
    """An inquiry's free text as the public reads it: numbers and house numbers masked, and its contact's
    name (written into the text or a reply) reduced to the family name."""
    return mask_text(text, names=(row["contact_name"],))


def shape(row: dict[str, Any], *, seen_by: str, names: dict[Any, str]) -> dict[str, Any]:
    """An inquiry as the API shows it: personal details for its owner and staff, internal notes for staff,
    and for the public the phone, name and house numbers masked, in the free text too."""
    shown = {
        "number": row["number"],
        "token": row["token"],
        "kind": row["kind"],
        "kind_name": KINDS.get(row["kind"], row["kind"]),
        "category": row["category"],
        "category_name": names.get(row["category"], row["category"]),
        "title": row["title"],
        "body": row["body"],
        "status": row["status"],
        "street": names.get(row["street"], ""),
        "department": names.get(row["department"], ""),
        "public": row["public"],
        "created_at": row["created_at"],
        "response_due_at": row["response_due_at"],
        "handle_due_at": row["handle_due_at"],
        "replied_at": row["replied_at"],
        "reply": row["reply"],
        "rating": row["rating"],
        "reopened": row["reopened"],
    }
    if seen_by == "public":
        shown |= {
            "title": public_text(row, row["title"]),
            "body": public_text(row, row["body"]),
            "reply": public_text(row, row["reply"]),
            "address": mask_address(row["address"]),
            "contact_name": mask_name(row["contact_name"]),
            "contact_phone": mask_phone(row["contact_phone"]) if row["contact_phone"] else "",
        }
        shown.pop("reopened")
        return shown
    shown |= {
        "address": row["address"],
        "lat": row["lat"],
        "lng": row["lng"],
        "contact_name": row["contact_name"],
        "contact_phone": row["contact_phone"],
        "extra": msgspec.json.decode(row["extra"] or "{}"),
    }
    if seen_by == "staff":
        shown |= {"flagged": row["flagged"], "department_id": row["department"]}
    return shown


async def listing(
    newsplus: Newsplus, where: Any, *, before: int | None, limit: int, seen_by: str, oldest_first: bool = False
) -> dict[str, Any]:
    """A page of inquiries, newest (or oldest) first; ``next`` is the id to continue from (``before``)."""
    if not 1 <= limit <= 50:
        raise InvalidInput("limit must be between 1 and {max}", max=50, extra={"field": "limit"})
    query = Inquiry.select().where(where).order_by(Inquiry.id, ascending=oldest_first).limit(limit + 1)
    if before:
        query = query.where(Inquiry.id > before if oldest_first else Inquiry.id < before)
    rows = await query
    names: dict[Any, str] = await _department_names([r["department"] for r in rows] + [r["street"] for r in rows])
    names |= {c.code: c.name for c in categories(newsplus).values()}
    return {
        "items": [shape(r, seen_by=seen_by, names=names) for r in rows[:limit]],
        "next": rows[limit - 1]["id"] if len(rows) > limit else None,
    }


async def mine(newsplus: Newsplus, user: CurrentUser, *, before: int | None = None, limit: int = 20) -> dict[str, Any]:
    """A resident's own inquiries."""
    return await listing(newsplus, Inquiry.user == user.id, before=before, limit=limit, seen_by="owner")


async def board(newsplus: Newsplus, *, before: int | None = None, limit: int = 20) -> dict[str, Any]:
    """The public board: public inquiries that were taken in, personal details masked."""
    where = (Inquiry.public == True) & Inquiry.status.is_in(list(PUBLIC_STATUSES))  # noqa: E712
    return await listing(newsplus, where, before=before, limit=limit, seen_by="public")


def require_staff_view(user: CurrentUser, row: dict[str, Any]) -> None:
    """Refuse staff who neither dispatch nor handle this inquiry's department."""
    if not may_handle(user, row) and not user.can("wenzheng.supervise"):
        raise Forbidden("This inquiry was not dispatched to your department")


async def may_see_photo(user: CurrentUser | None, path: str) -> bool | None:
    """Whether a caller may open an inquiry's photo: its writer and the staff on it (public views of an
    inquiry show no photos)."""
    photo = await Photo.select(Photo.inquiry).where((Photo.path == path) | (Photo.thumb == path)).first()
    if photo is None:
        return None
    row = await Inquiry.select().where(Inquiry.id == photo["inquiry"]).first()
    if row is None:
        return False
    return audience(user, row) != "public"
