"""Bulk import of notices from a CSV or JSON file (a municipal open-data export …): every row checked, the good
ones published, each bad one reported with its line and reason, and a row seen before left as it is."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import msgspec

from newsplus import DomainError, InvalidInput, NotFound, current_district, district_scope, now, transaction
from newsplus.content.workflow import publish_trusted
from newsplus.db import is_unique_violation
from newsplus.users.tables import Department
from newsplus_govinfo import notices
from newsplus_govinfo.schemas import NoticeIn
from newsplus_govinfo.settings import LEVELS
from newsplus_govinfo.tables import ImportRun, Notice

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus

REQUIRED = ("title", "level", "category", "department")
LEVEL_WORDS = {**{code: code for code in LEVELS}, **{name: code for code, name in LEVELS.items()}, "国家": "central"}
MAX_ROWS = 20_000


def parse(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Rows with the line (CSV) or item number (JSON) each came from; a file that is neither is refused."""
    text = _decode(data)
    if not text.strip():
        raise InvalidInput("The file has no rows")
    start = text.lstrip()[:1]
    if start in ("[", "{"):
        try:
            loaded = msgspec.json.decode(text.encode())
        except msgspec.DecodeError:
            raise InvalidInput("This JSON file cannot be read") from None
        items = loaded.get("items", loaded.get("data")) if isinstance(loaded, dict) else loaded
        if not isinstance(items, list):
            raise InvalidInput("A JSON file holds a list of notices (or an object with an items list)")
        rows = [(i + 1, item) for i, item in enumerate(items)]
    else:
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput("The file lacks the columns: {columns}", columns=", ".join(missing))
        rows = []
        for row in reader:
            rows.append((reader.line_num, row))
    if not rows:
        raise InvalidInput("The file has no rows")
    if len(rows) > MAX_ROWS:
        raise InvalidInput("At most {n} rows per file", n=MAX_ROWS)
    return rows


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("The file is neither UTF-8 nor GBK text")


def _date(row: dict[str, Any], name: str) -> date | None:
    value = str(row.get(name) or "").strip().replace("/", "-")
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput("{column} is not a date (YYYY-MM-DD)", column=name) from None


async def _read_row(newsplus: Newsplus, row: Any, departments: dict[str, int]) -> tuple[NoticeIn, str, date | None]:
    """A row as a notice to create, its import key and its publication date."""
    if not isinstance(row, dict):
        raise InvalidInput("A row must be an object with named fields")
    for column in REQUIRED:
        if not str(row.get(column) or "").strip():
            raise InvalidInput("{column} is empty", column=column)
    level = LEVEL_WORDS.get(str(row["level"]).strip())
    if level is None:
        raise InvalidInput("Unknown level {value}", value=str(row["level"])[:20])
    department = departments.get(str(row["department"]).strip())
    if department is None:
        raise InvalidInput("No department is called {value}", value=str(row["department"])[:50])
    data = NoticeIn(
        title=str(row["title"]).strip()[:200],
        level=level,
        category=str(row["category"]).strip(),
        department=department,
        summary=str(row.get("summary") or "").strip()[:500],
        body=str(row.get("body") or "").strip(),
        doc_number=str(row.get("doc_number") or "").strip(),
        effective_on=_date(row, "effective_on"),
        expires_on=_date(row, "expires_on"),
        original_url=str(row.get("original_url") or "").strip(),
    )
    own_id = str(row.get("id") or "").strip()
    key = (
        f"id:{own_id}"[:64]
        if own_id
        else notices.source_key(str(row["department"]).strip(), data.doc_number, data.title)
    )
    return data, key, _date(row, "published_on")


async def start(newsplus: Newsplus, user: CurrentUser, filename: str, data: bytes) -> int:
    """Check the file's shape, record the run and import it in the background; return the run's id."""
    rows = parse(data)
    run = ImportRun(user=user.id, filename=filename[:200], total=len(rows), created_at=now())
    await run.save()
    district = current_district()
    tasks: set[asyncio.Task] = newsplus.state.setdefault("govinfo.imports", set())

    async def work() -> None:
        with district_scope(district):
            await import_rows(newsplus, user, run.id, rows)

    task = asyncio.create_task(work())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return run.id


async def import_rows(newsplus: Newsplus, user: CurrentUser, run_id: int, rows: list[tuple[int, Any]]) -> None:
    """Import the rows one by one, recording progress every 20 rows and the report at the end."""
    departments = {r["name"]: r["id"] for r in await Department.select(Department.id, Department.name)}
    zone = ZoneInfo(newsplus.settings.site.timezone)
    done = imported = unchanged = 0
    problems: list[dict[str, Any]] = []
    try:
        for line, row in rows:
            try:
                data, key, published_on = await _read_row(newsplus, row, departments)
                if await Notice.exists().where(Notice.source_key == key):
                    unchanged += 1
                else:
                    moment = datetime.combine(published_on, time(9), zone) if published_on else now()
                    async with transaction():  # created and published together, or neither
                        article = await notices.create(newsplus, user, data, key=key)
                        await publish_trusted(newsplus, user, article, published_at=min(moment, now()))
                    imported += 1
            except DomainError as error:
                problems.append({"line": line, "detail": error.detail, "params": error.params})
            except Exception as exc:
                if not is_unique_violation(exc):  # the same row imported by another run at the same moment
                    raise
                unchanged += 1
            done += 1
            if done % 20 == 0:
                await _progress(run_id, done, imported, unchanged, problems)
        await _progress(run_id, done, imported, unchanged, problems, status="done")
    except Exception:
        await _progress(run_id, done, imported, unchanged, problems, status="failed")
        raise


async def _progress(
    run_id: int, done: int, imported: int, unchanged: int, problems: list[dict[str, Any]], status: str = "running"
) -> None:
    values = {
        ImportRun.done: done,
        ImportRun.imported: imported,
        ImportRun.unchanged: unchanged,
        ImportRun.problems: msgspec.json.encode(problems).decode(),
        ImportRun.status: status,
    }
    if status != "running":
        values[ImportRun.finished_at] = now()
    await ImportRun.update(values).where(ImportRun.id == run_id)


async def report(run_id: int, translate: Any) -> dict[str, Any]:
    """A run's progress and, line by line, what was wrong (in the reader's language)."""
    row = await ImportRun.select().where(ImportRun.id == run_id).first()
    if row is None:
        raise NotFound("No such import")
    problems = msgspec.json.decode(row["problems"] or "[]")
    return {
        "id": row["id"],
        "filename": row["filename"],
        "status": row["status"],
        "total": row["total"],
        "done": row["done"],
        "imported": row["imported"],
        "unchanged": row["unchanged"],
        "problems": [{"line": p["line"], "reason": translate(p["detail"], **p["params"])} for p in problems],
        "created_at": row["created_at"],
        "finished_at": row["finished_at"],
    }


async def runs(limit: int = 20) -> list[dict[str, Any]]:
    """The latest import runs."""
    return await ImportRun.select().order_by(ImportRun.id, ascending=False).limit(limit)
