"""Open311 GeoReport v2 at /open311/v2: discovery, services and their definitions, requests (read and
write with an api_key), tokens; XML (required by the spec) and JSON. Requests are the district's public
inquiries; personal details (names, phone, e-mail) are taken in but never given out."""

import re
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from newsplus import DomainError, NewsplusDep, anyone, mask_address
from newsplus.users.tables import Department
from newsplus_wenzheng import inquiries
from newsplus_wenzheng.schemas import InquiryIn
from newsplus_wenzheng.tables import Inquiry

DATATYPES = {"text": "string", "number": "number", "choice": "singlevaluelist", "date": "datetime"}
CLOSED = ("closed", "rejected", "merged")
PLURAL = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


class Open311Error(HTTPException):
    """An error answered in the spec's shape: [{"code": …, "description": …}]."""


def _split(name: str) -> tuple[str, str]:
    stem, _, fmt = name.rpartition(".")
    if fmt not in ("json", "xml") or not stem:
        raise Open311Error(status_code=404, detail="Use a .json or .xml address")
    return stem, fmt


def _xml(root: str, value: Any) -> bytes:
    def fill(element: ET.Element, item: Any) -> None:
        if isinstance(item, dict):
            for key, inner in item.items():
                fill(ET.SubElement(element, key), inner)
        elif isinstance(item, list):
            for inner in item:
                fill(ET.SubElement(element, PLURAL.get(element.tag, "item")), inner)
        elif item is not None:
            element.text = str(item).lower() if isinstance(item, bool) else str(item)

    element = ET.Element(root)
    fill(element, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def answer(fmt: str, root: str, value: Any, status: int = 200) -> Response[bytes]:
    """The value as JSON or as XML under ``root``."""
    if fmt == "xml":
        return Response(_xml(root, value), media_type="text/xml; charset=utf-8", status_code=status)
    return Response(msgspec.json.encode(value), media_type="application/json", status_code=status)


def error_answer(request: Request, exc: Exception) -> Response[bytes]:
    """Errors of /open311 in the spec's format, XML or JSON after the address's extension."""
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", "") or "Error"
    if isinstance(exc, DomainError):
        detail = exc.args[0] if exc.args else exc.detail
        if exc.extra.get("field"):
            detail = f"{detail} ({exc.extra['field']})"
    fmt = "xml" if request.url.path.endswith(".xml") else "json"
    return answer(fmt, "errors", [{"code": status, "description": str(detail)}], status)


def _service(category: Any) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.name,
        "metadata": bool(category.fields),
        "type": "realtime",
        "keywords": "",
        "group": category.name,
    }


def _rounded(value: float | None) -> float | None:
    """A coordinate to three decimals (about 100 m): where, not whose door."""
    return round(value, 3) if value is not None else None


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def _request_rows(rows: list[dict[str, Any]], newsplus: Any) -> list[dict[str, Any]]:
    names = {c.code: c.name for c in inquiries.categories(newsplus).values()}
    ids = {r["department"] for r in rows if r["department"]}
    departments = (
        {
            d["id"]: d["name"]
            for d in await Department.select(Department.id, Department.name).where(Department.id.is_in(list(ids)))
        }
        if ids
        else {}
    )
    return [
        {
            "service_request_id": r["number"],
            "status": "closed" if r["status"] in CLOSED else "open",
            "status_notes": inquiries.public_text(r, r["reply"]) or None,
            "service_name": names.get(r["category"], r["category"]),
            "service_code": r["category"],
            "description": inquiries.public_text(r, r["body"]),
            "agency_responsible": departments.get(r["department"]),
            "service_notice": None,
            "requested_datetime": _time(r["created_at"]),
            "updated_datetime": _time(r["updated_at"]),
            "expected_datetime": _time(r["handle_due_at"]),
            "address": mask_address(r["address"]) or None,
            "address_id": None,
            "zipcode": None,
            "lat": _rounded(r["lat"]),
            "long": _rounded(r["lng"]),
            "media_url": None,
        }
        for r in rows
    ]


# Public, and taken in (a merge can happen before acceptance: those stay out, as on the board).
PUBLIC = (Inquiry.public == True) & Inquiry.accepted_at.is_not_null() & Inquiry.status.not_in(["rejected"])  # noqa: E712


