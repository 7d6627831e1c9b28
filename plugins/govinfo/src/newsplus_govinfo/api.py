"""The government-information API under /api/v1/govinfo: the 政务 tab for residents, publishing and review for
departments, pop-ups, pinned topics and imports for govinfo editors."""

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from newsplus import (
    InvalidInput,
    NewsplusDep,
    anyone,
    form_number,
    read_upload,
    requires,
    signed_in,
    staff,
    translator_for,
)
from newsplus_govinfo import imports, notices, outreach, reading, subscriptions
from newsplus_govinfo.schemas import Decision, Follow, NoticeIn, PinIn, PopupIn
from newsplus_govinfo.settings import LEVELS

REVIEW = requires("govinfo.review")
MANAGE = requires("govinfo.manage")
IMPORT = requires("govinfo.import")


@get("/categories", guards=[anyone])
async def categories(newsplus: NewsplusDep) -> dict[str, Any]:
    """The levels (中央 / 市 / 区 / 街道) and the district's categories."""
    return {"levels": LEVELS, "categories": list(newsplus.plugin_settings["govinfo"].categories)}


@get("/notices", guards=[anyone])
async def list_notices(
    newsplus: NewsplusDep,
    level: FromQuery[str] = "",
    category: FromQuery[str] = "",
    department: FromQuery[str] = "",
    kind: FromQuery[str] = "",
    q: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = 20,
) -> Any:
    """Published notices of every department, newest first, by level, category, department, kind or search."""
    found = await reading.listing(
        newsplus,
        level=level,
        category=category,
        department=form_number(department),
        kind=kind,
        query=q[:50],
        cursor=cursor,
        limit=limit,
    )
    return msgspec.to_builtins(found)


@get("/notices/{article_id:int}", guards=[anyone])
async def read_notice(newsplus: NewsplusDep, article_id: FromPath[int]) -> Any:
    """A published notice with its 文号, dates, attachments and the interpretations linked to it."""
    return msgspec.to_builtins(await reading.notice(newsplus, article_id))


@get("/departments", guards=[anyone])
async def departments() -> list[dict[str, Any]]:
    """Bureaus and street offices with how many notices each has published."""
    return await reading.directory()


@post("/notices", guards=[staff], status_code=HTTP_201_CREATED)
async def create_notice(request: Request, newsplus: NewsplusDep, data: JSONBody[NoticeIn]) -> dict[str, int]:
    """Write a notice (a draft) for one's own department."""
    return {"id": await notices.create(newsplus, request.user, data)}


@put("/notices/{article_id:int}", guards=[staff])
async def update_notice(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], data: JSONBody[NoticeIn]
) -> dict[str, int]:
    """Save a new revision of a draft or returned notice (send the revision it started from)."""
    return {"revision": await notices.update(newsplus, request.user, article_id, data)}


@get("/desk/notices", guards=[staff])
async def desk_notices(request: Request, status: FromQuery[str] = "") -> list[dict[str, Any]]:
    """Notices for the desk: a publisher's departments' own, or every one for editors."""
    return await notices.desk_list(request.user, status=status)


@get("/desk/notices/{article_id:int}", guards=[staff])
async def desk_notice(request: Request, article_id: FromPath[int]) -> dict[str, Any]:
    """A notice in any status, for its department's publishers and the editors."""
    return await notices.desk_view(request.user, article_id)


@post("/notices/{article_id:int}/submit", guards=[staff], status_code=200)
async def submit(request: Request, newsplus: NewsplusDep, article_id: FromPath[int]) -> dict[str, str]:
    """Send a notice to the govinfo editors for review."""
    return {"step": await notices.submit(newsplus, request.user, article_id)}


@post("/notices/{article_id:int}/{action:str}", guards=[REVIEW], status_code=200)
async def decide(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], action: FromPath[str], data: JSONBody[Decision]
) -> dict[str, str]:
    """``approve`` (it goes out, or is scheduled) or ``reject`` (back to its publisher with the comment)."""
    return {"status": await notices.decide(newsplus, request.user, article_id, action, data.comment)}


@post("/notices/{article_id:int}/popup", guards=[MANAGE], status_code=HTTP_201_CREATED)
async def popup(
    request: Request, newsplus: NewsplusDep, article_id: FromPath[int], data: JSONBody[PopupIn]
) -> dict[str, int]:
    """Pop a published notice up for some streets, communities or tags, within a time window."""
    return {"id": await outreach.pop_up(newsplus, request.user, article_id, data)}


@post("/topics/{category:str}/pin", guards=[MANAGE], status_code=HTTP_201_CREATED)
async def pin(
    request: Request, newsplus: NewsplusDep, category: FromPath[str], data: JSONBody[PinIn]
) -> dict[str, int]:
    """Pin a category's livelihood topic (民生专题) on the home page for a while."""
    return {"id": await outreach.pin_topic(newsplus, request.user, category, data)}


@post("/imports", guards=[IMPORT], status_code=HTTP_202_ACCEPTED, request_max_body_size=64 * 1024 * 1024)
async def start_import(
    request: Request,
    newsplus: NewsplusDep,
    data: Annotated[dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> dict[str, int]:
    """Import notices from a CSV or JSON file (``file``); follow its progress at ``/imports/{id}``."""
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("Choose a file", extra={"field": "file"})
    content = await read_upload(newsplus, upload)
    return {"id": await imports.start(newsplus, request.user, upload.filename or "", content)}


@get("/imports/{run_id:int}", guards=[IMPORT])
async def read_import(request: Request, run_id: FromPath[int]) -> dict[str, Any]:
    """An import's progress and its report: each bad row's line and reason."""
    return await imports.report(run_id, translator_for(request))


@get("/subscriptions", guards=[signed_in])
async def my_subscriptions(request: Request) -> dict[str, list[str]]:
    """The categories and departments the caller follows."""
    return {k: sorted(v) for k, v in (await subscriptions.following(request.user)).items()}


@post("/subscriptions", guards=[signed_in], status_code=HTTP_204_NO_CONTENT)
async def follow(request: Request, newsplus: NewsplusDep, data: JSONBody[Follow]) -> None:
    """Follow a category or a department (its id)."""
    await subscriptions.follow(newsplus, request.user, data.kind, data.value)


@delete("/subscriptions", guards=[signed_in], status_code=HTTP_204_NO_CONTENT)
async def unfollow(request: Request, kind: FromQuery[str], value: FromQuery[str]) -> None:
    """Stop following a category or a department."""
    await subscriptions.unfollow(request.user, kind, value)


router = Router(
    path="/api/v1/govinfo",
    route_handlers=[
        categories,
        list_notices,
        read_notice,
        departments,
        create_notice,
        update_notice,
        desk_notices,
        desk_notice,
        submit,
        popup,
        pin,
        decide,
        start_import,
        read_import,
        my_subscriptions,
        follow,
        unfollow,
    ],
    tags=["govinfo"],
)
