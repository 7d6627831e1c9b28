"""The one mechanism that keeps each district's rows to itself.

Each request runs inside ``district_scope(district)`` (set by the district middleware); jobs and commands
enter one themselves. A table that holds a district's data subclasses ``DistrictTable``: its queries
(select, objects, count, exists, update, delete) are filtered to the current district and new rows take it,
so no query carries a hand-written district filter. Outside any scope a query fails loudly, unless it runs
inside ``all_districts()`` — the explicit, province-wide exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import msgspec
from piccolo.columns import ForeignKey, OnDelete, OnUpdate
from piccolo.query.methods.delete import Delete, DeletionError
from piccolo.query.methods.insert import Insert
from piccolo.query.methods.update import Update
from piccolo.querystring import QueryString
from piccolo.table import Table

from newsplus.compiled_insert import compiled_insert, insert_on_write
from newsplus.districts.tables import District
from newsplus.row_plan import fill_row
from newsplus.sqlite_lanes import SHORT

__all__ = [
    "ALL_DISTRICTS",
    "CurrentDistrict",
    "DistrictScopeError",
    "DistrictTable",
    "all_districts",
    "current_district",
    "current_district_id",
    "district_scope",
    "reference",
]


class CurrentDistrict(msgspec.Struct, frozen=True):
    """The district a request or job works for."""

    id: int
    slug: str
    name: str


class _AllDistricts:
    def __repr__(self) -> str:
        return "ALL_DISTRICTS"


ALL_DISTRICTS = _AllDistricts()
_current: ContextVar[CurrentDistrict | _AllDistricts | None] = ContextVar("newsplus_district", default=None)


class DistrictScopeError(RuntimeError):
    """A district-owned table was queried outside any district scope."""


@contextmanager
def district_scope(district: CurrentDistrict) -> Iterator[CurrentDistrict]:
    """Run the enclosed code for one district."""
    token = _current.set(district)
    try:
        yield district
    finally:
        _current.reset(token)


@contextmanager
def all_districts() -> Iterator[None]:
    """Run the enclosed code across every district (province-wide statistics, maintenance)."""
    token = _current.set(ALL_DISTRICTS)
    try:
        yield
    finally:
        _current.reset(token)


def current_district() -> CurrentDistrict:
    """The district of the current request or job; raises when there is none."""
    value = _current.get()
    if isinstance(value, CurrentDistrict):
        return value
    raise DistrictScopeError("no district in scope: run inside district_scope(...) or all_districts()")


def current_district_id() -> int | None:
    """The current district's id, or None inside ``all_districts()``; raises outside any scope."""
    value = _current.get()
    if value is ALL_DISTRICTS:
        return None
    return current_district().id


def _column_name(key: Any) -> str:
    return key._meta.name if hasattr(key, "_meta") else str(key)


def reference(target: Any, *, null: bool = False, on_delete: OnDelete = OnDelete.cascade) -> ForeignKey:
    """A foreign key as newsplus tables declare them: explicit about NULL and deletion, following renumbered
    keys (piccolo's defaults, nullable and cascading, are rarely what a table means)."""
    return ForeignKey(target, null=null, on_delete=on_delete, on_update=OnUpdate.cascade)


