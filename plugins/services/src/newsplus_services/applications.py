"""Online applications (办件): a resident fills a module's form, the department works it through
submitted → accepted → need_info ⇄ (the resident supplements) → approved / rejected → completed."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    clean_fields,
    now,
    publish,
    remove_file,
    transaction,
    url_of,
)
from newsplus.tracking import numbered
from newsplus_services import registry
from newsplus_services.bookings import local_today
from newsplus_services.events import ApplicationChanged
from newsplus_services.tables import Application, ApplicationFile, ApplicationStep

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus, StoredFile
    from newsplus_services.modules import ServiceModule

MOVES = {
    "accept": (("submitted",), "accepted"),
    "request_info": (("accepted",), "need_info"),
    "approve": (("accepted",), "approved"),
    "reject": (("submitted", "accepted", "need_info"), "rejected"),
    "complete": (("approved",), "completed"),
}
"""Staff actions: the statuses each may start from, and where it leads."""
NEEDS_NOTE = ("request_info", "reject")
OPEN = ("submitted", "accepted", "need_info")


async def keep_file(user: CurrentUser, stored: StoredFile) -> str:
    """Keep an uploaded file for a later form; its token is what the form field's answer carries."""
    token = secrets.token_urlsafe(16)
    await ApplicationFile(token=token, user=user.id, path=stored.path, thumb=stored.thumb, created_at=now()).save()
    return token


async def _claim_files(module: ServiceModule, user: CurrentUser, answers: dict[str, Any]) -> list[tuple[str, str]]:
    """The (field, token) of every file answer, each an unattached upload of this resident."""
    claimed = []
    for field in module.form:
        token = answers.get(field.name)
        if field.type != "file" or not token:
            continue
        row = (
            await ApplicationFile.select(ApplicationFile.id)
            .where(
                (ApplicationFile.token == str(token)[:64])
                & (ApplicationFile.user == user.id)
                & ApplicationFile.application.is_null()
            )
            .first()
        )
        if row is None:
            raise InvalidInput("Upload the file again", extra={"field": field.name})
        claimed.append((field.name, str(token)))
    return claimed


def _check_answers(newsplus: Newsplus, module: ServiceModule, answers: dict[str, Any]) -> dict[str, Any]:
    if not module.form:
        raise InvalidInput("This service takes no online applications")
    unknown = sorted(set(answers) - {f.name for f in module.form})
    if unknown:
        raise InvalidInput("This form has no field {name}", name=unknown[0], extra={"field": unknown[0]})
    return clean_fields(module.form, answers, today=local_today(newsplus))


async def _announce(newsplus: Newsplus, row: dict[str, Any], module: ServiceModule, action: str, actor: int | None):
    await publish(
        newsplus,
        ApplicationChanged(
            application_id=row["id"],
            token=row["token"],
            number=row["number"],
            module=module.slug,
            module_name=module.name,
            action=action,
            status=row["status"],
            user_id=row["user"],
            department_id=row["department"],
            note=row.get("note", ""),
        ),
        actor=actor,
    )


async def submit(newsplus: Newsplus, user: CurrentUser, slug: str, answers: dict[str, Any]) -> dict[str, Any]:
    """File an application: answers checked field by field, uploaded files attached, a tracking number given."""
    module = registry.module(newsplus, slug)
    cleaned = _check_answers(newsplus, module, answers)
    files = await _claim_files(module, user, cleaned)
    department = await registry.department_of(module)
    moment = now()

    async def write(number: str) -> dict[str, Any]:
        async with transaction():
            row = Application(
                number=number,
                token=secrets.token_urlsafe(16),
                module=module.slug,
                user=user.id,
                department=department,
                answers=msgspec.json.encode(cleaned).decode(),
                created_at=moment,
                updated_at=moment,
            )
            await row.save()
            await ApplicationStep(
                application=row.id, action="submit", to_status="submitted", actor=user.id, created_at=moment
            ).save()
            for field, token in files:
                await ApplicationFile.update({ApplicationFile.application: row.id, ApplicationFile.field: field}).where(
                    ApplicationFile.token == token
                )
            saved = row.to_dict()
            await _announce(newsplus, saved, module, "submit", user.id)
            return saved

    return await numbered(newsplus, write)


