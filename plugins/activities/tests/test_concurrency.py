"""Counts hold when residents press at once, on SQLite and PostgreSQL: places and the waitlist, votes within
their limits, coupons within stock, a coupon redeemed once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from newsplus import Conflict, district_scope, frozen_clock
from newsplus.testing import make_app, running
from newsplus.users.access import CurrentUser
from newsplus.users.accounts import create_department
from newsplus.users.auth import _create_resident
from newsplus_activities import activities, coupons, registrations, voting
from newsplus_activities.schemas import ActivityIn, BatchIn, CandidateIn, RegistrationIn, VoteIn
from newsplus_activities.tables import Activity, Candidate, Coupon, CouponBatch, Registration, Vote

T = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)


async def residents(n: int) -> list[CurrentUser]:
    people = []
    for i in range(n):
        row = await _create_resident(f"136{i:08d}")
        people.append(CurrentUser(id=row.id, kind="resident", display_name=row.display_name, phone=row.phone))
    return people


def activity(**fields) -> ActivityIn:
    return ActivityIn(
        slug=fields.pop("slug", "carnival"),
        title=fields.pop("title", "农业嘉年华"),
        starts_at=T + timedelta(days=5),
        ends_at=T + timedelta(days=5, hours=8),
        published=True,
        **fields,
    )


def outcome_names(results: list) -> list[str]:
    return sorted(type(r).__name__ if isinstance(r, Exception) else r.get("status", "ok") for r in results)


async def test_fifty_residents_at_once_fill_ten_places_and_the_rest_wait_in_order(newsplus_database_url) -> None:
    app = make_app(["activities"], database_url=newsplus_database_url)
    with frozen_clock(T):
        async with running(app) as newsplus:
            with district_scope(newsplus.districts.primary):
                await activities.save(activity(capacity=10), 0)
                people = await residents(50)
                results = await asyncio.gather(
                    *(registrations.register(newsplus, p, "carnival", RegistrationIn()) for p in people),
                    return_exceptions=True,
                )
                assert outcome_names(results).count("registered") == 10
                assert outcome_names(results).count("waitlisted") == 40
                assert (await Activity.select(Activity.taken).first())["taken"] == 10
                placed = [r for r in results if r["status"] == "registered"]
                waiting = sorted((r for r in results if r["status"] == "waitlisted"), key=lambda r: r["id"])
                owners = {p.id: p for p in people}
                cancelled = await asyncio.gather(
                    *(registrations.cancel(newsplus, owners[r["user"]], r["token"]) for r in placed[:3]),
                    return_exceptions=True,
                )
                assert outcome_names(cancelled) == ["cancelled"] * 3
                promoted = await Registration.select(Registration.id).where(Registration.status == "registered")
                assert {r["id"] for r in promoted} == {r["id"] for r in placed[3:]} | {r["id"] for r in waiting[:3]}
                assert (await Activity.select(Activity.taken).first())["taken"] == 10
                still_placed = owners[placed[-1]["user"]]
                twice = await asyncio.gather(
                    *(registrations.register(newsplus, still_placed, "carnival", RegistrationIn()) for _ in range(5)),
                    return_exceptions=True,
                )
                assert all(isinstance(r, Conflict) for r in twice)


async def test_votes_at_once_stop_at_the_daily_limit(newsplus_database_url) -> None:
    settings = {"plugins": {"activities": {"votes_per_minute": 1000}}}
    app = make_app(["activities"], database_url=newsplus_database_url, settings=settings)
    with frozen_clock(T):
        async with running(app) as newsplus:
            with district_scope(newsplus.districts.primary):
                await activities.save(
                    activity(slug="elders", title="爱老敬老评比", kind="contest", votes_per_day=3, votes_total=5), 0
                )
                contest = (await activities.by_slug("elders"))["id"]
                candidate = await voting.add_candidate(contest, CandidateIn(name="王奶奶"))
                [voter] = await residents(1)
                results = await asyncio.gather(
                    *(
                        voting.vote(newsplus, voter, "elders", VoteIn(candidate=candidate), f"10.0.0.{i}")
                        for i in range(20)
                    ),
                    return_exceptions=True,
                )
                assert sum(isinstance(r, dict) and r["counted"] for r in results) == 3
                assert sum(isinstance(r, Conflict) for r in results) == 17
                assert (await Candidate.select(Candidate.votes).first())["votes"] == 3
                assert await Vote.count() == 3


async def test_coupons_claimed_at_once_stay_within_stock_and_redeem_once(newsplus_database_url) -> None:
    app = make_app(["activities"], database_url=newsplus_database_url)
    with frozen_clock(T):
        async with running(app) as newsplus:
            with district_scope(newsplus.districts.primary):
                shop = await create_department("老北京涮肉", "merchant")
                batch = await coupons.add_batch(
                    BatchIn(
                        merchant=shop,
                        title="满100减20",
                        value=2000,
                        min_spend=10000,
                        stock=5,
                        valid_from=T,
                        valid_until=T + timedelta(days=7),
                    )
                )
                people = await residents(30)
                claims = await asyncio.gather(*(coupons.claim(p, batch) for p in people), return_exceptions=True)
                assert sum(isinstance(c, dict) for c in claims) == 5
                assert sum(isinstance(c, Conflict) for c in claims) == 25
                assert (await CouponBatch.select(CouponBatch.claimed).first())["claimed"] == 5
                assert await Coupon.count() == 5

                code = next(c for c in claims if isinstance(c, dict))["code"]
                clerks = [
                    CurrentUser(
                        id=people[i].id,
                        kind="staff",
                        display_name="店员",
                        department_permissions={shop: frozenset({"activities.redeem"})},
                    )
                    for i in range(10)
                ]
                redeemed = await asyncio.gather(*(coupons.redeem(c, code) for c in clerks), return_exceptions=True)
                assert sum(isinstance(r, dict) for r in redeemed) == 1
                assert sum(isinstance(r, Conflict) for r in redeemed) == 9
                assert await Coupon.count().where(Coupon.status == "redeemed") == 1
