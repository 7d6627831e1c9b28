"""Rows of district tables are filled by a plan made once per table: the same values, defaults and errors as
piccolo's own ``Table.__init__``, which looks every column up again for every row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from piccolo.columns import JSON, Array, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from newsplus.districts.scope import DistrictTable, all_districts
from newsplus.users.tables import User

NEVER_QUERIED = SQLiteEngine(path=":memory:")  # rows are only made here, never written


class Parcel(DistrictTable, tablename="test_row_plan_parcel", db=NEVER_QUERIED):
    label = Varchar(length=50, default="unnamed")
    weight = Integer(null=True, default=None)
    fragile = Boolean(default=False)
    sent_at = Timestamptz(null=False, default=TimestamptzNow())
    tags = Array(base_column=Varchar(), default=list)
    meta = JSON(default="{}")
    code = Varchar(length=20, db_column_name="parcel_code", default="")
    owner = ForeignKey(User, null=True)
    required = Varchar(length=20, null=True, default=None)


def piccolos_own(values: dict[str, Any], **flags: Any) -> Parcel:
    """The row as piccolo's Table.__init__ alone fills it."""
    row = Parcel.__new__(Parcel)
    Table.__init__(row, **values, **flags)
    return row


def columns_of(row: Parcel) -> dict[str, Any]:
    return {column._meta.name: getattr(row, column._meta.name) for column in Parcel._meta.columns}


@pytest.mark.parametrize(
    "values",
    [
        {"district": 1},
        {"district": 1, "label": "box", "weight": 3, "fragile": True, "owner": 7, "tags": ["a"]},
        {"district": 1, "parcel_code": "by database name"},
        {"district": 1, "code": "by name", "meta": '{"a": 1}', "required": "x"},
    ],
)
def test_a_new_row_holds_what_piccolo_would_give_it(values: dict[str, Any]) -> None:
    with all_districts():
        planned = Parcel(**dict(values))
    own = piccolos_own(dict(values))
    ours, theirs = columns_of(planned), columns_of(own)
    # "now" is taken anew for each row: both are within a moment of each other, and after the test began.
    assert abs(ours.pop("sent_at") - theirs.pop("sent_at")).total_seconds() < 1
    assert ours == theirs
    assert planned._exists_in_db is False and planned._was_created is None


def test_defaults_made_per_row_are_not_shared() -> None:
    with all_districts():
        first, second = Parcel(district=1), Parcel(district=1)
    assert first.tags == [] and first.tags is not second.tags
    assert first.sent_at.tzinfo is not None and first.sent_at <= datetime.now(UTC)


class Strict(DistrictTable, tablename="test_row_plan_strict", db=NEVER_QUERIED):
    name = Varchar(length=20, null=False, default=None)


def test_unknown_columns_and_missing_required_values_fail_as_piccolo_fails() -> None:
    with all_districts(), pytest.raises(ValueError, match=r"Unrecognized columns - \['colour'\]"):
        Parcel(district=1, colour="red")
    with all_districts(), pytest.raises(ValueError, match="name wasn't provided"):
        Strict(district=1)
    with all_districts():
        assert Strict(district=1, _ignore_missing=True).name is None


def test_rows_loaded_from_the_database_are_marked_so() -> None:
    row = Parcel(district=2, label="kept", _exists_in_db=True)
    assert row._exists_in_db is True and row.label == "kept" and row.district == 2