@get("/{name:str}", guards=[anyone])
async def top(request: Request, newsplus: NewsplusDep, name: FromPath[str]) -> Response[bytes]:
    """discovery, services, requests (GET) by extension."""
    stem, fmt = _split(name)
    base = newsplus.settings.site.base_url.rstrip("/") + "/open311/v2"
    if stem == "discovery":
        endpoint = {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": base,
            "changeset": "2026-11-26T00:00:00Z",
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
        return answer(
            fmt,
            "discovery",
            {
                "changeset": "2026-11-26T00:00:00Z",
                "contact": newsplus.settings.site.name,
                "key_service": "",
                "endpoints": [endpoint],
            },
        )
    if stem == "services":
        return answer(fmt, "services", [_service(c) for c in inquiries.categories(newsplus).values()])
    if stem == "requests":
        return answer(fmt, "service_requests", await _find(request, newsplus))
    raise Open311Error(status_code=404, detail="Unknown resource")


async def _find(request: Request, newsplus: Any) -> list[dict[str, Any]]:
    query = Inquiry.select().where(PUBLIC)
    params = request.query_params
    if params.get("service_request_id"):
        query = query.where(Inquiry.number.is_in(params["service_request_id"].split(",")[:100]))
    if params.get("service_code"):
        query = query.where(Inquiry.category.is_in(params["service_code"].split(",")))
    for key, op in (("start_date", ">="), ("end_date", "<")):
        if params.get(key):
            try:
                moment = datetime.fromisoformat(params[key].replace("Z", "+00:00"))
            except ValueError:
                raise Open311Error(status_code=400, detail=f"{key} must be a w3 date-time") from None
            query = query.where(Inquiry.created_at >= moment if op == ">=" else Inquiry.created_at < moment)
    if params.get("status") in ("open", "closed"):
        query = query.where(
            Inquiry.status.is_in(CLOSED) if params["status"] == "closed" else Inquiry.status.not_in(CLOSED)
        )
    rows = await query.order_by(Inquiry.id, ascending=False).limit(1000)
    return await _request_rows(rows, newsplus)


@get("/services/{name:str}", guards=[anyone])
async def service_definition(newsplus: NewsplusDep, name: FromPath[str]) -> Response[bytes]:
    """A service's own form fields as attributes."""
    code, fmt = _split(name)
    category = inquiries.categories(newsplus).get(code)
    if category is None:
        raise Open311Error(status_code=404, detail=f"Unknown service_code {code}")
    attributes = [
        {
            "variable": True,
            "code": f.name,
            "datatype": DATATYPES.get(f.type, "string"),
            "required": f.required,
            "datatype_description": None,
            "order": i + 1,
            "description": f.label,
            "values": [{"key": v, "name": v} for v in f.choices],
        }
        for i, f in enumerate(category.fields)
    ]
    return answer(fmt, "service_definition", {"service_code": code, "attributes": attributes})


@get("/requests/{name:str}", guards=[anyone])
async def one_request(newsplus: NewsplusDep, name: FromPath[str]) -> Response[bytes]:
    """One public request by its id."""
    number, fmt = _split(name)
    rows = await Inquiry.select().where(PUBLIC & (Inquiry.number == number))
    if not rows:
        raise Open311Error(status_code=404, detail=f"Unknown service_request_id {number}")
    return answer(fmt, "service_requests", await _request_rows(rows, newsplus))


@get("/tokens/{name:str}", guards=[anyone])
async def token(name: FromPath[str]) -> Response[bytes]:
    """The request id a token stands for (requests are numbered at once, so tokens resolve at once)."""
    value, fmt = _split(name)
    row = await Inquiry.select(Inquiry.number).where(Inquiry.token == value[:64]).first()
    if row is None:
        raise Open311Error(status_code=404, detail="Unknown token")
    return answer(fmt, "service_requests", [{"service_request_id": row["number"], "token": value}])


@post("/{name:str}", guards=[anyone], status_code=201)
async def create_request(request: Request, newsplus: NewsplusDep, name: FromPath[str]) -> Response[bytes]:
    """POST requests with an api_key: a public inquiry, answered with its id and token."""
    stem, fmt = _split(name)
    if stem != "requests":
        raise Open311Error(status_code=404, detail="Unknown resource")
    form = await request.form()
    if form.get("api_key", "") not in newsplus.plugin_settings["wenzheng"].open311_keys or not form.get("api_key"):
        raise Open311Error(status_code=403, detail="Invalid api_key")
    newsplus.limiter.hit(f"open311:{form['api_key']}", limit=600, per_seconds=3600)
    description = form.get("description", "").strip()
    if not form.get("service_code"):
        raise Open311Error(status_code=400, detail="service_code is required")
    if not (form.get("lat") and form.get("long")) and not form.get("address_string") and not form.get("address_id"):
        raise Open311Error(status_code=400, detail="A location is required: lat and long, address_string or address_id")
    try:
        lat = float(form["lat"]) if form.get("lat") else None
        lng = float(form["long"]) if form.get("long") else None
    except ValueError:
        raise Open311Error(status_code=400, detail="lat and long must be numbers") from None
    extra = {k[len("attribute[") : -1]: v for k, v in form.items() if k.startswith("attribute[") and k.endswith("]")}
    name_parts = f"{form.get('last_name', '')}{form.get('first_name', '')}".strip()
    data = InquiryIn(
        kind="complaint",
        category=form.get("service_code", ""),
        title=(description or form["service_code"])[:40],
        body=description,
        address=form.get("address_string", ""),
        lat=lat,
        lng=lng,
        public=True,
        contact_name=name_parts,
        contact_phone=re.sub(r"^(\+?86|0086)", "", re.sub(r"[\s-]", "", form.get("phone", ""))),
        extra=extra,
    )
    row = await inquiries.submit(newsplus, None, data, source="open311")
    return answer(
        fmt,
        "service_requests",
        [{"service_request_id": row.number, "token": row.token, "service_notice": None, "account_id": None}],
        201,
    )


router = Router(
    path="/open311/v2",
    route_handlers=[top, service_definition, one_request, token, create_request],
    exception_handlers={HTTPException: error_answer, DomainError: error_answer},
    tags=["open311"],
    # GeoReport v2 is its own specification (JSON or XML by the address's ending, its own error list):
    # clients follow that, not our OpenAPI document, and the suite checks it against the shared schemas.
    include_in_schema=False,
)
