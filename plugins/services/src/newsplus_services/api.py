"""The life-services API under /api/v1/services: the directory, eligibility, applications, bookings."""

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from newsplus import (
    InvalidInput,
    NewsplusDep,
    anyone,
    signed_in,
    staff,
    tagged_articles,
    url_of,
)
from newsplus_services import applications, bookings, favourites, registry, uploads
from newsplus_services.modules import check_eligibility
from newsplus_services.schemas import ApplicationIn, BookingIn, CheckIn, MoveIn, StaffAction


def _card(module: Any) -> dict[str, Any]:
    return {
        "slug": module.slug,
        "name": module.name,
        "group": module.group,
        "icon": module.icon,
        "summary": module.summary,
        "mode": module.mode,
        "url": module.url,
    }


@get("/modules", guards=[anyone])
async def list_modules(newsplus: NewsplusDep, q: FromQuery[str] = "", group: FromQuery[str] = "") -> list[dict]:
    """The service directory by group (生 老 病 走 吃 穿 住 用 行), optionally searched."""
    found = registry.directory(newsplus, query=q[:50], group=group[:2])
    return [{**g, "modules": [_card(m) for m in g["modules"]]} for g in found]


@get("/modules/{slug:str}", guards=[anyone])
async def read_module(newsplus: NewsplusDep, slug: FromPath[str]) -> dict[str, Any]:
    """A module: guide, FAQs, eligibility questions, form, bookable resources, hand-off, related articles."""
    module = registry.module(newsplus, slug)
    related = await tagged_articles(newsplus, module.tags)
    return {**msgspec.to_builtins(module), "related": msgspec.to_builtins(related)}


@post("/modules/{slug:str}/eligibility", guards=[anyone], status_code=200)
async def eligibility(newsplus: NewsplusDep, slug: FromPath[str], data: JSONBody[dict[str, str]]) -> dict[str, Any]:
    """Check the answers to the module's questions: eligible or not, with the reasons."""
    module = registry.module(newsplus, slug)
    if not module.eligibility:
        raise InvalidInput("This service has no eligibility check")
    return check_eligibility(module, data)


@get("/modules/{slug:str}/resources/{resource:str}/slots", guards=[anyone])
async def list_slots(
    newsplus: NewsplusDep, slug: FromPath[str], resource: FromPath[str], day: FromQuery[date]
) -> list[dict[str, Any]]:
    """A day's slots of a bookable resource with the places left (``day`` as YYYY-MM-DD)."""
    return await bookings.slots(newsplus, slug, resource, day)


@post("/modules/{slug:str}/resources/{resource:str}/bookings", guards=[signed_in], status_code=HTTP_201_CREATED)
async def book(
    request: Request, newsplus: NewsplusDep, slug: FromPath[str], resource: FromPath[str], data: JSONBody[BookingIn]
) -> dict[str, Any]:
    """Book a slot; the answer carries the booking's token and its check-in code."""
    newsplus.limiter.hit(
        f"services-book:{request.user.id}", limit=20, per_seconds=3600, detail="Too many bookings; please wait a little"
    )
    row = await bookings.book(newsplus, request.user, slug, resource, data.starts_at, name=data.name, phone=data.phone)
    return await bookings.view(newsplus, request.user, row["token"])


