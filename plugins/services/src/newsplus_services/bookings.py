"""Bookings (预约): a resource's slots from its rules, booking within capacity (also when hundreds book the
same slot at once), cancelling and moving before the deadline, check-in by code, reminders the day before."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from newsplus import Conflict, Forbidden, InvalidInput, NotFound, normal_phone, now, publish, transaction
from newsplus.db import is_unique_violation
from newsplus_services import registry
from newsplus_services.events import BookingChanged
from newsplus_services.tables import Booking, Slot

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus
    from newsplus_services.modules import Resource, ServiceModule

CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def zone(newsplus: Newsplus) -> ZoneInfo:
    """The district's time zone."""
    return ZoneInfo(newsplus.settings.site.timezone)


def local_today(newsplus: Newsplus) -> date:
    """Today in the district."""
    return now().astimezone(zone(newsplus)).date()


def _resource(newsplus: Newsplus, slug: str, resource_slug: str) -> tuple[ServiceModule, Resource]:
    module = registry.module(newsplus, slug)
    resource = module.resource(resource_slug)
    if resource is None:
        raise NotFound("This service has no such booking")
    return module, resource


def _open_on(newsplus: Newsplus, resource: Resource, day: date) -> list[datetime]:
    if day.isoformat() in newsplus.plugin_settings["services"].holidays:
        return []
    return resource.slot_starts(day, zone(newsplus))


async def slots(newsplus: Newsplus, slug: str, resource_slug: str, day: date) -> list[dict[str, Any]]:
    """Each slot of a day that is still ahead: its start, capacity and places left."""
    _, resource = _resource(newsplus, slug, resource_slug)
    today = local_today(newsplus)
    if day < today or day > today + timedelta(days=resource.days_ahead):
        return []
    moment = now()
    starts = [s for s in _open_on(newsplus, resource, day) if s > moment]
    if not starts:
        return []
    utc = [s.astimezone(UTC) for s in starts]
    booked = {
        _as_utc(r["starts_at"]): r["booked"]
        for r in await Slot.select(Slot.starts_at, Slot.booked).where(
            (Slot.module == slug) & (Slot.resource == resource_slug) & Slot.starts_at.is_in(utc)
        )
    }
    return [
        {"starts_at": s, "capacity": resource.capacity, "left": max(resource.capacity - booked.get(s, 0), 0)}
        for s in utc
    ]


def _as_utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _check_start(newsplus: Newsplus, resource: Resource, starts_at: datetime) -> datetime:
    """The slot start asked for, in UTC, when it is one the resource opens and it can still be booked."""
    local = (starts_at if starts_at.tzinfo else starts_at.replace(tzinfo=zone(newsplus))).astimezone(zone(newsplus))
    if local <= now():
        raise InvalidInput("This time has passed; please choose a later one", extra={"field": "starts_at"})
    if local.date() > local_today(newsplus) + timedelta(days=resource.days_ahead):
        raise InvalidInput("Bookings open {n} days ahead", n=resource.days_ahead, extra={"field": "starts_at"})
    if local not in _open_on(newsplus, resource, local.date()):
        raise InvalidInput("There is no booking at this time; please choose a listed one", extra={"field": "starts_at"})
    return local.astimezone(UTC)


def _slot_key(slug: str, resource_slug: str, starts_at: datetime) -> Any:
    return (Slot.module == slug) & (Slot.resource == resource_slug) & (Slot.starts_at == starts_at)


async def _claim(slug: str, resource: Resource, starts_at: datetime) -> None:
    """Take one place of a slot, or refuse when it is full (a conditional update: never over capacity)."""
    await Slot.insert(Slot(module=slug, resource=resource.slug, starts_at=starts_at, booked=0)).on_conflict(
        action="DO NOTHING"
    )
    taken = (
        await Slot.update({Slot.booked: Slot.booked + 1})
        .where(_slot_key(slug, resource.slug, starts_at) & (Slot.booked < resource.capacity))
        .returning(Slot.id)
    )
    if not taken:
        raise Conflict("This time is fully booked; please choose another")


async def _release(slug: str, resource_slug: str, starts_at: datetime) -> None:
    await Slot.update({Slot.booked: Slot.booked - 1}).where(
        _slot_key(slug, resource_slug, starts_at) & (Slot.booked > 0)
    )


def _hold(newsplus: Newsplus, starts_at: datetime) -> str:
    return starts_at.astimezone(zone(newsplus)).date().isoformat()


