"""Attacks and accidents the foundation must hold against: guessing races, cross-district rows, bad ids."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap

import pytest
from litestar.testing import TestClient

from newsplus.db import transaction
from newsplus.districts.scope import DistrictScopeError, district_scope
from newsplus.errors import NotFound, RateLimited, Unauthenticated
from newsplus.testing import bearer, call, http_scope, login_staff, make_app, running, sms_codes
from newsplus.users import accounts, auth
from newsplus.users.tables import Department, Grant, User, VerificationCode

PHONE = "13800138000"
TWO_DISTRICTS = {
    "site": {"district": "changping", "district_name": "昌平区"},
    "districts": [{"slug": "yanqing", "name": "延庆区", "hosts": ["yanqing.example"]}],
}


async def test_guesses_sent_at_once_still_count_one_by_one(newsplus_app) -> None:
    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            await auth.send_login_code(newsplus, PHONE)
            code = sms_codes_of(newsplus)[-1]
            wrong = "000000" if code != "000000" else "111111"
            results = await asyncio.gather(
                *(auth.login_with_code(newsplus, PHONE, wrong) for _ in range(20)), return_exceptions=True
            )
            assert sum(isinstance(r, Unauthenticated) for r in results) == auth.MAX_GUESSES
            assert sum(isinstance(r, RateLimited) for r in results) == 20 - auth.MAX_GUESSES
            with pytest.raises(RateLimited):  # the right code is too late now
                await auth.login_with_code(newsplus, PHONE, code)
            [row] = await VerificationCode.select(VerificationCode.attempts)
            assert row["attempts"] == auth.MAX_GUESSES


async def test_one_code_opens_one_session_however_fast_it_is_replayed(newsplus_app) -> None:
    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            await auth.send_login_code(newsplus, PHONE)
            code = sms_codes_of(newsplus)[-1]
            results = await asyncio.gather(
                *(auth.login_with_code(newsplus, PHONE, code) for _ in range(5)), return_exceptions=True
            )
            assert sum(isinstance(r, tuple) for r in results) == 1


async def test_codes_requested_at_once_send_one_sms(newsplus_app) -> None:
    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            results = await asyncio.gather(
                *(auth.send_login_code(newsplus, PHONE, address=f"10.0.0.{i}") for i in range(10)),
                return_exceptions=True,
            )
        assert sum(r == 300 for r in results) == 1
        assert len(sms_codes_of(newsplus)) == 1


def sms_codes_of(newsplus) -> list[str]:
    return [m.body.split("验证码 ")[1][:6] for c in newsplus.channels for m in getattr(c, "sent", ())]


def test_staff_cannot_sign_in_with_a_code_sent_to_their_phone(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        login_staff(client, "boss")

        async def give_phone() -> None:
            await User.update({User.phone: PHONE}).where(User.username == "boss")

        call(client, give_phone)
        assert client.post("/api/v1/auth/code", json={"phone": PHONE}).status_code == 202
        code = sms_codes(client.app)[-1][1]
        refused = client.post(
            "/api/v1/auth/login/code", json={"phone": PHONE, "code": code}, headers={"Accept-Language": "en"}
        )
        assert refused.status_code == 401
        assert refused.json()["detail"].startswith("This number belongs to a staff account")


async def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out(newsplus_app) -> None:
    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            await accounts.create_staff(newsplus, "wang", "correct-horse-battery", roles=("editor",))
            for _ in range(10):
                with pytest.raises(Unauthenticated):
                    await auth.login_with_password(newsplus, "wang", "guess", address="203.0.113.9")
            with pytest.raises(RateLimited):
                await auth.login_with_password(newsplus, "wang", "guess", address="203.0.113.9")
            token, _ = await auth.login_with_password(newsplus, "wang", "correct-horse-battery", address="198.51.100.7")
            assert token


# -- district walls --------------------------------------------------------------------------------------


async def test_rows_and_references_cannot_cross_districts(newsplus_app) -> None:
    async with running(newsplus_app(settings=TWO_DISTRICTS)) as newsplus:
        changping, yanqing = newsplus.districts.by_slug["changping"], newsplus.districts.by_slug["yanqing"]
        with district_scope(yanqing):
            yanqing_department = await accounts.create_department("延庆区城管委")
        with district_scope(changping):
            with pytest.raises(DistrictScopeError, match="another district"):
                Department(name="x", district=yanqing.id)
            with pytest.raises(DistrictScopeError, match="cannot be changed"):
                await Department.update().values({Department.district: yanqing.id}).where(Department.id == 1)
            with pytest.raises(NotFound):
                await accounts.create_staff(
                    newsplus, "spy", "correct-horse-battery", roles=("editor",), department=yanqing_department
                )
            assert await User.count().where(User.username == "spy") == 0
            staff_id = await accounts.create_staff(newsplus, "local", "correct-horse-battery")
            with pytest.raises(DistrictScopeError, match="points at no Department here"):
                await Grant.insert(Grant(user=staff_id, role="editor", department=yanqing_department))
            # save() of a loaded row keeps working: the district it repeats is its own.
            mine = Department(name="区城市管理委")
            await mine.save()
            mine.name = "区城市管理委员会"
            await mine.save()
            assert await Department.select(Department.name).where(Department.id == mine.id) == [
                {"name": "区城市管理委员会"}
            ]
        with district_scope(yanqing):
            made_in_yanqing = Grant(user=1, role="editor")
        with district_scope(changping), pytest.raises(DistrictScopeError, match="of another district"):
            await Grant.insert(made_in_yanqing)


async def test_a_transaction_remembers_its_rows_only_within_their_district(newsplus_app) -> None:
    """A row written in one district's scope is not taken as checked when another district's row points at it,
    even inside the same transaction; a row of the same district needs no second look."""
    async with running(newsplus_app(settings=TWO_DISTRICTS)) as newsplus:
        changping, yanqing = newsplus.districts.by_slug["changping"], newsplus.districts.by_slug["yanqing"]
        with district_scope(changping):
            staff_id = await accounts.create_staff(newsplus, "local2", "correct-horse-battery")
        with pytest.raises(DistrictScopeError, match="points at no Department here"):
            async with transaction():
                with district_scope(changping):
                    department = Department(name="区城管委")
                    await department.save()
                    await Grant.insert(Grant(user=staff_id, role="editor", department=department.id))
                with district_scope(yanqing):
                    await Department.insert(Department(name="延庆区城管委", parent=department.id))
        with district_scope(changping):
            assert not await Department.exists().where(Department.name == "区城管委")  # rolled back


async def test_the_signed_in_user_is_taken_as_checked_only_in_their_own_district(newsplus_app, monkeypatch) -> None:
    """The session lookup finds the user in the request's district, so the request's new rows point at them with
    no look of their own; a row of another district pointing at them is still refused."""
    async with running(newsplus_app(settings=TWO_DISTRICTS)) as newsplus:
        changping, yanqing = newsplus.districts.by_slug["changping"], newsplus.districts.by_slug["yanqing"]
        with district_scope(changping):
            staff_id = await accounts.create_staff(newsplus, "local3", "correct-horse-battery")
            token, _ = await auth.login_with_password(
                newsplus, "local3", "correct-horse-battery", address="198.51.100.7"
            )
        looks: list[str] = []
        raw = Grant.raw.__func__
        monkeypatch.setattr(
            Grant, "raw", classmethod(lambda cls, sql, *args: looks.append(sql) or raw(cls, sql, *args))
        )
        with district_scope(changping):
            assert (await auth.load_current_user(newsplus, token)).id == staff_id
            await Grant.insert(Grant(user=staff_id, role="editor"))
        assert not [sql for sql in looks if "users_user" in sql]
        with district_scope(yanqing), pytest.raises(DistrictScopeError, match="points at no User here"):
            await Grant.insert(Grant(user=staff_id, role="editor"))
        assert [sql for sql in looks if "users_user" in sql]  # looked, and found no such user in Yanqing


# -- bad input never reaches a 500 -----------------------------------------------------------------------


def test_ids_out_of_range_and_odd_digits_are_4xx(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        headers = bearer(admin)
        for response in (
            client.delete("/api/v1/me/sessions/3000000000", headers=headers),
            client.delete(f"/api/v1/me/sessions/{10**30}", headers=headers),
            client.patch("/api/v1/me", json={"street": 3000000000}, headers=headers),
            client.post("/api/v1/departments", json={"name": "x", "parent": 3000000000}, headers=headers),
            client.post(
                "/api/v1/users", json={"username": "u", "password": "long-enough-pw", "department": 99}, headers=headers
            ),
            client.post("/api/v1/auth/login/password", json={"username": "a\x00b", "password": "x"}),
        ):
            assert 400 <= response.status_code < 500, (response.request.url, response.text)
        client.cookies["newsplus_session"] = admin
        client.get("/desk/departments")
        for value in ("²", "9" * 5000, "-1"):
            page = client.post(
                "/desk/departments",
                data={"name": "x", "parent": value, "_csrf_token": client.cookies["newsplus_csrf"]},
                headers={"accept": "text/html"},
            )
            assert page.status_code == 400, value


def test_workers_starting_together_migrate_once(tmp_path, newsplus_database_url: str) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio
        from newsplus.testing import make_settings
        from newsplus.runtime import Newsplus

        async def main():
            newsplus = Newsplus(make_settings({newsplus_database_url!r}))
            await newsplus.start()
            await newsplus.stop()

        asyncio.run(main())
        """
    )
    processes = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1].decode() for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], errors

    async def districts() -> int:
        async with running(make_app(database_url=newsplus_database_url)) as newsplus:
            return len(newsplus.districts.by_slug)

    assert asyncio.run(districts()) == 1


async def test_a_client_that_leaves_mid_request_is_noted_not_logged_as_our_failure(newsplus_app, caplog) -> None:
    """A phone that loses its signal while sending a request body: no 500 traceback in the error log, one note."""
    app = newsplus_app()
    sent: list[dict] = []
    parts = [
        {"type": "http.request", "body": b'{"phone": "1380013', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict:
        return parts.pop(0) if parts else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    headers = {"Host": "testserver", "Content-Type": "application/json", "Content-Length": "40"}
    scope = http_scope("POST", "/api/v1/auth/code", headers)
    caplog.set_level(logging.INFO, logger="newsplus.errors")
    async with running(app):
        await app(scope, receive, send)
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [400]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("client left before sending all of POST /api/v1/auth/code" in r.getMessage() for r in caplog.records)