class DistrictTable(Table):
    """Base of every table that holds one district's data: carries ``district`` and scopes every query."""

    district = ForeignKey(District, null=False, on_delete=OnDelete.restrict, on_update=OnUpdate.cascade, index=True)

    def __init__(
        self, _data: dict | None = None, _ignore_missing: bool = False, _exists_in_db: bool = False, **kwargs: Any
    ) -> None:
        if not _exists_in_db:
            district_id = current_district_id()
            given = kwargs.get("district", (_data or {}).get(type(self).district))
            if given is None:
                if district_id is None:
                    raise DistrictScopeError(f"a new {type(self).__name__} row needs a district: set it explicitly")
                kwargs["district"] = district_id
            elif district_id is not None and given != district_id:
                raise DistrictScopeError(f"a {type(self).__name__} row cannot be made for another district")
        if _data:
            super().__init__(_data=_data, _ignore_missing=_ignore_missing, _exists_in_db=_exists_in_db, **kwargs)
        else:
            fill_row(self, kwargs, _exists_in_db, _ignore_missing)

    @classmethod
    def _scoped(cls, query: Any) -> Any:
        district_id = current_district_id()
        return query if district_id is None else query.where(cls.district == district_id)

    @classmethod
    def select(cls, *columns: Any, exclude_secrets: bool = False) -> Any:
        """Select rows of the current district."""
        return cls._scoped(super().select(*columns, exclude_secrets=exclude_secrets))

    @classmethod
    def objects(cls, *prefetch: Any) -> Any:
        """Fetch row objects of the current district."""
        return cls._scoped(super().objects(*prefetch))

    @classmethod
    def count(cls, column: Any = None, distinct: Any = None) -> Any:
        """Count rows of the current district."""
        return cls._scoped(super().count(column=column, distinct=distinct))

    @classmethod
    def exists(cls) -> Any:
        """Whether a matching row exists in the current district."""
        return cls._scoped(super().exists())

    @classmethod
    def insert(cls, *rows: Any) -> Any:
        """Insert rows into the current district; rows made for another district are refused when it runs."""
        query = _ScopedInsert(table=cls).returning(cls._meta.primary_key)
        return query.add(*rows) if rows else query

    @classmethod
    def update(
        cls, values: dict | None = None, force: bool = False, use_auto_update: bool = True, **kwargs: Any
    ) -> Any:
        """Update rows of the current district; a row never moves to another district this way."""
        values = dict(values or {}, **kwargs)
        if use_auto_update and cls._meta.auto_update_columns:
            values.update(cls._meta.get_auto_update_values())
        query = _ScopedUpdate(table=cls, force=force).values(values)
        return cls._scoped(query)

    @classmethod
    def delete(cls, force: bool = False) -> Any:
        """Delete rows of the current district (a where clause is still required unless force=True)."""
        query = _ScopedDelete(table=cls, force=force)
        district_id = current_district_id()
        if district_id is not None:
            Delete.where(query, cls.district == district_id)
        return query


class _ScopedUpdate(Update):
    """An Update that refuses to change a row's district (``save()`` may repeat the current one)."""

    def values(self, values: dict | None = None, **kwargs: Any) -> _ScopedUpdate:
        """Set column values; ``district`` only to the district the row is already in."""
        values = dict(values or {}, **kwargs)
        for key in [k for k in values if _column_name(k) == "district"]:
            district_id = current_district_id()
            if district_id is None or values[key] != district_id:
                raise DistrictScopeError("a row's district cannot be changed by update()")
            del values[key]
        return super().values(values)


class _ScopedInsert(Insert):
    """An Insert that checks, when it runs, that each row and what it points at belong to this district."""

    @property
    def default_querystrings(self) -> Sequence[QueryString]:
        """The statement, its SQL made once per table and shape where the rows allow (``compiled_insert``)."""
        rows = self.add_delegate._add
        returning = self.returning_delegate._returning
        old_sqlite = self.engine_type == "sqlite" and self.table._meta.db.get_version_sync() < 3.35
        if rows and not self.on_conflict_delegate._on_conflict.on_conflict_items and not old_sqlite:
            # piccolo's RETURNING clause names columns only: its template is its SQL.
            ending = returning.querystring.template if returning else ""
            query = compiled_insert(self.table, rows, self.engine_type, ending)
            if query is not None:
                return [query]
        return super().default_querystrings

    async def _run(self, node: str | None = None, in_pool: bool = True) -> Any:
        """Inside a transaction, straight on its connection (``insert_on_write``); otherwise piccolo's way."""
        if node is None:
            rows = await insert_on_write(self)
            if rows is not None:
                return rows
        return await super()._run(node=node, in_pool=in_pool)

    async def run(self, node: str | None = None, in_pool: bool = True) -> Any:
        """Check the rows, then insert them."""
        district_id = current_district_id()
        rows = self.add_delegate._add
        if district_id is None or not rows:
            return await super().run(node=node, in_pool=in_pool)
        for row in rows:
            if row.district != district_id:
                raise DistrictScopeError(f"a {type(row).__name__} row of another district cannot be added here")
        known = _known_rows(self.table)
        await _check_references(rows, known)
        result = await super().run(node=node, in_pool=in_pool)
        if known is not None and isinstance(result, list):
            key = self.table._meta.primary_key._meta.name
            known.setdefault((district_id, self.table._meta.tablename), set()).update(
                r[key] for r in result if isinstance(r, dict) and key in r
            )
        return result


