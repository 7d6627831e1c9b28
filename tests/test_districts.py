"""Two districts on one deployment: neither sees, changes nor counts the other's rows."""

from __future__ import annotations

import asyncpg
import pytest
from litestar.testing import TestClient

from newsplus.districts.scope import DistrictScopeError, all_districts, district_scope
from newsplus.testing import bearer, call, login_resident, login_staff
from newsplus.users.tables import Department, User
from notes_plugin import plugin as notes
from notes_plugin.tables import Note

YANQING = "yanqing.example"
TWO_DISTRICTS = {
    "site": {"name": "北京融媒", "district": "changping", "district_name": "昌平区"},
    "districts": [{"slug": "yanqing", "name": "延庆区", "hosts": [YANQING]}],
}


def in_yanqing(headers: dict[str, str] | None = None) -> dict[str, str]:
    return {**(headers or {}), "host": YANQING}


def test_each_host_resolves_to_its_district(newsplus_app) -> None:
    app = newsplus_app(settings=TWO_DISTRICTS)
    with TestClient(app) as client:
        assert "昌平区" in client.get("/").text
        assert "延庆区" in client.get("/", headers=in_yanqing()).text
        assert "延庆区" in client.get("/", headers={"host": "yanqing.localhost:8000"}).text
        assert "昌平区" in client.get("/", headers={"host": "unknown.example"}).text


def test_a_single_district_answers_on_every_host(newsplus_app) -> None:
    app = newsplus_app(settings={"site": {"district": "changping", "district_name": "昌平区"}})
    with TestClient(app) as client:
        for host in ("127.0.0.1:8000", "news.changping.example", "anything.localhost"):
            assert "昌平区" in client.get("/", headers={"host": host}).text


def test_same_phone_is_a_different_resident_in_each_district(newsplus_app) -> None:
    from datetime import timedelta

    from newsplus.clock import frozen_clock, now
    from newsplus.testing import sms_codes

    app = newsplus_app(settings=TWO_DISTRICTS)
    with TestClient(app) as client:
        changping = login_resident(client, "13800000001")
        # The one-code-a-minute throttle holds across the deployment: no district multiplies it.
        too_soon = client.post("/api/v1/auth/code", json={"phone": "13800000001"}, headers=in_yanqing())
        assert too_soon.status_code == 429
        with frozen_clock(now() + timedelta(seconds=61)):
            sent = client.post("/api/v1/auth/code", json={"phone": "13800000001"}, headers=in_yanqing())
            assert sent.status_code == 202
            code = sms_codes(app)[-1][1]
            yanqing = client.post(
                "/api/v1/auth/login/code", json={"phone": "13800000001", "code": code}, headers=in_yanqing()
            ).json()["token"]
            me_changping = client.get("/api/v1/me", headers=bearer(changping)).json()
            me_yanqing = client.get("/api/v1/me", headers=in_yanqing(bearer(yanqing))).json()
            assert me_changping["id"] != me_yanqing["id"]
            # A token from one district means nothing in the other.
            assert client.get("/api/v1/me", headers=in_yanqing(bearer(changping))).status_code == 401
            assert client.get("/api/v1/me", headers=bearer(yanqing)).status_code == 401


def test_api_lists_and_writes_stay_in_their_district(newsplus_app) -> None:
    app = newsplus_app([notes], settings=TWO_DISTRICTS)
    with TestClient(app) as client:
        admin = login_staff(client, "admin")
        created = client.post("/api/v1/departments", json={"name": "区城市管理委"}, headers=bearer(admin))
        assert created.status_code == 201
        note = client.post("/api/v1/notes", json={"body": "昌平的笔记"}, headers=bearer(admin))
        assert note.status_code == 201
        assert [d["name"] for d in client.get("/api/v1/departments").json()] == ["区城市管理委"]
        assert client.get("/api/v1/departments", headers=in_yanqing()).json() == []
        assert client.get("/api/v1/notes", headers=in_yanqing()).json() == []
        # The changping admin's token is not valid in yanqing: no writes there either.
        denied = client.post("/api/v1/departments", json={"name": "x"}, headers=in_yanqing(bearer(admin)))
        assert denied.status_code == 401


def _seed_two_districts(client: TestClient) -> tuple[int, int, int]:
    """One note in each district; return (changping id, yanqing id, yanqing's note id)."""
    newsplus = client.app.state.newsplus
    changping, yanqing = newsplus.districts.by_slug["changping"], newsplus.districts.by_slug["yanqing"]

    async def seed() -> int:
        from datetime import UTC, datetime

        with district_scope(changping):
            await Note.insert(Note(body="昌平", created_at=datetime.now(UTC)))
        with district_scope(yanqing):
            note = Note(body="延庆", created_at=datetime.now(UTC))
            await note.save()
            return note.id

    return changping.id, yanqing.id, client.blocking_portal.call(seed)