@post("/uploads", guards=[signed_in], status_code=HTTP_201_CREATED, request_max_body_size=64 * 1024 * 1024)
async def upload(
    request: Request,
    newsplus: NewsplusDep,
    data: Annotated[dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> dict[str, str]:
    """Upload a photo or scan for a form's file field (``file``; an image, re-encoded); answer with its token."""
    chosen = data.get("file")
    if not isinstance(chosen, UploadFile):
        raise InvalidInput("Choose a file", extra={"field": "file"})
    token, path = await uploads.take_upload(newsplus, request.user, chosen)
    return {"token": token, "url": url_of(path)}


@post("/modules/{slug:str}/applications", guards=[signed_in], status_code=HTTP_201_CREATED)
async def apply(
    request: Request, newsplus: NewsplusDep, slug: FromPath[str], data: JSONBody[ApplicationIn]
) -> dict[str, Any]:
    """File an application; the answer carries its tracking number and token. Each refused answer is named in
    ``extra.errors``."""
    newsplus.limiter.hit(
        f"services-apply:{request.user.id}",
        limit=10,
        per_seconds=3600,
        detail="You have sent many applications in the last hour; please wait a little",
    )
    row = await applications.submit(newsplus, request.user, slug, data.answers)
    return {"number": row["number"], "token": row["token"], "status": row["status"]}


@get("/applications/mine", guards=[signed_in])
async def my_applications(
    request: Request, newsplus: NewsplusDep, before: FromQuery[int | None] = None, limit: FromQuery[int] = 20
) -> dict[str, Any]:
    """The caller's applications, newest first."""
    return await applications.mine(newsplus, request.user, before=before, limit=limit)


@get("/applications/{token:str}", guards=[signed_in])
async def read_application(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> dict[str, Any]:
    """One application with its answers, files and steps (its resident and its department only)."""
    return await applications.view(newsplus, request.user, token)


@post("/applications/{token:str}/supplement", guards=[signed_in], status_code=200)
async def supplement(
    request: Request, newsplus: NewsplusDep, token: FromPath[str], data: JSONBody[ApplicationIn]
) -> dict[str, Any]:
    """Send what the department asked for: changed answers and a note; it goes back to the department."""
    row = await applications.supplement(newsplus, request.user, token, data.answers, data.note)
    return {"status": row["status"]}


@post("/applications/{token:str}/withdraw", guards=[signed_in], status_code=200)
async def withdraw(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> dict[str, Any]:
    """Take back an application that is still open."""
    return {"status": (await applications.withdraw(newsplus, request.user, token))["status"]}


@get("/queue", guards=[staff])
async def queue(
    request: Request,
    newsplus: NewsplusDep,
    status: FromQuery[str] = "",
    before: FromQuery[int | None] = None,
    limit: FromQuery[int] = 50,
) -> dict[str, Any]:
    """Applications to work on: a department's own, or every one for services managers."""
    return await applications.queue(newsplus, request.user, status=status, before=before, limit=limit)


@post("/applications/{token:str}/{action:str}", guards=[staff], status_code=200)
async def act(
    request: Request, newsplus: NewsplusDep, token: FromPath[str], action: FromPath[str], data: JSONBody[StaffAction]
) -> dict[str, Any]:
    """A department's step: accept, request_info, approve, reject or complete (a note for request_info and
    reject)."""
    row = await applications.act(newsplus, request.user, token, action, data.note)
    return {"status": row["status"]}


@get("/bookings/mine", guards=[signed_in])
async def my_bookings(request: Request, newsplus: NewsplusDep) -> list[dict[str, Any]]:
    """The caller's bookings: upcoming soonest first, then recent past and cancelled ones."""
    return await bookings.mine(newsplus, request.user)


@get("/bookings/day", guards=[staff])
async def day(request: Request, newsplus: NewsplusDep, day: FromQuery[date]) -> list[dict[str, Any]]:
    """A day's bookings per resource of the counters the caller works."""
    board = await bookings.day_list(newsplus, request.user, day)
    return [
        {
            "module": b["module"].slug,
            "resource": b["resource"].slug,
            "name": b["resource"].name,
            "bookings": b["bookings"],
        }
        for b in board
    ]


@get("/bookings/{token:str}", guards=[signed_in])
async def read_booking(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> dict[str, Any]:
    """One booking with its check-in code."""
    return await bookings.view(newsplus, request.user, token)


@post("/bookings/{token:str}/cancel", guards=[signed_in], status_code=200)
async def cancel(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> dict[str, Any]:
    """Cancel a booking before its deadline."""
    return {"status": (await bookings.cancel(newsplus, request.user, token))["status"]}


@post("/bookings/{token:str}/reschedule", guards=[signed_in], status_code=200)
async def reschedule(
    request: Request, newsplus: NewsplusDep, token: FromPath[str], data: JSONBody[MoveIn]
) -> dict[str, Any]:
    """Move a booking to another slot of the same resource before its deadline."""
    await bookings.reschedule(newsplus, request.user, token, data.starts_at)
    return await bookings.view(newsplus, request.user, token)


@post("/check-in", guards=[staff], status_code=200)
async def check_in(request: Request, newsplus: NewsplusDep, data: JSONBody[CheckIn]) -> dict[str, Any]:
    """Check a resident in by their booking's code (today's bookings of the caller's counters)."""
    row = await bookings.check_in(newsplus, request.user, data.code)
    return {"status": row["status"], "name": row["name"], "starts_at": row["starts_at"]}


@get("/favourites", guards=[signed_in])
async def my_services(request: Request, newsplus: NewsplusDep) -> list[dict[str, Any]]:
    """My services: the modules the caller keeps at hand."""
    return [_card(m) for m in await favourites.kept(newsplus, request.user)]


@post("/favourites/{slug:str}", guards=[signed_in], status_code=HTTP_204_NO_CONTENT)
async def keep(request: Request, newsplus: NewsplusDep, slug: FromPath[str]) -> None:
    """Keep a module in my services."""
    await favourites.keep(newsplus, request.user, slug)


@delete("/favourites/{slug:str}", guards=[signed_in], status_code=HTTP_204_NO_CONTENT)
async def drop(request: Request, slug: FromPath[str]) -> None:
    """Remove a module from my services."""
    await favourites.drop(request.user, slug)


router = Router(
    path="/api/v1/services",
    route_handlers=[
        list_modules,
        read_module,
        eligibility,
        list_slots,
        book,
        upload,
        apply,
        my_applications,
        read_application,
        supplement,
        withdraw,
        queue,
        act,
        my_bookings,
        day,
        read_booking,
        cancel,
        reschedule,
        check_in,
        my_services,
        keep,
        drop,
    ],
    tags=["services"],
)
