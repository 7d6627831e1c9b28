"""The database: an engine from the settings' URL, and the migrations of every enabled piccolo app."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import io
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import AppConfig, AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import TransactionType

from newsplus import _piccolo_conf
from newsplus.sqlite_pool import PooledSQLiteEngine

__all__ = [
    "DatabaseError",
    "activate",
    "close_pool",
    "create_index",
    "engine_from_url",
    "is_postgres",
    "is_unique_violation",
    "transaction",
    "migrate",
    "migration_lock",
    "open_pool",
    "pending_migrations",
]

os.environ["PICCOLO_CONF"] = "newsplus._piccolo_conf"


class DatabaseError(Exception):
    """The database cannot be used: a bad URL, an unreachable server, or migrations not yet applied."""


class _PostgresEngine(PostgresEngine):
    """piccolo's PostgreSQL engine without its connect-on-construction version check: newsplus reports an
    unreachable server once, when the app opens its connection pool."""

    async def check_version(self) -> None:
        return None


def engine_from_url(url: str, *, root: Path | None = None) -> Engine:
    """An engine for ``sqlite:///relative/or/absolute/path`` or ``postgresql://user@host:port/db``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        raw_path = url[len("sqlite://") :]
        if raw_path.startswith("/"):
            raw_path = raw_path[1:]
        if not raw_path or raw_path == ":memory:":
            raise DatabaseError("database.url: SQLite needs a file path, e.g. sqlite:///newsplus.sqlite3")
        path = Path(raw_path).expanduser()
        if not path.is_absolute() and root is not None:
            path = root / path
        path.parent.mkdir(parents=True, exist_ok=True)
        _enable_wal(path)
        return PooledSQLiteEngine(path=str(path), timeout=30)
    if parts.scheme in {"postgresql", "postgres"}:
        return _PostgresEngine(config={"dsn": url}, log_queries=False)
    raise DatabaseError(f"database.url: expected sqlite:///path or postgresql://…, got {url!r}")


def _enable_wal(path: Path) -> None:
    # WAL persists in the file, so setting it once lets readers and the writer work side by side.
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


async def open_pool(engine: Engine, *, min_size: int = 1, max_size: int = 10, **options: Any) -> None:
    """Open the PostgreSQL connection pool (nothing to do on SQLite); an unreachable server is a DatabaseError.

    ``options`` go to asyncpg's ``create_pool`` (``setup``, ``reset``, ``connection_class``).
    """
    if not is_postgres(engine):
        return
    try:
        await engine.start_connection_pool(min_size=min_size, max_size=max_size, **options)
    except (TimeoutError, OSError) as exc:
        raise DatabaseError(f"cannot reach the database: {exc}") from None
    except Exception as exc:  # asyncpg's own errors: wrong database, role, password
        if type(exc).__module__.startswith("asyncpg"):
            raise DatabaseError(f"cannot use the database: {exc}") from None
        raise


async def close_pool(engine: Engine) -> None:
    """Close the PostgreSQL connection pool, if one is open, or SQLite's kept connections."""
    if is_postgres(engine) and engine.pool is not None:
        await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        engine.close_lanes()


def is_postgres(engine: Engine) -> bool:
    """True when the engine talks to PostgreSQL."""
    return engine.engine_type == "postgres"


def activate(engine: Engine, app_paths: Sequence[str]) -> AppRegistry:
    """Point piccolo and every table of the given apps at this engine; return the app registry."""
    registry = AppRegistry(apps=list(app_paths))
    _piccolo_conf.DB = engine
    _piccolo_conf.APP_REGISTRY = registry
    Migration._meta.db = engine
    for app_config in registry.app_configs.values():
        for table in app_config.table_classes:
            table._meta.db = engine
    return registry