def test_scoped_queries_never_touch_another_districts_rows(newsplus_app) -> None:
    app = newsplus_app([notes], settings=TWO_DISTRICTS)
    with TestClient(app) as client:
        _, _, yanqing_note = _seed_two_districts(client)

        async def from_changping() -> dict:
            return {
                "count": await Note.count(),
                "by_id": await Note.select().where(Note.id == yanqing_note),
                "exists": await Note.exists().where(Note.id == yanqing_note),
                "object": await Note.objects().get(Note.id == yanqing_note),
                "updated": await Note.update({Note.body: "改了"}).where(Note.id == yanqing_note).returning(Note.id),
                "deleted": await Note.delete().where(Note.id == yanqing_note).returning(Note.id),
            }

        seen = call(client, from_changping)
        assert seen == {"count": 1, "by_id": [], "exists": False, "object": None, "updated": [], "deleted": []}

        async def everywhere() -> list[str]:
            with all_districts():
                return sorted(r["body"] for r in await Note.select(Note.body))

        assert call(client, everywhere) == ["延庆", "昌平"]


def test_queries_outside_any_district_fail_loudly(newsplus_app) -> None:
    app = newsplus_app()
    with TestClient(app) as client:

        async def unscoped() -> None:
            await User.count()

        with pytest.raises(DistrictScopeError, match="no district in scope"):
            client.blocking_portal.call(unscoped)

        async def move_row() -> None:
            await User.update({User.district: 2}).where(User.id == 1)

        with pytest.raises(DistrictScopeError, match="cannot be changed"):
            call(client, move_row)

        async def wipe() -> None:
            await Department.delete()

        from piccolo.query.methods.delete import DeletionError

        with pytest.raises(DeletionError, match="district's Department rows"):
            call(client, wipe)


def test_row_level_security_is_a_second_wall_on_postgres(newsplus_app, newsplus_database_url: str) -> None:
    if not newsplus_database_url.startswith("postgresql"):
        pytest.skip("row-level security is a PostgreSQL feature")
    app = newsplus_app([notes], settings=TWO_DISTRICTS)
    with TestClient(app) as client:
        changping_id, yanqing_id, _ = _seed_two_districts(client)
        schema = newsplus_database_url.rsplit("search_path=", 1)[1]

        async def as_ordinary_role() -> dict:
            from newsplus.districts.rls import pool_options

            admin = await asyncpg.connect(newsplus_database_url)
            role = "newsplus_rls_probe"
            await admin.execute(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
                f"THEN CREATE ROLE {role} LOGIN; END IF; END $$"
            )
            await admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
            await admin.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO {role}')
            await admin.execute(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO {role}')
            await admin.close()
            url = newsplus_database_url.replace("postgres@", f"{role}@")
            # One connection, as newsplus pools it: each scope below reuses it after another district.
            pool = await asyncpg.create_pool(url, min_size=1, max_size=1, **pool_options())
            newsplus = client.app.state.newsplus
            try:
                result = {}
                # Raw SQL with no district filter at all: the policy alone limits what is seen.
                with district_scope(newsplus.districts.by_slug["changping"]):
                    async with pool.acquire() as conn:
                        result["changping"] = await conn.fetchval("SELECT string_agg(body, ',') FROM notes_note")
                        try:
                            await conn.execute(
                                "INSERT INTO notes_note (district, body, created_at) VALUES ($1, 'x', now())",
                                yanqing_id,
                            )
                            result["insert_other"] = "accepted"
                        except asyncpg.exceptions.InsufficientPrivilegeError as exc:
                            result["insert_other"] = type(exc).__name__
                with district_scope(newsplus.districts.by_slug["yanqing"]):
                    async with pool.acquire() as conn:
                        result["yanqing"] = await conn.fetchval("SELECT string_agg(body, ',') FROM notes_note")
                with all_districts():
                    async with pool.acquire() as conn:
                        result["all"] = await conn.fetchval("SELECT count(*) FROM notes_note")
                told: list[str] = []  # what the pooled connection sends from here on
                async with pool.acquire() as conn:  # outside any scope: the wall is closed
                    conn.add_query_logger(lambda record: told.append(record.query))
                    result["unscoped"] = await conn.fetchval("SELECT count(*) FROM notes_note")
                with district_scope(newsplus.districts.by_slug["changping"]):
                    for _ in range(3):  # the district travels only when it changes: once for three queries
                        async with pool.acquire() as conn:
                            result["changping_again"] = await conn.fetchval(
                                "SELECT string_agg(body, ',') FROM notes_note"
                            )
                result["told"] = sum("set_config" in query for query in told)
                bare = await asyncpg.connect(url)  # a connection that never says its district
                result["bare"] = await bare.fetchval("SELECT count(*) FROM notes_note")
                await bare.close()
                return result
            finally:
                await pool.close()

        seen = client.blocking_portal.call(as_ordinary_role)
        assert seen == {
            "changping": "昌平",
            "yanqing": "延庆",
            "all": 2,
            "unscoped": 0,
            "changping_again": "昌平",
            "told": 1,
            "bare": 0,
            "insert_other": "InsufficientPrivilegeError",
        }
        assert changping_id != yanqing_id