# Rows the current request found in its district before any write (the signed-in user, by the session
# lookup), as (district, table, key): a new row pointing at them needs no look of its own. Set in the request's
# own context, so nothing carries over to another request.
_vouched: ContextVar[frozenset[tuple[int, str, Any]]] = ContextVar("newsplus_vouched", default=frozenset())


def vouch_for(table: type[Table], key: Any) -> None:
    """Record, for the rest of this request, that ``table``'s row ``key`` was just found in the current district."""
    district_id = current_district_id()
    if district_id is not None:
        _vouched.set(_vouched.get() | {(district_id, table._meta.tablename, key)})


# Rows the current transaction wrote or checked, by (district, table): a later row pointing at them needs no
# second look. Kept per transaction, so nothing carries over to another request or a rolled-back attempt.
_known: ContextVar[tuple[Any, dict[tuple[int, str], set[Any]]] | None] = ContextVar("newsplus_known", default=None)


def _known_rows(table: type[Table]) -> dict[tuple[int, str], set[Any]] | None:
    transaction = table._meta.db.current_transaction.get()
    if transaction is None:
        return None
    held = _known.get()
    if held is None or held[0] is not transaction:
        held = (transaction, {})
        _known.set(held)
    return held[1]


def _district_keys(table: type[Table]) -> list[tuple[str, type[Table], str, str]]:
    """(column, target table, its table name, its key column) of each key pointing at a district's rows; made
    once per table, as resolving each key again on every insert cost more than the check's query."""
    keys = _KEYS.get(table)
    if keys is None:
        keys = []
        for column in table._meta.foreign_key_columns:
            target = column._foreign_key_meta.resolved_references
            if column._meta.name != "district" and issubclass(target, DistrictTable):
                key = target._meta.primary_key._meta.db_column_name
                keys.append((column._meta.name, target, target._meta.tablename, key))
        _KEYS[table] = keys
    return keys


_KEYS: dict[type[Table], list[tuple[str, type[Table], str, str]]] = {}


async def _check_references(rows: list[DistrictTable], known: dict[tuple[int, str], set[Any]] | None) -> None:
    """Refuse a foreign key that points at another district's row (one statement for all the keys)."""
    table = type(rows[0])
    district_id = rows[0].district
    counts, args, checked = [], [], []
    vouched = _vouched.get()
    for name, target, tablename, key in _district_keys(table):
        wanted = {getattr(v, "id", v) for v in (getattr(row, name) for row in rows) if v is not None}
        if known and wanted:
            wanted -= known.get((district_id, tablename), set())
        if vouched and wanted:
            wanted = {v for v in wanted if (district_id, tablename, v) not in vouched}
        if not wanted:
            continue
        marks = ", ".join("{}" for _ in wanted)
        counts.append(f'(SELECT count(*) FROM "{tablename}" WHERE district = {{}} AND "{key}" IN ({marks}))')
        args += [district_id, *wanted]
        checked.append((name, target, tablename, wanted))
    if not checked:
        return
    found = (await table.raw(SHORT + "SELECT " + ", ".join(f"{c} AS c{n}" for n, c in enumerate(counts)), *args))[0]
    for n, (name, target, tablename, wanted) in enumerate(checked):
        if found[f"c{n}"] != len(wanted):
            raise DistrictScopeError(f"{table.__name__}.{name} points at no {target.__name__} here")
        if known is not None:
            known.setdefault((district_id, tablename), set()).update(wanted)


class _ScopedDelete(Delete):
    """A Delete whose district filter does not count as the where clause piccolo demands."""

    __slots__ = ("filtered",)

    def __init__(self, table: type[Table], force: bool = False, **kwargs: Any) -> None:
        super().__init__(table, force=force, **kwargs)
        self.filtered = False

    def where(self, *where: Any) -> _ScopedDelete:
        """Add the caller's own filter."""
        self.filtered = True
        return super().where(*where)

    def _validate(self) -> None:
        if not self.filtered and not self.force:
            name = self.table.__name__
            raise DeletionError(
                f"Do you really want to delete all of this district's {name} rows? "
                f"If so, use {name}.delete(force=True); otherwise add a where clause."
            )