async def by_token(token: str) -> dict[str, Any]:
    """An application of this district by its private token."""
    row = await Application.select().where(Application.token == token[:64]).first()
    if row is None:
        raise NotFound("No such application")
    return row


def may_handle(user: CurrentUser | None, row: dict[str, Any]) -> bool:
    """A services manager, or a handler of the department the application went to."""
    if user is None:
        return False
    return user.can("services.manage") or (
        row["department"] is not None and user.can_in("services.handle", row["department"])
    )


async def view(newsplus: Newsplus, user: CurrentUser | None, token: str) -> dict[str, Any]:
    """An application with its answers, files and timeline, for its resident and the staff working on it."""
    row = await by_token(token)
    if user is None or (row["user"] != user.id and not may_handle(user, row)):
        raise NotFound("No such application")
    module = registry.modules(newsplus).get(row["module"])
    steps = (
        await ApplicationStep.select(
            ApplicationStep.action, ApplicationStep.to_status, ApplicationStep.note, ApplicationStep.created_at
        )
        .where(ApplicationStep.application == row["id"])
        .order_by(ApplicationStep.id)
    )
    files = await ApplicationFile.select(ApplicationFile.field, ApplicationFile.path, ApplicationFile.thumb).where(
        ApplicationFile.application == row["id"]
    )
    return {
        "number": row["number"],
        "token": row["token"],
        "module": row["module"],
        "module_name": module.name if module else row["module"],
        "status": row["status"],
        "note": row["note"],
        "answers": msgspec.json.decode(row["answers"]),
        "files": {f["field"]: {"url": url_of(f["path"]), "thumb": url_of(f["thumb"] or f["path"])} for f in files},
        "steps": steps,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "mine": user.id == row["user"],
        "may_handle": may_handle(user, row),
    }


async def _move(
    newsplus: Newsplus, row: dict[str, Any], action: str, allowed: tuple[str, ...], to: str, actor: int, **changes: Any
) -> dict[str, Any]:
    """Move an application from one of ``allowed`` to ``to``, once even when two people act at the same time."""
    moment = now()
    async with transaction():
        values = {Application.status: to, Application.updated_at: moment}
        values.update({getattr(Application, k): v for k, v in changes.items()})
        moved = (
            await Application.update(values)
            .where((Application.id == row["id"]) & Application.status.is_in(list(allowed)))
            .returning(Application.id)
        )
        if not moved:
            raise Conflict("This application is {status} now; reload to see its latest state", status=row["status"])
        note = changes.get("note", "")
        await ApplicationStep(
            application=row["id"],
            action=action,
            from_status=row["status"],
            to_status=to,
            actor=actor,
            note=note,
            created_at=moment,
        ).save()
        fresh = {**row, "status": to, "note": note or row["note"], **changes}
        module = registry.modules(newsplus).get(row["module"])
        if module is not None:
            await _announce(newsplus, fresh, module, action, actor)
    return fresh


async def act(newsplus: Newsplus, user: CurrentUser, token: str, action: str, note: str = "") -> dict[str, Any]:
    """A department's step: accept, request_info (what is missing), approve, reject (why), complete."""
    if action not in MOVES:
        raise NotFound("Unknown action {action}", action=action)
    row = await by_token(token)
    if not may_handle(user, row):
        raise Forbidden("You do not have permission to do this")
    note = note.strip()
    if action in NEEDS_NOTE and not note:
        raise InvalidInput("Say what is missing or why, for the resident", extra={"field": "note"})
    allowed, to = MOVES[action]
    return await _move(newsplus, row, action, allowed, to, user.id, note=note[:2000])


