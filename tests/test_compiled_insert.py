"""Inserts whose SQL is made once per table and shape store exactly what piccolo's own inserts store, and
inside a write they number their rows and fail alone as piccolo's do."""

from __future__ import annotations

import pytest

from newsplus import db
from newsplus.districts.scope import district_scope
from newsplus.testing import make_app, running
from newsplus.users.tables import Department, User


def rows_of(found: list[dict]) -> list[tuple]:
    return [(r["name"], r["kind"], r["parent"], r["code"], r["position"]) for r in found]


async def test_rows_written_by_the_compiled_insert_read_back_as_given(newsplus_database_url: str) -> None:
    async with running(make_app(database_url=newsplus_database_url)) as newsplus:
        with district_scope(newsplus.districts.primary):
            bureau = Department(name="区城管委", kind="bureau", code="cg", position=2)
            assert Department.insert(bureau).querystrings[0]._frozen_compiled_strings is not None  # the fast way
            await bureau.save()
            assert bureau.id and bureau._exists_in_db

            # Several rows in one statement, one pointing at a row object, the others at nothing.
            streets = [Department(name=f"街道{n}", kind="street", parent=bureau, position=n) for n in range(3)]
            returned = await Department.insert(*streets)
            assert [r["id"] for r in returned] == [s.id for s in streets]
            assert len({s.id for s in streets}) == 3

            # An id given outright takes piccolo's own way and is kept.
            chosen = Department(id=bureau.id + 1000, name="社区", kind="community", parent=streets[0].id)
            assert Department.insert(chosen).querystrings[0]._frozen_compiled_strings is None
            await chosen.save()

            found = await Department.select().order_by(Department.id)
    assert rows_of(found) == [
        ("区城管委", "bureau", None, "cg", 2),
        ("街道0", "street", bureau.id, "", 0),
        ("街道1", "street", bureau.id, "", 1),
        ("街道2", "street", bureau.id, "", 2),
        ("社区", "community", streets[0].id, "", 0),
    ]
    assert found[-1]["id"] == bureau.id + 1000


async def test_the_same_shape_is_written_once_and_reused(newsplus_database_url: str) -> None:
    async with running(make_app(database_url=newsplus_database_url)) as newsplus:
        with district_scope(newsplus.districts.primary):
            first = Department.insert(Department(name="甲")).querystrings[0].compile_string()
            second = Department.insert(Department(name="乙")).querystrings[0].compile_string()
            pair = Department.insert(Department(name="丙"), Department(name="丁")).querystrings[0].compile_string()
    assert first[0] is second[0]  # the very same text, not made again
    assert first[1][1] == "甲" and second[1][1] == "乙"
    assert pair[0] != first[0] and pair[1][1 :: len(first[1])] == ["丙", "丁"]


async def test_inserts_inside_a_write_number_their_rows_and_fail_alone(newsplus_database_url: str) -> None:
    """Inside a transaction, an insert goes straight to the transaction's connection and numbers its rows as
    piccolo does; one that breaks a unique rule fails with the engine's error and takes none of the others."""
    async with running(make_app(database_url=newsplus_database_url)) as newsplus:
        engine = Department._meta.db
        composed: list[str] = []
        run_querystring = engine.run_querystring

        async def counted(querystring, *args, **kwargs):
            composed.append(str(querystring))
            return await run_querystring(querystring, *args, **kwargs)

        engine.run_querystring = counted
        try:
            with district_scope(newsplus.districts.primary):
                async with db.transaction():
                    bureau = Department(name="区民政局", kind="bureau", code="mz")
                    await bureau.save()
                    streets = [Department(name=f"街道{n}", kind="street", parent=bureau.id) for n in range(2)]
                    returned = await Department.insert(*streets).returning(Department.id)
                    await Department.insert(Department(name="不要编号"))
                with pytest.raises(Exception) as broken:
                    async with db.transaction():
                        await User.insert(User(kind="resident", username="taken-1"))
                        await User.insert(User(kind="resident", username="taken-1"))
                assert db.is_unique_violation(broken.value)
                found = await Department.select(Department.id, Department.name, Department.parent).order_by(
                    Department.id
                )
                users = await User.count().where(User.username == "taken-1")
        finally:
            engine.run_querystring = run_querystring
    assert bureau.id and bureau._exists_in_db
    assert [r["id"] for r in returned] == [s.id for s in streets] and all(s._exists_in_db for s in streets)
    assert [(r["name"], r["parent"]) for r in found if r["name"] != "不要编号"][-3:] == [
        ("区民政局", None),
        ("街道0", bureau.id),
        ("街道1", bureau.id),
    ]
    assert any(r["name"] == "不要编号" for r in found)
    assert users == 0  # the failed transaction kept neither row
    assert not any(q.startswith("INSERT") for q in composed)  # none went through piccolo's query pipeline