MIGRATION_ID = re.compile(r"""^ID\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def _migration_ids(app_config: AppConfig) -> list[str]:
    """An app's migration ids in the order they run, read from the files without importing them (starting a
    server only checks that none is pending, and piccolo's migration machinery is slow to import)."""
    folder = Path(app_config.resolved_migrations_folder_path)
    ids = []
    for path in folder.glob("*.py"):
        if path.name == "__init__.py":
            continue
        found = MIGRATION_ID.search(path.read_text(encoding="utf-8"))
        if found is None:  # an unusual file: let piccolo import them all
            return sorted(_migration_modules(app_config))
        ids.append(found.group(1))
    return sorted(ids)


def _migration_modules(app_config: AppConfig) -> dict[str, Any]:
    from piccolo.apps.migrations.commands.base import BaseMigrationManager

    return BaseMigrationManager().get_migration_modules(app_config.resolved_migrations_folder_path)


async def _create_migration_table() -> None:
    # CREATE TABLE IF NOT EXISTS follows the search_path; piccolo's own check looks in every schema.
    await Migration.create_table(if_not_exists=True).run()


async def pending_migrations(registry: AppRegistry) -> list[str]:
    """Names (``app:id``) of migrations not yet applied, in the order they would run."""
    try:
        await _create_migration_table()
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseError(f"cannot reach the database: {exc}") from None
    pending: list[str] = []
    for app_config in registry.app_configs.values():
        ids = _migration_ids(app_config)
        ran = set(await Migration.get_migrations_which_ran(app_name=app_config.app_name))
        pending += [f"{app_config.app_name}:{i}" for i in ids if i not in ran]
    return pending


MIGRATION_LOCK = 7_429_001  # the PostgreSQL advisory lock key newsplus migrations hold


@contextlib.asynccontextmanager
async def migration_lock(engine: Engine) -> AsyncIterator[None]:
    """Hold the deployment-wide migration lock, so workers starting together migrate one at a time."""
    if is_postgres(engine):
        import asyncpg

        connection = await asyncpg.connect(engine.config["dsn"])
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            yield
        finally:
            await connection.close()  # closing the session releases the lock
        return
    lock_path = Path(engine.path).with_name(Path(engine.path).name + ".migrate-lock")
    handle = await asyncio.to_thread(open, lock_path, "a+b")
    try:
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # closing the file releases the lock


async def migrate(registry: AppRegistry, progress: Callable[[str], None] | None = None) -> list[str]:
    """Apply every pending migration of the registry's apps, in registration order; return what ran."""
    if not await pending_migrations(registry):  # the usual start: nothing to do, nothing more to import
        return []
    from piccolo.apps.migrations.auto.migration_manager import MigrationManager

    applied: list[str] = []
    for app_config in registry.app_configs.values():
        modules = _migration_modules(app_config)
        ids = sorted(modules)
        ran = set(await Migration.get_migrations_which_ran(app_name=app_config.app_name))
        for migration_id in ids:
            if migration_id in ran:
                continue
            manager = await modules[migration_id].forwards()
            if isinstance(manager, MigrationManager):
                with contextlib.redirect_stdout(io.StringIO()):  # piccolo prints each step
                    await manager.run()
            await Migration.insert(Migration(name=migration_id, app_name=app_config.app_name)).run()
            applied.append(f"{app_config.app_name}:{migration_id}")
            if progress:
                progress(applied[-1])
    return applied


def create_index(
    table: str, columns: Sequence[str], *, unique: bool = False, name: str = "", where: str = ""
) -> Callable:
    """A migration step (for ``manager.add_raw``) creating a composite or expression index on both engines.

    Columns may be expressions such as ``"coalesce(department, 0)"``; put ``district`` first for
    district-owned tables so each district's rows sit together in the index. ``where`` makes a partial
    index, holding only the rows a query looks for (``"status = 'scheduled'"``): small, and free for the
    other rows' writes.
    """
    words = "_".join("".join(c if c.isalnum() else "_" for c in col).strip("_") for col in columns)
    index_name = name or f"{table}_{words}_{'uniq' if unique else 'idx'}"[:63]
    quoted = ", ".join(f'"{c}"' if c.isidentifier() else c for c in columns)
    kind = "UNIQUE INDEX" if unique else "INDEX"
    statement = f'CREATE {kind} IF NOT EXISTS "{index_name}" ON "{table}" ({quoted})'
    statement += f" WHERE {where}" if where else ""

    async def run() -> None:
        await _piccolo_conf.DB.run_ddl(statement)

    run.statement = statement  # type: ignore[attr-defined]
    return run


def transaction() -> Any:
    """A transaction on the active engine; on SQLite it takes the write lock at once (``BEGIN IMMEDIATE``),
    so a transaction that reads then writes waits for other writers instead of failing."""
    engine = _piccolo_conf.DB
    if engine.engine_type == "sqlite":
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def is_unique_violation(exc: BaseException) -> bool:
    """Whether a database error is a unique-constraint violation, on either engine."""
    return (
        isinstance(exc, sqlite3.IntegrityError)
        and "UNIQUE" in str(exc)
        or (type(exc).__name__ == "UniqueViolationError")
    )
