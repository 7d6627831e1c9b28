"""Staff (and residents) acting on one 问政 inquiry at once move it once, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import msgspec
import pytest

from newsplus import district_scope
from newsplus.db import is_unique_violation
from newsplus.events.tables import EventRecord
from newsplus.testing import bearer, running, serving, sms_codes
from newsplus.users.accounts import create_department, create_staff
from newsplus.users.auth import _create_resident, load_user
from newsplus_wenzheng import inquiries, workflow
from newsplus_wenzheng.schemas import InquiryIn
from newsplus_wenzheng.tables import Inquiry

PASSWORD = "correct-horse-battery"
API = "/api/v1/wenzheng"


class Desk:
    """A district over real HTTP: three dispatchers, three handlers of one street, one of another, a resident."""

    def __init__(self, app, http: httpx.AsyncClient) -> None:
        self.app, self.http = app, http
        self.newsplus = app.state.newsplus

    async def open(self) -> Desk:
        with district_scope(self.newsplus.districts.primary):
            self.street = await create_department("天通苑北街道", "street")
            self.bureau = await create_department("区城市管理委", "bureau")
            self.other = await create_department("回龙观街道", "street")
            accounts = [(f"dispatcher{i}", ("dispatcher",), None) for i in range(3)]
            accounts += [(f"liaison{i}", ("department_handler",), self.street) for i in range(3)]
            for name, roles, department in accounts:
                await create_staff(self.newsplus, name, PASSWORD, roles=roles, department=department)
        self.dispatchers = [await self.staff(f"dispatcher{i}") for i in range(3)]
        self.liaisons = [await self.staff(f"liaison{i}") for i in range(3)]
        self.resident = await self.sign_in("13800138000")
        # Open the connections up front, so requests sent together reach the server together.
        await asyncio.gather(*(self.http.get("/healthz") for _ in range(6)))
        return self

    async def staff(self, username: str) -> dict[str, str]:
        answer = await self.http.post("/api/v1/auth/login/password", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return bearer(answer.json()["token"])

    async def sign_in(self, phone: str) -> dict[str, str]:
        assert (await self.http.post("/api/v1/auth/code", json={"phone": phone})).status_code == 202
        code = [c for p, c in sms_codes(self.app) if p == phone][-1]
        answer = await self.http.post("/api/v1/auth/login/code", json={"phone": phone, "code": code})
        assert answer.status_code == 200, answer.text
        return bearer(answer.json()["token"])

    async def write(self, title: str = "小区垃圾堆积什么时候清运？") -> str:
        body = {
            "kind": "complaint",
            "category": "sanitation",
            "title": title,
            "body": "天通苑北一区3号楼旁边的垃圾已经堆了一周，气味很大。",
            "street": self.street,
            "public": True,
        }
        made = await self.http.post(f"{API}/inquiries", json=body, headers=self.resident)
        assert made.status_code == 201, made.text
        return made.json()["token"]

    async def act(self, who: dict[str, str], token: str, action: str, **body) -> httpx.Response:
        return await self.http.post(f"{API}/inquiries/{token}/{action}", json=body, headers=who)

    async def at_once(self, *requests) -> list[int]:
        """Send the requests together; return their status codes in order."""
        return [r.status_code for r in await asyncio.gather(*requests)]

    async def view(self, token: str) -> dict:
        seen = await self.http.get(f"{API}/inquiries/{token}", headers=self.dispatchers[0])
        assert seen.status_code == 200, seen.text
        return seen.json()

    async def timeline(self, token: str) -> list[str]:
        return [s["action"] for s in (await self.view(token))["timeline"]]

    async def announced(self, token: str) -> list[str]:
        """The actions whose event went out for this inquiry (each one notifies someone)."""
        with district_scope(self.newsplus.districts.primary):
            rows = await EventRecord.select(EventRecord.payload).where(EventRecord.name == "wenzheng.inquiry_changed")
        payloads = [msgspec.json.decode(r["payload"]) for r in rows]
        return [p["action"] for p in payloads if p["token"] == token]


def one_winner(codes: list[int]) -> None:
    assert sorted(codes) == [200] + [409] * (len(codes) - 1), codes


async def test_dispatchers_accepting_and_dispatching_one_inquiry_at_once_move_it_once(newsplus_app) -> None:
    app = newsplus_app(["wenzheng"])
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
        desk = await Desk(app, http).open()
        token = await desk.write()

        one_winner(await desk.at_once(*(desk.act(d, token, "accept") for d in desk.dispatchers)))
        # Accepting and refusing at once: the inquiry is either taken in or not, never both.
        other = await desk.write("路灯不亮")
        codes = await desk.at_once(
            desk.act(desk.dispatchers[0], other, "accept"),
            desk.act(desk.dispatchers[1], other, "reject", note="不属于受理范围"),
        )
        one_winner(codes)
        assert (await desk.view(other))["status"] == ("accepted" if codes[0] == 200 else "rejected")
        assert len(await desk.timeline(other)) == 2

        # Three dispatchers send it to three departments at once: it goes to one, once.
        targets = [desk.street, desk.bureau, desk.other]
        codes = await desk.at_once(
            *(desk.act(d, token, "dispatch", department=t) for d, t in zip(desk.dispatchers, targets, strict=True))
        )
        one_winner(codes)
        seen = await desk.view(token)
        assert (seen["status"], seen["department_id"]) == ("dispatched", targets[codes.index(200)])
        assert await desk.timeline(token) == ["submit", "accept", "dispatch"]
        assert Counter(await desk.announced(token)) == Counter({"submit": 1, "accept": 1, "dispatch": 1})


async def test_handlers_signing_and_replying_to_one_inquiry_at_once_move_it_once(newsplus_app) -> None:
    app = newsplus_app(["wenzheng"])
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
        desk = await Desk(app, http).open()
        token = await desk.write()
        assert (await desk.act(desk.dispatchers[0], token, "accept")).status_code == 200
        assert (await desk.act(desk.dispatchers[0], token, "dispatch", department=desk.street)).status_code == 200

        one_winner(await desk.at_once(*(desk.act(h, token, "sign") for h in desk.liaisons)))
        notes = ["已清运六十车", "已协调外运车辆", "已恢复正常收运"]
        codes = await desk.at_once(
            *(desk.act(h, token, "reply", note=n) for h, n in zip(desk.liaisons, notes, strict=True))
        )
        one_winner(codes)
        seen = await desk.view(token)
        assert (seen["status"], seen["reply"]) == ("replied", notes[codes.index(200)])
        assert await desk.timeline(token) == ["submit", "accept", "dispatch", "sign", "reply"]
        assert Counter(await desk.announced(token))["reply"] == 1

        # One handler replies while another sends it back (退单): one of them, not both.
        second = await desk.write("楼道堆物")
        assert (await desk.act(desk.dispatchers[0], second, "accept")).status_code == 200
        assert (await desk.act(desk.dispatchers[0], second, "dispatch", department=desk.street)).status_code == 200
        assert (await desk.act(desk.liaisons[0], second, "sign")).status_code == 200
        codes = await desk.at_once(
            desk.act(desk.liaisons[1], second, "reply", note="已清理"),
            desk.act(desk.liaisons[2], second, "return", note="不属于本街道"),
        )
        # A reply that comes second finds the inquiry back with the dispatchers, no longer its department's
        # (403); while both are in flight on PostgreSQL it is 409.
        assert sorted(codes)[0] == 200 and sorted(codes)[1] in (403, 409), codes
        seen = await desk.view(second)
        assert seen["status"] == ("replied" if codes[0] == 200 else "accepted")
        assert (await desk.timeline(second))[-1] == ("reply" if codes[0] == 200 else "return")
        assert len(await desk.timeline(second)) == 5


async def test_a_rating_and_a_close_at_once_or_a_double_tapped_rating_settle_it_once(newsplus_app) -> None:
    app = newsplus_app(["wenzheng"])
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
        desk = await Desk(app, http).open()

        async def replied(title: str) -> str:
            token = await desk.write(title)
            for who, action, body in (
                (desk.dispatchers[0], "accept", {}),
                (desk.dispatchers[0], "dispatch", {"department": desk.street}),
                (desk.liaisons[0], "sign", {}),
                (desk.liaisons[0], "reply", {"note": "已处理"}),
            ):
                assert (await desk.act(who, token, action, **body)).status_code == 200
            return token

        # The resident rates while a dispatcher closes it: closed once.
        token = await replied("噪音扰民")
        rate = f"{API}/inquiries/{token}/rate"
        codes = await desk.at_once(
            http.post(rate, json={"rating": "satisfied"}, headers=desk.resident),
            desk.act(desk.dispatchers[0], token, "close"),
        )
        one_winner(codes)
        assert (await desk.view(token))["status"] == "closed"
        assert (await desk.timeline(token))[-1] == ("rate" if codes[0] == 200 else "close")
        assert len(await desk.timeline(token)) == 6

        # 不满意 tapped three times at once: sent back to the department once.
        token = await replied("供暖不热")
        rate = f"{API}/inquiries/{token}/rate"
        taps = [http.post(rate, json={"rating": "dissatisfied"}, headers=desk.resident) for _ in range(3)]
        one_winner(await desk.at_once(*taps))
        seen = await desk.view(token)
        assert (seen["status"], seen["reopened"]) == ("dispatched", 1)
        assert (await desk.timeline(token))[-2:] == ["rate", "reopen"]
        assert Counter(await desk.announced(token))["reopen"] == 1


async def test_two_inquiries_merged_into_each_other_at_once_leave_one_open(newsplus_app) -> None:
    async with running(newsplus_app(["wenzheng"])) as newsplus:
        with district_scope(newsplus.districts.primary):
            resident = await _create_resident("13800138000")
            writer = await load_user(newsplus, resident.id)
            ids = [await create_staff(newsplus, f"dispatcher{i}", PASSWORD, roles=("dispatcher",)) for i in range(2)]
            first_dispatcher, second_dispatcher = [await load_user(newsplus, i) for i in ids]
            for n in range(5):  # five pairs, each pair merged into each other by two dispatchers at once
                a, b = [await _write(newsplus, writer, f"垃圾堆积{n}{side}") for side in "甲乙"]
                outcomes = await asyncio.gather(
                    workflow.act(newsplus, first_dispatcher, a.token, "merge", into=b.token),
                    workflow.act(newsplus, second_dispatcher, b.token, "merge", into=a.token),
                    return_exceptions=True,
                )
                statuses = sorted(
                    r["status"] for r in await Inquiry.select(Inquiry.status).where(Inquiry.id.is_in([a.id, b.id]))
                )
                assert statuses == ["merged", "submitted"], (n, outcomes)
                assert sorted(type(o).__name__ for o in outcomes) in (["Conflict", "dict"], ["InvalidInput", "dict"])


async def _write(newsplus, writer, title: str) -> Inquiry:
    data = InquiryIn(kind="complaint", category="sanitation", title=title, body=f"{title}，已经一周了。")
    return await inquiries.submit(newsplus, writer, data)


async def test_a_taken_tracking_number_is_drawn_again_until_a_free_one_comes(newsplus_app, monkeypatch) -> None:
    """A busy day fills its million numbers (at 1,000 intakes a second, a tenth of them in under two
    minutes): an intake whose draws hit taken numbers again and again still gets a free one, inside the
    same writers' group as intakes around it, and only a run of draws longer than any real day gives up."""
    from newsplus import tracking

    draws: list[int] = []
    monkeypatch.setattr(tracking.secrets, "randbelow", lambda _: draws.pop(0))
    async with running(newsplus_app(["wenzheng"])) as newsplus:
        with district_scope(newsplus.districts.primary):
            writer = await load_user(newsplus, (await _create_resident("13800138000")).id)
            draws[:] = [7]
            taken = await _write(newsplus, writer, "第一件")
            draws[:] = [7] * 11 + [8, 9]
            again, beside = await asyncio.gather(_write(newsplus, writer, "第二件"), _write(newsplus, writer, "第三件"))
            assert {again.number[-6:], beside.number[-6:]} == {"000008", "000009"}
            draws[:] = [7] * tracking.ATTEMPTS
            with pytest.raises(Exception) as refused:  # a day with no free number left refuses (a 409)
                await _write(newsplus, writer, "第四件")
            assert is_unique_violation(refused.value)
            numbers = [row["number"] for row in await Inquiry.select(Inquiry.number).order_by(Inquiry.id)]
    assert numbers[0] == taken.number and sorted(numbers[1:]) == sorted([again.number, beside.number])
