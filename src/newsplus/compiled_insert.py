"""INSERT statements whose SQL is written once per table and shape, not again for every row.

piccolo composes an insert from nested query strings and re-parses their templates every time it runs; for a
table of twenty columns that took longer than the database took to store the row, on every write of every
request. Here the SQL text for (table, engine, number of rows, RETURNING) is made once and kept, and a row
only contributes its values. Rows that carry SQL of their own (a value that is a query string, a primary key
given outright) take piccolo's way, which handles every case.

Inside a transaction such an insert goes straight to the transaction's connection (``insert_on_write``): on
SQLite (``newsplus.sqlite_writes``) one writer is let in at a time, across all workers, so every microsecond
spent between ``BEGIN`` and ``COMMIT`` is one no other worker can write in, and piccolo's way from a query to
its cursor and back took as long again as SQLite took to store the row; on PostgreSQL it is the worker's CPU.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from piccolo.columns.column_types import DEFAULT, JSON, JSONB, NULL
from piccolo.query.methods.insert import Insert
from piccolo.querystring import QueryString
from piccolo.table import Table
from piccolo.utils.sql_values import convert_to_sql_value

from newsplus.sqlite_writes import WritingConnection

__all__ = ["compiled_insert", "insert_on_write"]

RETURNS = sqlite3.sqlite_version_info >= (3, 35)  # RETURNING came with SQLite 3.35

# Values the drivers take as they are; anything else goes through piccolo's conversion (enums, JSON, rows).
PLAIN = frozenset({str, int, float, bool, type(None), datetime, date, Decimal, UUID, bytes})

_texts: dict[tuple[Any, ...], str] = {}
_fields: dict[type[Table], tuple[tuple[str, Any, bool], ...]] = {}


def _columns(table: type[Table]) -> tuple[tuple[str, Any, bool], ...]:
    """(attribute name, column, always converted) of every column but the primary key, which the database
    numbers; a JSON column's value is always converted (piccolo encodes a number or true as JSON there)."""
    fields = _fields.get(table)
    if fields is None:
        primary = table._meta.primary_key._meta.name
        fields = _fields[table] = tuple(
            (c._meta.name, c, isinstance(c, (JSON, JSONB))) for c in table._meta.columns if c._meta.name != primary
        )
    return fields


def _text(table: type[Table], engine_type: str, rows: int, ending: str) -> str:
    """The SQL of an insert of ``rows`` rows, with the engine's placeholders, made once per shape."""
    key = (table, engine_type, rows, ending)
    text = _texts.get(key)
    if text is None:
        fields = _columns(table)
        names = ",".join(f'"{column._meta.db_column_name}"' for _, column, _ in fields)
        width = len(fields)
        if engine_type == "sqlite":
            groups = ["(" + ",".join("?" * width) + ")"] * rows
        else:
            groups = ["(" + ",".join(f"${n * width + i + 1}" for i in range(width)) + ")" for n in range(rows)]
        text = f"INSERT INTO {table._meta.get_formatted_tablename()} ({names}) VALUES {','.join(groups)}{ending}"
        if len(_texts) < 4096:  # a bulk insert of every size ever seen must not grow this without end
            _texts[key] = text
    return text


def compiled_insert(table: type[Table], rows: list[Table], engine_type: str, returning: str = "") -> QueryString | None:
    """The insert of ``rows`` (then ``returning``, a RETURNING clause) as a ready-compiled query string, or None
    when a row needs piccolo's way."""
    primary = table._meta.primary_key._meta.name
    fields = _columns(table)
    args: list[Any] = []
    for row in rows:
        key = getattr(row, primary, None)
        if key is not DEFAULT and key is not NULL:
            return None  # a primary key given outright, or one the database does not number
        for name, column, always in fields:
            value = getattr(row, name)
            if always or type(value) not in PLAIN:
                if isinstance(value, QueryString):
                    return None
                value = convert_to_sql_value(value=value, column=column)
            args.append(value)
    query = QueryString("", query_type="insert", table=table)
    query._frozen_compiled_strings = (_text(table, engine_type, len(rows), returning), args)
    return query


async def insert_on_write(query: Insert) -> list[dict[str, Any]] | None:
    """Run ``query`` straight on the connection of the transaction it is part of, numbering its rows as piccolo
    does; None when it is not inside one, or needs piccolo's way."""
    table = query.table
    engine = table._meta.db
    transaction = engine.current_transaction.get()
    connection = getattr(transaction, "connection", None)
    if connection is None or engine.log_queries or query.on_conflict_delegate._on_conflict.on_conflict_items:
        return None
    if isinstance(connection, WritingConnection) and RETURNS:
        engine_type = "sqlite"
    elif engine.engine_type == "postgres":
        engine_type = "postgres"
    else:  # a reading transaction on SQLite, or a SQLite too old for RETURNING
        return None
    returning = query.returning_delegate._returning
    ending = returning.querystring.template if returning else ""
    compiled = compiled_insert(table, query.add_delegate._add, engine_type, ending)
    if compiled is None:
        return None
    text, args = compiled._frozen_compiled_strings
    if engine_type == "sqlite":
        rows = (await connection.run(text, args)).rows
    else:
        rows = [dict(record) for record in await connection.fetch(text, *args)]
    query._raw_response_callback(rows)
    return rows
