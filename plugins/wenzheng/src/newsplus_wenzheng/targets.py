"""Dispatch targets: where a dispatched inquiry is worked on. ``internal``: the department works in the
desk. ``webhook``: the district's unified handling platform (公众服务统一办理平台) receives it as signed
JSON and reports back through the callback endpoint. Other plugins add their own through
``wenzheng_register_dispatch_targets``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus import CurrentUser, Forbidden, InvalidInput, NotFound, current_district, now, post_signed, transaction
from newsplus.users.tables import Department
from newsplus_wenzheng.tables import CallbackReceipt, Inquiry, Step

if TYPE_CHECKING:
    from newsplus import Newsplus


class DispatchTarget(msgspec.Struct, frozen=True, kw_only=True):
    """Where inquiries of some departments go: ``send(newsplus, inquiry)`` hands one over (raise to retry)."""

    name: str
    label: str
    send: Callable[[Any, dict[str, Any]], Awaitable[str]]


async def _internal(newsplus: Newsplus, inquiry: dict[str, Any]) -> str:
    return ""


async def _webhook(newsplus: Newsplus, inquiry: dict[str, Any]) -> str:
    settings = newsplus.plugin_settings["wenzheng"]
    if not settings.platform_url or not settings.platform_secret:
        raise ConnectionError("platform_url and platform_secret are not set in [plugins.wenzheng]")
    department = await Department.select(Department.name).where(Department.id == inquiry["department"]).first()
    base = newsplus.settings.site.base_url.rstrip("/")
    payload = {
        "district": current_district().slug,
        "number": inquiry["number"],
        "kind": inquiry["kind"],
        "category": inquiry["category"],
        "title": inquiry["title"],
        "body": inquiry["body"],
        "address": inquiry["address"],
        "lat": inquiry["lat"],
        "lng": inquiry["lng"],
        "contact_name": inquiry["contact_name"],
        "contact_phone": inquiry["contact_phone"],
        "department": department["name"] if department else "",
        "handle_due_at": inquiry["handle_due_at"].isoformat() if inquiry["handle_due_at"] else None,
        "callback_url": f"{base}/api/v1/wenzheng/callback",
    }
    response = await post_signed(newsplus, settings.platform_url, settings.platform_secret, payload)
    try:
        return str(response.json().get("id", ""))[:100]
    except ValueError:
        return ""


BUILT_IN = [
    DispatchTarget(name="internal", label="Departments work in the desk", send=_internal),
    DispatchTarget(name="webhook", label="The district's handling platform", send=_webhook),
]


def dispatch_targets(newsplus: Newsplus) -> dict[str, DispatchTarget]:
    """Every target by name: the built-in ones and those plugins register."""
    found = newsplus.state.get("wenzheng.targets")
    if found is None:
        extra = [
            t for result in newsplus.hook.wenzheng_register_dispatch_targets(newsplus=newsplus) for t in result or ()
        ]
        found = newsplus.state["wenzheng.targets"] = {t.name: t for t in [*BUILT_IN, *extra]}
    return found


async def target_of(newsplus: Newsplus, department_id: int | None) -> str:
    """The dispatch target a department's inquiries go to (``internal`` unless configured)."""
    if department_id is None:
        return "internal"
    department = await Department.select(Department.name).where(Department.id == department_id).first()
    targets = newsplus.plugin_settings["wenzheng"].department_targets
    return targets.get(department["name"] if department else "", "internal")


async def hand_over(newsplus: Newsplus, inquiry_id: int, step_id: int) -> None:
    """Send a dispatched inquiry to its department's target, once per dispatch (repeats are skipped)."""
    row = await Inquiry.select().where(Inquiry.id == inquiry_id).first()
    if row is None or row["department"] is None or row["status"] != "dispatched":
        return
    if await Step.exists().where((Step.inquiry == inquiry_id) & (Step.action == "forward") & (Step.id > step_id)):
        return
    name = await target_of(newsplus, row["department"])
    target = dispatch_targets(newsplus).get(name)
    if target is None:
        raise LookupError(f"dispatch target {name!r} is not registered")
    if name == "internal":
        return
    reference = await target.send(newsplus, row)
    await Step(
        inquiry=row["id"],
        action="forward",
        from_status=row["status"],
        to_status=row["status"],
        department=row["department"],
        note=f"{target.label} {reference}".strip(),
        created_at=now(),
    ).save()


class Callback(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A status update from the handling platform, delivered at least once (``district`` as it was sent)."""

    event_id: str
    number: str
    action: str
    note: str = ""
    district: str = ""


async def receive_callback(newsplus: Newsplus, data: Callback) -> dict[str, Any]:
    """Apply a platform update as the department would; the same event_id twice changes nothing."""
    from newsplus_wenzheng.workflow import act

    if data.action not in ("sign", "progress", "reply", "return"):
        raise InvalidInput("Unknown action {action}", action=data.action, extra={"field": "action"})
    if not data.event_id or len(data.event_id) > 100:
        raise InvalidInput("event_id is required", extra={"field": "event_id"})
    async with transaction():
        if await CallbackReceipt.exists().where(CallbackReceipt.event_id == data.event_id):
            row = await Inquiry.select(Inquiry.status).where(Inquiry.number == data.number).first()
            return {"status": row["status"] if row else "", "duplicate": True}
        row = await Inquiry.select(Inquiry.token, Inquiry.department).where(Inquiry.number == data.number).first()
        if row is None:
            raise NotFound("No such inquiry")
        if data.district and data.district != current_district().slug:
            raise Forbidden("This update is for another district")
        if row["department"] is None or await target_of(newsplus, row["department"]) != "webhook":
            raise Forbidden("This inquiry is not with the platform")
        platform = CurrentUser(
            id=0,
            kind="staff",
            display_name="统一办理平台",
            department_permissions={row["department"]: frozenset({"wenzheng.handle"})},
        )
        changed = await act(newsplus, platform, row["token"], data.action, note=data.note, system=True)
        await CallbackReceipt(event_id=data.event_id, created_at=now()).save()
    return {"status": changed["status"], "duplicate": False}
