"""Registration (报名): capacity in places, a per-resident limit, a waitlist promoted in order when someone
cancels, the activity's own questions, a cancellation deadline, check-in by the QR code on the resident's page."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import msgspec

from newsplus import (
    Conflict,
    FormField,
    InvalidInput,
    NotFound,
    clean_fields,
    mask_id_number,
    mask_phone,
    normal_phone,
    now,
    publish,
    spreadsheet_cell,
    transaction,
)
from newsplus.db import is_unique_violation
from newsplus_activities.activities import by_id, by_slug
from newsplus_activities.events import RegistrationChanged
from newsplus_activities.tables import Activity, Registration

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus
    from newsplus_activities.schemas import RegistrationIn

ACTIVE = ("registered", "waitlisted")


async def _announce(newsplus: Newsplus, reg: dict[str, Any], activity: dict[str, Any], action: str) -> None:
    await publish(
        newsplus,
        RegistrationChanged(
            registration_id=reg["id"],
            token=reg["token"],
            activity=activity["slug"],
            title=activity["title"],
            action=action,
            starts_at=activity["starts_at"].isoformat(),
            user_id=reg["user"],
        ),
    )


async def _claim(activity: dict[str, Any], seats: int) -> bool:
    """Take places if they are free (a conditional update: never more than the capacity)."""
    return bool(
        await Activity.update({Activity.taken: Activity.taken + seats})
        .where(
            (Activity.id == activity["id"])
            & (Activity.capacity == activity["capacity"])
            & (Activity.taken <= activity["capacity"] - seats)
        )
        .returning(Activity.id)
    )


async def register(newsplus: Newsplus, user: CurrentUser, slug: str, data: RegistrationIn) -> dict[str, Any]:
    """Sign a resident up: a place if one is free, else the waitlist (if the activity keeps one)."""
    activity = await by_slug(slug)
    if not activity["capacity"]:
        raise InvalidInput("This activity takes no registrations")
    moment = now()
    if activity["opens_at"] and moment < activity["opens_at"]:
        raise Conflict("Registration has not opened yet")
    if moment >= (activity["closes_at"] or activity["starts_at"]):
        raise Conflict("Registration has closed")
    if not 1 <= data.seats <= activity["per_user"]:
        raise InvalidInput("One registration takes 1 to {n} places", n=activity["per_user"], extra={"field": "seats"})
    fields = msgspec.convert(msgspec.json.decode(activity["form"] or "[]"), list[FormField])
    zone = ZoneInfo(newsplus.settings.site.timezone)
    answers = clean_fields(fields, data.answers, today=moment.astimezone(zone).date())
    phone = normal_phone(data.phone or user.phone or "")
    if phone is None:
        raise InvalidInput("Give an 11-digit mobile number", extra={"field": "phone"})
    try:
        async with transaction():
            if await Registration.exists().where(
                (Registration.activity == activity["id"])
                & (Registration.user == user.id)
                & (Registration.hold == "active")
            ):
                raise Conflict("You have already registered for this activity")
            queued = await Registration.exists().where(
                (Registration.activity == activity["id"]) & (Registration.status == "waitlisted")
            )
            # Those waiting go first: a place freed goes to the head of the waitlist, not to a newcomer.
            placed = not queued and await _claim(activity, data.seats)
            if not placed and not activity["waitlist"]:
                raise Conflict("This activity is full")
            reg = Registration(
                activity=activity["id"],
                user=user.id,
                token=secrets.token_urlsafe(16),
                status="registered" if placed else "waitlisted",
                seats=data.seats,
                hold="active",
                answers=msgspec.json.encode(answers).decode(),
                name=(data.name or user.display_name or "").strip()[:100],
                phone=phone,
                created_at=moment,
                updated_at=moment,
            )
            await reg.save()
            saved = reg.to_dict()
            await _announce(newsplus, saved, activity, reg.status)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("You have already registered for this activity") from None
        raise
    return saved


async def by_token(token: str) -> dict[str, Any]:
    """A registration of this district by its private token."""
    row = await Registration.select().where(Registration.token == token[:64]).first()
    if row is None:
        raise NotFound("No such registration")
    return row


async def cancel(newsplus: Newsplus, user: CurrentUser, token: str) -> dict[str, Any]:
    """Cancel one's registration before the deadline; freed places go to the waitlist, in order."""
    reg = await by_token(token)
    if reg["user"] != user.id:
        raise NotFound("No such registration")
    activity = await by_id(reg["activity"])
    if reg["status"] not in ACTIVE:
        raise Conflict("This registration is {status} and cannot be cancelled", status=reg["status"])
    if now() >= (activity["cancel_until"] or activity["starts_at"]):
        raise Conflict("Cancellation has closed for this activity")
    async with transaction():
        done = (
            await Registration.update(
                {Registration.status: "cancelled", Registration.hold: reg["token"], Registration.updated_at: now()}
            )
            .where((Registration.id == reg["id"]) & Registration.status.is_in(list(ACTIVE)))
            .returning(Registration.id)
        )
        if not done:
            raise Conflict("This registration is {status} and cannot be cancelled", status="cancelled")
        if reg["status"] == "registered":
            await Activity.update({Activity.taken: Activity.taken - reg["seats"]}).where(Activity.id == activity["id"])
        await _announce(newsplus, reg, activity, "cancelled")
        await promote(newsplus, activity["id"])
    return {**reg, "status": "cancelled"}


