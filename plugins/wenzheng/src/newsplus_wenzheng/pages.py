"""H5 pages of 问政: the public board, writing an inquiry, my inquiries, one inquiry's timeline and rating."""

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from newsplus import (
    DomainError,
    InvalidInput,
    NewsplusDep,
    anyone,
    form_number,
    page,
    read_upload,
    signed_in,
    store_file,
    translator_for,
)
from newsplus.users.tables import Department
from newsplus_wenzheng import inquiries, workflow
from newsplus_wenzheng.schemas import KINDS, RATINGS, InquiryIn


async def _streets() -> list[dict[str, Any]]:
    return (
        await Department.select(Department.id, Department.name)
        .where(Department.kind == "street")
        .order_by(Department.position)
    )


@get("/wenzheng", guards=[anyone])
async def board_page(request: Request, newsplus: NewsplusDep, before: FromQuery[int | None] = None) -> Template:
    """The public board: inquiries residents agreed to show, and their replies."""
    return await page(request, "wenzheng/board.html", board=await inquiries.board(newsplus, before=before))


@get("/wenzheng/new", guards=[signed_in])
async def new_page(request: Request, newsplus: NewsplusDep, category: FromQuery[str] = "") -> Template:
    """The form to write an inquiry (the chosen category's own fields included)."""
    return await page(request, "wenzheng/new.html", **await _form_context(newsplus, {"category": category}))


async def _form_context(newsplus: Any, form: dict[str, Any], error: str = "", field: str = "") -> dict[str, Any]:
    categories = inquiries.categories(newsplus)
    chosen = categories.get(form.get("category") or "")
    return {
        "form": form,
        "kinds": KINDS,
        "categories": list(categories.values()),
        "chosen": chosen,
        "streets": await _streets(),
        "error": error,
        "field": field,
    }


@post("/wenzheng/new", guards=[signed_in], status_code=303, request_max_body_size=64 * 1024 * 1024)
async def submit_page(request: Request, newsplus: NewsplusDep) -> Response[Any]:
    """Send the form: the inquiry, then its photos; on a mistake the form comes back as typed."""
    form = await request.form()
    values = {k: form.get(k) for k in form if k != "photos"}
    try:
        category = inquiries.categories(newsplus).get(form.get("category", ""))
        extra = {f.name: form.get(f"extra.{f.name}", "") for f in (category.fields if category else ())}
        street = form.get("street", "")
        data = InquiryIn(
            kind=form.get("kind", "") if form.get("kind") in KINDS else "consult",
            category=form.get("category", ""),
            title=form.get("title", ""),
            body=form.get("body", ""),
            street=form_number(street),
            address=form.get("address", ""),
            public=form.get("public") == "1",
            contact_phone=form.get("contact_phone", ""),
            extra=extra,
        )
        newsplus.limiter.hit(
            f"wenzheng-submit:{request.user.id}",
            limit=10,
            per_seconds=3600,
            detail="You have written many inquiries in the last hour; please wait a little",
        )
        uploads = [
            u for u in (form.getall("photos", []) if hasattr(form, "getall") else []) if getattr(u, "filename", "")
        ]
        if len(uploads) > newsplus.plugin_settings["wenzheng"].max_photos:
            raise InvalidInput("At most {n} photos", n=newsplus.plugin_settings["wenzheng"].max_photos)
        # Photos are checked and stored first: a refused one must not leave a half-sent inquiry behind.
        photos = [
            await store_file(newsplus, await read_upload(newsplus, u), images_only=True, private=True) for u in uploads
        ]
        row = await inquiries.submit(newsplus, request.user, data, photos=photos)
    except DomainError as error:
        _ = translator_for(request)
        context = await _form_context(newsplus, values, _(error.detail, **error.params), error.extra.get("field", ""))
        return await page(request, "wenzheng/new.html", status_code=error.status_code, **context)
    return Redirect(f"/wenzheng/{row.token}?sent=1", status_code=303)


@get("/wenzheng/mine", guards=[signed_in])
async def mine_page(request: Request, newsplus: NewsplusDep, before: FromQuery[int | None] = None) -> Template:
    """The resident's own inquiries and where each one stands."""
    return await page(request, "wenzheng/mine.html", mine=await inquiries.mine(newsplus, request.user, before=before))


@get("/wenzheng/{token:str}", guards=[anyone])
async def inquiry_page(
    request: Request, newsplus: NewsplusDep, token: FromPath[str], sent: FromQuery[str] = ""
) -> Template:
    """One inquiry: where it stands, every step, the reply, and the rating form for its resident."""
    user = request.scope.get("user")
    item = await inquiries.view(newsplus, user, token)
    own = user is not None and (await inquiries.by_token(token))["user"] == user.id
    fields = getattr(inquiries.categories(newsplus).get(item["category"]), "fields", ())
    return await page(
        request, "wenzheng/inquiry.html", item=item, own=own, ratings=RATINGS, kinds=KINDS, sent=sent, fields=fields
    )


@post("/wenzheng/{token:str}/rate", guards=[signed_in], status_code=303)
async def rate_page(request: Request, newsplus: NewsplusDep, token: FromPath[str]) -> Redirect:
    """The rating form under a reply."""
    form = await request.form()
    rating = form.get("rating", "")
    if rating not in RATINGS:
        raise InvalidInput("Please choose from the list", extra={"field": "rating"})
    await workflow.rate(newsplus, request.user, token, rating, form.get("comment", ""))
    return Redirect(f"/wenzheng/{token}", status_code=303)


ROUTES: list[Any] = [board_page, new_page, submit_page, mine_page, inquiry_page, rate_page]