async def supplement(
    newsplus: Newsplus, user: CurrentUser, token: str, answers: dict[str, Any], note: str = ""
) -> dict[str, Any]:
    """The resident's corrections after ``need_info``: answers checked again, the application back with the
    department."""
    row = await by_token(token)
    if row["user"] != user.id:
        raise NotFound("No such application")
    module = registry.module(newsplus, row["module"])
    old = msgspec.json.decode(row["answers"])
    changed = {k: v for k, v in answers.items() if v not in (None, "") and old.get(k) != v}
    cleaned = _check_answers(newsplus, module, {**old, **changed})
    new_files = await _claim_files(module, user, changed)
    replaced = (
        await ApplicationFile.select(ApplicationFile.path, ApplicationFile.thumb).where(
            (ApplicationFile.application == row["id"]) & ApplicationFile.field.is_in([f for f, _ in new_files])
        )
        if new_files
        else []
    )
    async with transaction():
        fresh = await _move(
            newsplus,
            row,
            "supplement",
            ("need_info",),
            "accepted",
            user.id,
            answers=msgspec.json.encode(cleaned).decode(),
            note=note.strip()[:2000],
        )
        for field, file_token in new_files:
            await ApplicationFile.delete().where(
                (ApplicationFile.application == row["id"]) & (ApplicationFile.field == field)
            )
            await ApplicationFile.update({ApplicationFile.application: row["id"], ApplicationFile.field: field}).where(
                ApplicationFile.token == file_token
            )
    for file in replaced:  # a replaced file is not kept: only the latest answer is the resident's data
        await remove_file(newsplus, file["path"])
        await remove_file(newsplus, file["thumb"])
    return fresh


async def withdraw(newsplus: Newsplus, user: CurrentUser, token: str) -> dict[str, Any]:
    """The resident takes back an application that is still open."""
    row = await by_token(token)
    if row["user"] != user.id:
        raise NotFound("No such application")
    return await _move(newsplus, row, "withdraw", OPEN, "withdrawn", user.id)


def _summary(row: dict[str, Any], modules: dict[str, ServiceModule]) -> dict[str, Any]:
    module = modules.get(row["module"])
    return {
        "number": row["number"],
        "token": row["token"],
        "module": row["module"],
        "module_name": module.name if module else row["module"],
        "status": row["status"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


COLUMNS = (
    Application.id,
    Application.number,
    Application.token,
    Application.module,
    Application.status,
    Application.created_at,
    Application.updated_at,
)


async def mine(newsplus: Newsplus, user: CurrentUser, *, before: int | None = None, limit: int = 20) -> dict[str, Any]:
    """The resident's own applications, newest first."""
    return await _listing(newsplus, Application.user == user.id, before, limit)


async def queue(
    newsplus: Newsplus, user: CurrentUser, *, status: str = "", before: int | None = None, limit: int = 50
) -> dict[str, Any]:
    """Applications to work on: every one for managers, a department's own for its handlers."""
    where = Application.id > 0
    if not user.can("services.manage"):
        departments = sorted(user.departments_with("services.handle"))
        if not departments:
            raise Forbidden("You do not have permission to do this")
        where = Application.department.is_in(departments)
    if status:
        where &= Application.status == status
    return await _listing(newsplus, where, before, limit)


async def _listing(newsplus: Newsplus, where: Any, before: int | None, limit: int) -> dict[str, Any]:
    limit = max(1, min(limit, 100))
    if before is not None:
        where &= Application.id < before
    rows = await Application.select(*COLUMNS).where(where).order_by(Application.id, ascending=False).limit(limit + 1)
    modules = registry.modules(newsplus)
    items = [_summary(r, modules) for r in rows[:limit]]
    return {"items": items, "next": rows[limit - 1]["id"] if len(rows) > limit else None}
