"""Bench data sets: a deployment's settings file, its database migrated by newsplus itself, then articles,
inquiries and residents written in bulk (SQLite executemany, PostgreSQL COPY) — not through the API."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ALL_PLUGINS = ("wenzheng", "services", "activities", "govinfo")
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)  # the newest article; older ones go back one per ARTICLE_STEP
ARTICLE_STEP = timedelta(seconds=31)
INQUIRY_START = datetime(2022, 11, 1, tzinfo=UTC)  # 1,000,000 inquiries spread over four years
INQUIRY_SPAN = timedelta(days=4 * 365)
STREETS = 12
CHANNELS = ("要闻", "政务", "民生", "文旅", "视频")
CATEGORIES = ("sanitation", "traffic", "property", "social_security", "health", "education")
STATUSES = ("closed", "closed", "closed", "replied", "in_progress", "dispatched", "submitted")
RATINGS = ("satisfied", "satisfied", "basically_satisfied", "dissatisfied", "")
BATCH = 20_000


@dataclass
class DataSet:
    """A built data set: where it lives and the handles the goals need."""

    url: str
    config: Path
    articles: int
    inquiries: int
    residents: int
    tokens: list[str] = field(default_factory=list)
    supervisor_token: str = ""
    admin_token: str = ""
    channel: str = "zhengwu"


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///…`` data set."""
    return Path(url.removeprefix("sqlite:///"))


def settings_toml(url: str, workdir: Path, plugins: Iterable[str]) -> str:
    """The deployment's newsplus.toml: the same settings a site uses, background loops on."""
    names = ", ".join(f'"{p}"' for p in plugins)
    return (
        f'[site]\nsecret = "bench-secret-not-for-production"\ndistrict = "changping"\ndistrict_name = "昌平区"\n'
        f'media = "{workdir / "media"}"\n\n[database]\nurl = "{url}"\nauto_migrate = true\n\n'
        f"[plugins]\nenabled = [{names}]\n"
    )


def write_config(url: str, workdir: Path, plugins: Iterable[str], name: str) -> Path:
    """Write a settings file for these plugins and return its path."""
    path = workdir / f"{name}.toml"
    path.write_text(settings_toml(url, workdir, plugins), encoding="utf-8")
    return path


def token_for(n: int) -> str:
    """The bearer token of the n-th bench session (the database keeps only its hash)."""
    return f"bench-token-{n:07d}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _prepare(config: Path) -> dict[str, Any]:
    """Migrate through newsplus, then add the few rows the bulk rows refer to (district, channels, streets)."""
    from newsplus import create_app
    from newsplus.districts.scope import district_scope
    from newsplus.runtime import Newsplus
    from newsplus.settings import load_settings
    from newsplus.testing import running

    app = create_app(newsplus=Newsplus(load_settings(str(config))))
    async with running(app) as newsplus:
        from newsplus.content.tables import Channel
        from newsplus.users.tables import Department

        district = newsplus.districts.primary
        with district_scope(district):
            channels = []
            for position, name in enumerate(CHANNELS):
                slug = "zhengwu" if name == "政务" else f"c{position}"
                row = Channel(slug=slug, name=name, position=position)
                await row.save()
                channels.append(row.id)
            streets = []
            for n in range(STREETS):
                row = Department(name=f"第{n + 1}街道", kind="street", position=n)
                await row.save()
                streets.append(row.id)
            departments = []
            for n in range(8):
                row = Department(name=f"区第{n + 1}局", kind="bureau", position=n)
                await row.save()
                departments.append(row.id)
        return {"district": district.id, "channels": channels, "streets": streets, "departments": departments}