async def book(
    newsplus: Newsplus,
    user: CurrentUser,
    slug: str,
    resource_slug: str,
    starts_at: datetime,
    *,
    name: str = "",
    phone: str = "",
) -> dict[str, Any]:
    """Book a slot for the resident: one booking per resource and day, never more than the slot holds."""
    module, resource = _resource(newsplus, slug, resource_slug)
    start = _check_start(newsplus, resource, starts_at)
    phone_number = normal_phone(phone or user.phone or "")
    if phone_number is None:
        raise InvalidInput("Give an 11-digit mobile number", extra={"field": "phone"})
    name = (name or user.display_name or "").strip()[:100]
    hold = _hold(newsplus, start)
    for attempt in range(3):
        try:
            async with transaction():
                await _claim(slug, resource, start)
                # After the claim: on PostgreSQL the slot row is locked, so this sees a booking just committed.
                if await Booking.exists().where(
                    (Booking.module == slug)
                    & (Booking.resource == resource.slug)
                    & (Booking.user == user.id)
                    & (Booking.hold == hold)
                ):
                    raise Conflict("You already have a booking here on that day")
                moment = now()
                row = Booking(
                    token=secrets.token_urlsafe(16),
                    code="".join(secrets.choice(CODE_LETTERS) for _ in range(8)),
                    module=slug,
                    resource=resource.slug,
                    starts_at=start,
                    user=user.id,
                    name=name,
                    phone=phone_number,
                    hold=hold,
                    created_at=moment,
                    updated_at=moment,
                )
                await row.save()
                await _announce(newsplus, row.to_dict(), module, resource, "book")
                return row.to_dict()
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
            if attempt == 2 or await Booking.exists().where(
                (Booking.module == slug)
                & (Booking.resource == resource.slug)
                & (Booking.user == user.id)
                & (Booking.hold == hold)
            ):
                raise Conflict("You already have a booking here on that day") from None
    raise AssertionError("unreachable")


async def _announce(
    newsplus: Newsplus, row: dict[str, Any], module: ServiceModule, resource: Resource, action: str
) -> None:
    await publish(
        newsplus,
        BookingChanged(
            booking_id=row["id"],
            token=row["token"],
            module_name=module.name,
            resource_name=resource.name,
            action=action,
            starts_at=_as_utc(row["starts_at"]).isoformat(),
            code=row["code"],
            user_id=row["user"],
        ),
    )


async def by_token(token: str) -> dict[str, Any]:
    """A booking of this district by its private token."""
    row = await Booking.select().where(Booking.token == token[:64]).first()
    if row is None:
        raise NotFound("No such booking")
    return row


async def _own(newsplus: Newsplus, user: CurrentUser, token: str) -> tuple[dict, ServiceModule, Resource]:
    row = await by_token(token)
    if row["user"] != user.id:
        raise NotFound("No such booking")
    if row["status"] != "booked":
        raise Conflict("This booking is {status} and can no longer be changed", status=row["status"])
    module, resource = _resource(newsplus, row["module"], row["resource"])
    if now() > _as_utc(row["starts_at"]) - timedelta(hours=resource.cancel_hours):
        raise Conflict("Changes close {n} hours before the booking; please call the service", n=resource.cancel_hours)
    return row, module, resource


async def cancel(newsplus: Newsplus, user: CurrentUser, token: str) -> dict[str, Any]:
    """Cancel one's booking before the deadline; its place is free again at once."""
    row, module, resource = await _own(newsplus, user, token)
    async with transaction():
        done = (
            await Booking.update({Booking.status: "cancelled", Booking.hold: row["token"], Booking.updated_at: now()})
            .where((Booking.id == row["id"]) & (Booking.status == "booked"))
            .returning(Booking.id)
        )
        if not done:
            raise Conflict("This booking is {status} and can no longer be changed", status="cancelled")
        await _release(row["module"], row["resource"], _as_utc(row["starts_at"]))
        await _announce(newsplus, row, module, resource, "cancel")
    return {**row, "status": "cancelled"}


async def reschedule(newsplus: Newsplus, user: CurrentUser, token: str, starts_at: datetime) -> dict[str, Any]:
    """Move one's booking to another slot of the same resource: the new place taken, the old one freed."""
    row, module, resource = await _own(newsplus, user, token)
    start = _check_start(newsplus, resource, starts_at)
    old = _as_utc(row["starts_at"])
    if start == old:
        return row
    hold = _hold(newsplus, start)
    try:
        async with transaction():
            await _claim(row["module"], resource, start)
            moved = (
                await Booking.update(
                    {Booking.starts_at: start, Booking.hold: hold, Booking.reminded_at: None, Booking.updated_at: now()}
                )
                .where((Booking.id == row["id"]) & (Booking.status == "booked") & (Booking.starts_at == old))
                .returning(Booking.id)
            )
            if not moved:
                raise Conflict("This booking changed meanwhile; reload to see it")
            await _release(row["module"], row["resource"], old)
            fresh = {**row, "starts_at": start, "hold": hold}
            await _announce(newsplus, fresh, module, resource, "reschedule")
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("You already have a booking here on that day") from None
        raise
    return fresh


def may_handle(user: CurrentUser | None, department: int | None) -> bool:
    """A services manager, or a handler of the module's department."""
    if user is None:
        return False
    return user.can("services.manage") or (department is not None and user.can_in("services.handle", department))


async def handled_modules(newsplus: Newsplus, user: CurrentUser) -> list[ServiceModule]:
    """The modules with bookings whose counters this staff member works."""
    found = []
    for module in registry.modules(newsplus).values():
        if module.resources and may_handle(user, await registry.department_of(module)):
            found.append(module)
    return found


