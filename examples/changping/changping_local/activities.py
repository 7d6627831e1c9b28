"""Changping's three demo activities: the 农业嘉年华 (registration with a waitlist), the 昌平美食节 (sessions,
merchants and coupons) and the 爱老敬老评比 (public voting), with registrations, votes and coupons."""

from __future__ import annotations

import random
from datetime import timedelta

from newsplus import CurrentUser, FormField, Newsplus, now
from newsplus.users.accounts import create_staff
from newsplus.users.tables import User
from newsplus_activities import activities, coupons, registrations, voting
from newsplus_activities.schemas import ActivityIn, BatchIn, CandidateIn, RegistrationIn, SessionIn, VoteIn
from newsplus_activities.tables import Activity

MERCHANTS = ["老北京涮肉坊", "昌平苹果园", "十三陵农家菜"]
ELDERS = [
    ("王淑芬", "照顾瘫痪婆婆二十年，邻里称道。"),
    ("李德顺", "退休后组织社区老年合唱团。"),
    ("张桂兰", "每周为独居老人送饭上门。"),
    ("刘建华", "义务为社区老人理发十五年。"),
]


async def seed_activities(newsplus: Newsplus) -> list[str]:
    """Write the three activities once, with residents' registrations, votes and coupons."""
    if await Activity.exists().where(Activity.slug == "carnival"):
        return []
    start = now()
    day = timedelta(days=1)
    await activities.save(
        ActivityIn(
            slug="carnival",
            title="昌平农业嘉年华",
            kind="event",
            summary="草莓采摘、农业科技展，亲子同游",
            description="<p>第十届昌平农业嘉年华在兴寿镇举办，设草莓采摘、农业科技展馆和亲子农场。</p>",
            place="兴寿镇农业嘉年华园区",
            starts_at=start + 10 * day,
            ends_at=start + 10 * day + timedelta(hours=7),
            closes_at=start + 9 * day,
            cancel_until=start + 8 * day,
            capacity=30,
            per_user=4,
            form=[FormField(name="children", label="同行儿童人数", type="number", min=0, max=3)],
            published=True,
        ),
        0,
    )
    await activities.save(
        ActivityIn(
            slug="food-festival",
            title="昌平美食节",
            kind="festival",
            summary="百家商户齐聚，凭券满减",
            description="<p>美食节汇集本地老字号与农家菜，现场领取商户优惠券。</p>",
            place="昌平新城滨河森林公园",
            starts_at=start + 3 * day,
            ends_at=start + 5 * day,
            capacity=200,
            per_user=4,
            sessions=[
                SessionIn(
                    title="开幕式",
                    place="主舞台",
                    starts_at=start + 3 * day,
                    ends_at=start + 3 * day + timedelta(hours=1),
                ),
                SessionIn(
                    title="美食市集",
                    place="南门广场",
                    starts_at=start + 3 * day + timedelta(hours=2),
                    ends_at=start + 5 * day,
                ),
            ],
            published=True,
        ),
        0,
    )
    await activities.save(
        ActivityIn(
            slug="respect-elders",
            title="爱老敬老评比",
            kind="contest",
            summary="为身边的敬老模范投上一票",
            description="<p>评选本年度昌平区爱老敬老模范，每人每天可投 3 票。</p>",
            starts_at=start - 5 * day,
            ends_at=start + 20 * day,
            votes_per_day=3,
            votes_total=30,
            voting_closes_at=start + 20 * day,
            proposals=True,
            published=True,
        ),
        0,
    )
    contest = (await activities.by_slug("respect-elders"))["id"]
    candidates = [await voting.add_candidate(contest, CandidateIn(name=n, description=d)) for n, d in ELDERS]
    residents = [
        CurrentUser(id=r["id"], kind="resident", display_name=r["display_name"], phone=r["phone"])
        for r in await User.select(User.id, User.display_name, User.phone).where(User.kind == "resident").limit(40)
    ]
    rng = random.Random(2018)
    for person in residents[:32]:  # thirty places: the last two wait
        await registrations.register(newsplus, person, "carnival", RegistrationIn(seats=1, answers={"children": "1"}))
    for person in residents[:12]:
        await registrations.register(newsplus, person, "food-festival", RegistrationIn(seats=2))
    votes = 0
    for person in residents:
        for _ in range(rng.randint(1, 3)):
            await voting.vote(newsplus, person, "respect-elders", VoteIn(candidate=rng.choice(candidates)), "10.0.0.1")
            votes += 1
    claimed = 0
    for position, name in enumerate(MERCHANTS):
        merchant = await coupons.add_merchant(name)
        await create_staff(
            newsplus,
            f"shop{position + 1}",
            "changping-demo",
            display_name=f"{name}店员",
            roles=("merchant_clerk",),
            department=merchant,
        )
        batch = await coupons.add_batch(
            BatchIn(
                merchant=merchant,
                title="满100减20",
                value=2000,
                min_spend=10000,
                stock=100,
                valid_from=start,
                valid_until=start + 6 * day,
                activity="food-festival",
            )
        )
        for person in residents[position * 5 : position * 5 + 8]:
            await coupons.claim(person, batch)
            claimed += 1
    return [
        "Demo activities: 昌平农业嘉年华 (30 places, 2 waiting), 昌平美食节 (3 merchants, "
        f"{claimed} coupons; clerks shop1-shop3), 爱老敬老评比 ({votes} votes)."
    ]