async def promote(newsplus: Newsplus, activity_id: int) -> int:
    """Give free places to the waitlist in the order residents joined it; return how many were promoted."""
    promoted = 0
    while True:
        activity = await by_id(activity_id)
        head = (
            await Registration.select()
            .where((Registration.activity == activity_id) & (Registration.status == "waitlisted"))
            .order_by(Registration.id)
            .first()
        )
        if head is None or not await _claim(activity, head["seats"]):
            return promoted
        await Registration.update({Registration.status: "registered", Registration.updated_at: now()}).where(
            (Registration.id == head["id"]) & (Registration.status == "waitlisted")
        )
        await _announce(newsplus, head, activity, "promoted")
        promoted += 1


def check_in_url(newsplus: Newsplus, token: str) -> str:
    """What a registration's QR code holds: the desk's check-in address for it."""
    return f"{newsplus.settings.site.base_url.rstrip('/')}/desk/activities/check-in?code={token}"


def qr_svg(newsplus: Newsplus, token: str) -> str:
    """The QR code of a registration, as inline SVG."""
    import segno  # on first use: start-up goes without it

    return segno.make(check_in_url(newsplus, token), error="m").svg_inline(scale=5, border=2)


def qr_png(newsplus: Newsplus, token: str) -> bytes:
    """The QR code of a registration, as a PNG image (for apps that show an image)."""
    import segno

    out = io.BytesIO()
    segno.make(check_in_url(newsplus, token), error="m").save(out, kind="png", scale=6, border=4)
    return out.getvalue()


def token_from_scan(text: str) -> str:
    """The registration token in what a scanner read (the whole address, or the bare token)."""
    text = text.strip()
    return text.split("code=", 1)[1].split("&", 1)[0] if "code=" in text else text


async def check_in(newsplus: Newsplus, user: CurrentUser, scanned: str) -> dict[str, Any]:
    """Check a registered resident in on the day (once); the activity's organisers only."""
    reg = await by_token(token_from_scan(scanned))
    activity = await by_id(reg["activity"])
    moment = now()
    if not activity["starts_at"] - timedelta(hours=3) <= moment <= activity["ends_at"]:
        raise Conflict("Check-in is open from three hours before the activity until it ends")
    if reg["status"] == "attended":
        raise Conflict("Already checked in")
    done = (
        await Registration.update(
            {Registration.status: "attended", Registration.checked_in_at: moment, Registration.updated_at: moment}
        )
        .where((Registration.id == reg["id"]) & (Registration.status == "registered"))
        .returning(Registration.id)
    )
    if not done:
        raise Conflict("This registration is {status} and cannot be checked in", status=reg["status"])
    return {**reg, "status": "attended", "activity_title": activity["title"]}


async def mine(user: CurrentUser) -> list[dict[str, Any]]:
    """The resident's registrations, newest first, with their activity."""
    return (
        await Registration.select(
            Registration.token,
            Registration.status,
            Registration.seats,
            Registration.created_at,
            Registration.activity.slug.as_alias("slug"),
            Registration.activity.title.as_alias("title"),
            Registration.activity.starts_at.as_alias("starts_at"),
        )
        .where(Registration.user == user.id)
        .order_by(Registration.id, ascending=False)
        .limit(100)
    )


async def roster(activity_id: int) -> list[dict[str, Any]]:
    """Every registration of an activity in the order they came (waitlist order included)."""
    return await Registration.select().where(Registration.activity == activity_id).order_by(Registration.id)


def _masked(field: FormField, value: Any) -> Any:
    """An answer as the spreadsheet shows it: phone and ID numbers masked."""
    if field.type == "phone" and value:
        return mask_phone(str(value))
    if field.type == "id_number":
        return mask_id_number(str(value))
    return value


async def roster_csv(newsplus: Newsplus, activity_id: int) -> str:
    """The registrations as CSV for a spreadsheet (UTF-8 with BOM): phones and ID numbers masked, and no
    cell a spreadsheet would run as a formula."""
    activity = await by_id(activity_id)
    fields = msgspec.convert(msgspec.json.decode(activity["form"] or "[]"), list[FormField])
    zone = ZoneInfo(newsplus.settings.site.timezone)
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["name", "phone", "seats", "status", *[f.label for f in fields], "registered_at", "checked_in_at"]
    writer.writerow([spreadsheet_cell(cell) for cell in header])
    for reg in await roster(activity_id):
        answers = msgspec.json.decode(reg["answers"] or "{}")
        row = [
            reg["name"],
            mask_phone(reg["phone"]) if reg["phone"] else "",
            reg["seats"],
            reg["status"],
            *[_masked(f, answers.get(f.name, "")) for f in fields],
            reg["created_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            reg["checked_in_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M") if reg["checked_in_at"] else "",
        ]
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return "\ufeff" + out.getvalue()


async def send_reminders(newsplus: Newsplus) -> int:
    """Remind registered residents of activities starting within ``remind_hours`` (each once)."""
    moment = now()
    soon = moment + timedelta(hours=newsplus.plugin_settings["activities"].remind_hours)
    upcoming = await Activity.select().where((Activity.starts_at > moment) & (Activity.starts_at <= soon))
    sent = 0
    for activity in upcoming:
        due = await Registration.select().where(
            (Registration.activity == activity["id"])
            & (Registration.status == "registered")
            & Registration.reminded_at.is_null()
        )
        for reg in due:
            async with transaction():
                marked = (
                    await Registration.update({Registration.reminded_at: moment})
                    .where((Registration.id == reg["id"]) & Registration.reminded_at.is_null())
                    .returning(Registration.id)
                )
                if marked:
                    await _announce(newsplus, reg, activity, "remind")
                    sent += 1
    return sent