async def day_list(newsplus: Newsplus, user: CurrentUser, day: date) -> list[dict[str, Any]]:
    """The day's bookings per resource of the modules this staff member works, in time order."""
    modules = await handled_modules(newsplus, user)
    if not modules:
        raise Forbidden("You do not have permission to do this")
    start = datetime.combine(day, datetime.min.time(), zone(newsplus)).astimezone(UTC)
    rows = (
        await Booking.select(
            Booking.token,
            Booking.code,
            Booking.module,
            Booking.resource,
            Booking.starts_at,
            Booking.name,
            Booking.phone,
            Booking.status,
            Booking.checked_in_at,
        )
        .where(
            Booking.module.is_in([m.slug for m in modules])
            & (Booking.starts_at >= start)
            & (Booking.starts_at < start + timedelta(days=1))
            & Booking.status.is_in(["booked", "checked_in"])
        )
        .order_by(Booking.starts_at)
    )
    board = []
    for module in modules:
        for resource in module.resources:
            mine = [r for r in rows if r["module"] == module.slug and r["resource"] == resource.slug]
            board.append({"module": module, "resource": resource, "bookings": mine})
    return board


async def check_in(newsplus: Newsplus, user: CurrentUser, code: str) -> dict[str, Any]:
    """Check a resident in at the counter by the code on their booking (today's bookings only, once)."""
    code = code.strip().upper().replace("-", "").replace(" ", "")
    row = await Booking.select().where(Booking.code == code[:12]).first()
    if row is None:
        raise NotFound("No booking has this code")
    module = registry.module(newsplus, row["module"])
    if not may_handle(user, await registry.department_of(module)):
        raise Forbidden("You do not have permission to do this")
    if _as_utc(row["starts_at"]).astimezone(zone(newsplus)).date() != local_today(newsplus):
        raise Conflict("This booking is for another day")
    done = (
        await Booking.update({Booking.status: "checked_in", Booking.checked_in_at: now(), Booking.updated_at: now()})
        .where((Booking.id == row["id"]) & (Booking.status == "booked"))
        .returning(Booking.id)
    )
    if not done:
        raise Conflict("This booking is {status} and can no longer be changed", status=row["status"])
    return {**row, "status": "checked_in"}


async def mine(newsplus: Newsplus, user: CurrentUser) -> list[dict[str, Any]]:
    """The resident's bookings: upcoming first (soonest first), then the last 20 past or cancelled."""
    moment = now()
    columns = (Booking.token, Booking.code, Booking.module, Booking.resource, Booking.starts_at, Booking.status)
    upcoming = (
        await Booking.select(*columns)
        .where((Booking.user == user.id) & (Booking.status == "booked") & (Booking.starts_at > moment))
        .order_by(Booking.starts_at)
    )
    past = (
        await Booking.select(*columns)
        .where((Booking.user == user.id) & ((Booking.status != "booked") | (Booking.starts_at <= moment)))
        .order_by(Booking.starts_at, ascending=False)
        .limit(20)
    )
    return [_describe(newsplus, r) for r in [*upcoming, *past]]


def _describe(newsplus: Newsplus, row: dict[str, Any]) -> dict[str, Any]:
    module = registry.modules(newsplus).get(row["module"])
    resource = module.resource(row["resource"]) if module else None
    return {
        **row,
        "starts_at": _as_utc(row["starts_at"]),
        "module_name": module.name if module else row["module"],
        "resource_name": resource.name if resource else row["resource"],
        "place": resource.place if resource else "",
    }


async def view(newsplus: Newsplus, user: CurrentUser, token: str) -> dict[str, Any]:
    """One booking, for its resident (or the staff of its counter)."""
    row = await by_token(token)
    mine = row["user"] == user.id
    if not mine:
        module = registry.modules(newsplus).get(row["module"])
        if module is None or not may_handle(user, await registry.department_of(module)):
            raise NotFound("No such booking")
    keys = (
        "token",
        "code",
        "module",
        "resource",
        "starts_at",
        "name",
        "phone",
        "status",
        "checked_in_at",
        "created_at",
    )
    return {**_describe(newsplus, {k: row[k] for k in keys}), "mine": mine}


async def send_reminders(newsplus: Newsplus) -> int:
    """Remind residents of bookings starting within ``remind_hours`` (each booking once)."""
    moment = now()
    soon = moment + timedelta(hours=newsplus.plugin_settings["services"].remind_hours)
    rows = (
        await Booking.select()
        .where(
            (Booking.status == "booked")
            & Booking.reminded_at.is_null()
            & (Booking.starts_at > moment)
            & (Booking.starts_at <= soon)
        )
        .limit(1000)
    )
    sent = 0
    for row in rows:
        module = registry.modules(newsplus).get(row["module"])
        resource = module.resource(row["resource"]) if module else None
        if resource is None:
            continue
        async with transaction():
            marked = (
                await Booking.update({Booking.reminded_at: moment})
                .where((Booking.id == row["id"]) & Booking.reminded_at.is_null())
                .returning(Booking.id)
            )
            if marked:
                await _announce(newsplus, row, module, resource, "remind")
                sent += 1
    return sent