def articles(count: int, refs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Published articles, newest first, one every 31 seconds back from EPOCH."""
    channels = refs["channels"]
    for n in range(count):
        at = EPOCH - ARTICLE_STEP * n
        yield {
            "district": refs["district"],
            "channel": channels[n % len(channels)],
            "title": f"第{count - n}条 昌平区{CHANNELS[n % len(CHANNELS)]}动态：回天地区新进展",
            "summary": "回天地区的道路、学校和公园建设又有新进展，居民出行和生活更加便利。",
            "body": "<p>回天地区的道路、学校和公园建设又有新进展。</p>" * 4,
            "status": "published",
            "published_at": at,
            "created_at": at,
            "updated_at": at,
            "search_text": "",
        }


def inquiries(count: int, refs: dict[str, Any], residents: int) -> Iterator[dict[str, Any]]:
    """Inquiries spread over four years, at every stage, dispatched to departments and streets."""
    rng = random.Random(7)
    step = INQUIRY_SPAN / max(count, 1)
    for n in range(count):
        created = INQUIRY_START + step * n
        status = STATUSES[n % len(STATUSES)]
        replied = created + timedelta(hours=rng.randint(2, 400)) if status in ("closed", "replied") else None
        yield {
            "district": refs["district"],
            "number": f"B{n:09d}",
            "token": f"bench-inquiry-{n:09d}",
            "user": (n % residents) + 1 if residents else None,
            "kind": "complaint",
            "category": CATEGORIES[n % len(CATEGORIES)],
            "title": "小区门口垃圾无人清运",
            "body": "小区门口的垃圾已经三天没有清运，气味很大，请尽快处理。",
            "street": refs["streets"][n % STREETS],
            "department": refs["departments"][n % len(refs["departments"])] if status != "submitted" else None,
            "status": status,
            "response_due_at": created + timedelta(days=1),
            "handle_due_at": created + timedelta(days=15),
            "accepted_at": created + timedelta(hours=rng.randint(1, 30)) if status != "submitted" else None,
            "replied_at": replied,
            "closed_at": replied + timedelta(days=3) if status == "closed" and replied else None,
            "rating": RATINGS[n % len(RATINGS)] if status == "closed" else "",
            "created_at": created,
            "updated_at": created,
        }


def residents(count: int, refs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Residents with phones, spread over the streets."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(count):
        yield {
            "district": refs["district"],
            "kind": "resident",
            "phone": f"1{3 + n % 7}{n:09d}",
            "display_name": f"居民{n}",
            "street": refs["streets"][n % STREETS],
            "created_at": moment,
        }


def sessions(count: int, refs: dict[str, Any], first_user: int = 1) -> Iterator[dict[str, Any]]:
    """Sessions for the first residents, with tokens the load generator sends."""
    moment = datetime.now(UTC)
    for n in range(count):
        yield {
            "district": refs["district"],
            "token_hash": _hash(token_for(n)),
            "user": first_user + n,
            "created_at": moment,
            "expires_at": moment + timedelta(days=30),
            "client": "bench",
        }


def _columns(table: type) -> list[tuple[str, Any]]:
    """(column, default) of a piccolo table, without its primary key."""
    return [
        (c._meta.db_column_name, c.get_default_value())
        for c in table._meta.columns
        if c._meta.db_column_name != table._meta.primary_key._meta.db_column_name
    ]


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return str(value.astimezone(UTC))  # as piccolo stores a Timestamptz on SQLite
    if isinstance(value, bool):
        return int(value)
    if callable(value):
        return _sqlite_value(value())
    return value


def _sqlite_rows(table: type, rows: Iterable[dict[str, Any]]) -> tuple[str, Iterator[tuple]]:
    columns = _columns(table)
    names = ", ".join(f'"{c}"' for c, _ in columns)
    marks = ", ".join("?" for _ in columns)
    statement = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({marks})'
    return statement, (tuple(_sqlite_value(r.get(c, d)) for c, d in columns) for r in rows)


def load_sqlite(path: Path, table: type, rows: Iterable[dict[str, Any]]) -> int:
    """Append rows to a table of a SQLite database in large transactions; return how many."""
    statement, values = _sqlite_rows(table, rows)
    written = 0
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA synchronous=OFF")
        batch: list[tuple] = []
        for value in values:
            batch.append(value)
            if len(batch) == BATCH:
                conn.executemany(statement, batch)
                written += len(batch)
                batch.clear()
        if batch:
            conn.executemany(statement, batch)
            written += len(batch)
        conn.commit()
    return written


async def load_postgres(url: str, table: type, rows: Iterable[dict[str, Any]]) -> int:
    """Append rows to a PostgreSQL table with COPY; return how many."""
    import asyncpg

    columns = _columns(table)
    conn = await asyncpg.connect(url)
    written = 0
    try:
        batch: list[tuple] = []

        async def flush() -> None:
            nonlocal written
            await conn.copy_records_to_table(table._meta.tablename, records=batch, columns=[c for c, _ in columns])
            written += len(batch)
            batch.clear()

        for r in rows:
            batch.append(
                tuple((v() if callable(v) else v) if (v := r.get(c, d)) is not None else None for c, d in columns)
            )
            if len(batch) == BATCH:
                await flush()
        if batch:
            await flush()
        await conn.execute(f'ANALYZE "{table._meta.tablename}"')
    finally:
        await conn.close()
    return written


def build(url: str, workdir: Path, *, articles_n: int, inquiries_n: int, residents_n: int, tokens: int) -> DataSet:
    """Create (or reuse, when the same sizes were built before) a data set at ``url``."""
    from newsplus.content.tables import Article
    from newsplus.users.tables import Session, User
    from newsplus_wenzheng.tables import Inquiry

    workdir.mkdir(parents=True, exist_ok=True)
    config = write_config(url, workdir, ALL_PLUGINS, "full")
    write_config(url, workdir, (), "core")
    data = DataSet(url=url, config=config, articles=articles_n, inquiries=inquiries_n, residents=residents_n)
    data.tokens = [token_for(n) for n in range(tokens)]
    data.supervisor_token, data.admin_token = token_for(tokens), token_for(tokens + 1)
    marker = workdir / f"built-{articles_n}-{inquiries_n}-{residents_n}-{tokens}.done"
    if marker.exists():
        at_rest(url)
        return data
    refs = asyncio.run(_prepare(config))
    staff = [
        {"district": refs["district"], "kind": "staff", "username": name, "display_name": name, "created_at": EPOCH}
        for name in ("bench-supervisor", "bench-admin")
    ]
    if url.startswith("sqlite"):
        path = sqlite_path(url)

        def load(table: type, rows: Iterable[dict[str, Any]]) -> int:
            return load_sqlite(path, table, rows)
    else:

        def load(table: type, rows: Iterable[dict[str, Any]]) -> int:
            return asyncio.run(load_postgres(url, table, rows))

    load(User, residents(residents_n, refs))
    load(User, staff)
    load(Article, articles(articles_n, refs))
    load(Inquiry, inquiries(inquiries_n, refs, residents_n))
    load(Session, sessions(tokens, refs))
    _grant_staff(url, refs, residents_n, tokens)
    at_rest(url)
    marker.write_text("ok")
    return data


# As newsplus's deadline job would have left years of inquiries: every overdue open one reminded and escalated,
# every reply older than the rating window (7 days) closed. Otherwise each server the bench starts spends its
# first minutes catching up, 500 at a time, in the middle of the measurements.
AT_REST = (
    "UPDATE wenzheng_inquiry SET reminded_at = COALESCE(reminded_at, ?), escalated_at = ? "
    "WHERE status IN ('dispatched', 'signed', 'in_progress') AND handle_due_at <= ? AND escalated_at IS NULL",
    "UPDATE wenzheng_inquiry SET status = 'closed', closed_at = ? WHERE status = 'replied' AND replied_at <= ?",
)
# What an intake run adds, children first. Each run's rows are taken out again afterwards, so every run writes
# into the data set as built: left in place, a day of runs filled half of the day's million tracking numbers,
# and half of all intakes drew a taken number and wrote twice.
INTAKE_TABLES = ("events_delivery", "events_event", "wenzheng_step", "wenzheng_inquiry")


def run_sql(url: str, statements: Iterable[tuple[str, list[Any]]]) -> list[Any]:
    """Run statements (``?`` placeholders) on a data set's database in one transaction; the first value each
    returns, if any."""
    statements = list(statements)
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(sqlite_path(url))) as conn, conn:
            # Times as piccolo writes them on SQLite.
            return [
                (conn.execute(sql, [str(a) if isinstance(a, datetime) else a for a in args]).fetchone() or [None])[0]
                for sql, args in statements
            ]

    async def run() -> list[Any]:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            async with conn.transaction():
                found = []
                for sql, args in statements:
                    pieces = sql.split("?")  # PostgreSQL numbers its placeholders
                    numbered = "".join(f"{piece}${n}" for n, piece in enumerate(pieces[:-1], 1)) + pieces[-1]
                    found.append(await conn.fetchval(numbered, *args))
                return found
        finally:
            await conn.close()

    return asyncio.run(run())


def at_rest(url: str) -> None:
    """Bring the data set to rest, as if its jobs had been running all along (a no-op when it is)."""
    moment = datetime.now(UTC)
    stale = moment - timedelta(days=7)
    run_sql(url, [(AT_REST[0], [moment, moment, moment]), (AT_REST[1], [moment, stale])])


def intake_marks(url: str) -> list[int]:
    """The highest id in each table an intake run writes to, before it runs."""
    return [mark or 0 for mark in run_sql(url, [(f"SELECT max(id) FROM {table}", []) for table in INTAKE_TABLES])]


def forget_intakes(url: str, marks: list[int]) -> None:
    """Take out what was written above ``marks``: the data set is as it was before the intake run."""
    deletes = [(f"DELETE FROM {table} WHERE id > ?", [mark]) for table, mark in zip(INTAKE_TABLES, marks, strict=True)]
    if not url.startswith("sqlite"):
        # Only these rows point at each other. PostgreSQL would look for inquiries merged into each one it deletes
        # by reading all million (nothing in newsplus deletes an inquiry, so ``merged_into`` has no index), so its
        # foreign-key checks are off for this one transaction, as they are on a plain SQLite connection.
        deletes.insert(0, ("SET LOCAL session_replication_role = replica", []))
    run_sql(url, deletes)
    if url.startswith("sqlite"):  # the next server's first writes would otherwise copy all of it back
        with contextlib.closing(sqlite3.connect(sqlite_path(url))) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _grant_staff(url: str, refs: dict[str, Any], residents_n: int, tokens: int) -> None:
    """Roles and sessions of the two staff accounts (supervisor, admin)."""
    from newsplus.users.tables import Grant, Session

    moment = datetime.now(UTC)
    grants = [
        {"district": refs["district"], "user": residents_n + 1, "role": "supervisor", "department": None},
        {"district": refs["district"], "user": residents_n + 2, "role": "admin", "department": None},
    ]
    staff_sessions = [
        {
            "district": refs["district"],
            "token_hash": _hash(token_for(tokens + i)),
            "user": residents_n + 1 + i,
            "created_at": moment,
            "expires_at": moment + timedelta(days=30),
            "client": "bench",
        }
        for i in range(2)
    ]
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        load_sqlite(path, Grant, grants)
        load_sqlite(path, Session, staff_sessions)
    else:
        asyncio.run(load_postgres(url, Grant, grants))
        asyncio.run(load_postgres(url, Session, staff_sessions))
