"""Changping's 问政 history for the demo: about 1,600 inquiries over eleven months from 2018-03-01, written in
bulk (each with its whole timeline), with handling times as a district sees them: most replied within a day or
two, some the same morning, a few late and escalated, most residents satisfied."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from newsplus import Newsplus
from newsplus.users.tables import Department, User
from newsplus_wenzheng.inquiries import calendar
from newsplus_wenzheng.tables import Inquiry, Step

START = datetime(2018, 3, 1, 0, 0, tzinfo=UTC)
DAYS = 336  # to the end of January 2019
PER_DAY = (3, 7)
TOPICS = {
    "sanitation": ["垃圾清运不及时", "小区垃圾堆积", "垃圾分类桶缺失", "道路清扫不到位"],
    "heating": ["暖气不热", "供暖延迟", "暖气漏水"],
    "traffic": ["早高峰拥堵", "建议增设公交线路", "非机动车道被占", "红绿灯时长不合理"],
    "property": ["电梯故障", "物业不作为", "楼道照明损坏", "停车管理混乱"],
    "noise": ["夜间施工噪音", "广场舞音量过大", "商铺噪音扰民"],
    "education": ["入学政策咨询", "幼儿园学位紧张", "课后托管咨询"],
    "health": ["社区医院开诊时间", "疫苗接种咨询", "家庭医生签约"],
    "social_security": ["社保转移咨询", "医保报销咨询", "灵活就业参保"],
    "planning": ["规划道路何时开通", "小区配套学校建设进度"],
}
KINDS = {"sanitation": "complaint", "noise": "complaint", "heating": "complaint", "property": "help"}
REPLY = "已协调相关单位处理完毕，感谢您的监督。"
RATINGS = ["satisfied"] * 6 + ["basically_satisfied"] * 3 + ["dissatisfied"]


def _hours(rng: random.Random) -> float:
    """Hours from dispatch to reply: a long-tailed spread (median about a day)."""
    return min(rng.lognormvariate(3.0, 0.9), 24 * 20)


def _token(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789") for _ in range(22))


async def seed_history(newsplus: Newsplus) -> list[str]:
    """Write the eleven months of inquiries once (after the departments exist)."""
    if await Inquiry.exists().where(Inquiry.number.like("2018%")):
        return []
    rng = random.Random(20180301)
    departments = {d["name"]: d["id"] for d in await Department.select(Department.id, Department.name)}
    streets = [departments[n] for n in ("天通苑北街道", "天通苑南街道", "回龙观街道", "霍营街道", "城北街道")]
    city = departments["区城市管理委"]
    owners = {"noise": city, "heating": city, "traffic": city, "planning": city}
    owners |= {"education": departments["区教委"], "health": departments["区卫健委"]}
    owners["social_security"] = departments["区人力社保局"]
    people = [
        User(kind="resident", phone=f"1370018{i:04d}", display_name=f"居民{i:04d}", created_at=START)
        for i in range(400)
    ]
    await User.insert(*people)
    residents = [r["id"] for r in await User.select(User.id).where(User.phone.like("1370018%"))]
    working = calendar(newsplus)
    inquiries: list[Inquiry] = []
    timelines: list[list[tuple[str, str, str, datetime, int | None, str]]] = []
    for day in range(DAYS):
        for seq in range(rng.randint(*PER_DAY)):
            category = rng.choice(list(TOPICS))
            street = rng.choice(streets)
            department = owners.get(category, street)  # 市容环卫 and 物业 go to the street office
            made = START + timedelta(days=day, hours=rng.uniform(0, 14))
            accepted = made + timedelta(hours=rng.uniform(0.5, 6))
            dispatched = accepted + timedelta(minutes=rng.randint(5, 90))
            replied = dispatched + timedelta(hours=_hours(rng))
            rating = rng.choice(RATINGS)
            closed = replied + timedelta(hours=rng.uniform(1, 48))
            due = working.deadline(accepted, 10 if category == "planning" else 2)
            title = rng.choice(TOPICS[category])
            number = f"{(made + timedelta(hours=8)):%Y%m%d}{seq:06d}"
            inquiries.append(
                Inquiry(
                    number=number,
                    token=_token(rng),
                    user=rng.choice(residents),
                    source="app",
                    kind=KINDS.get(category, "consult"),
                    category=category,
                    title=title,
                    body=f"{title}，希望有关部门尽快处理。",
                    street=street,
                    public=rng.random() < 0.7,
                    status="closed",
                    department=department,
                    response_due_at=working.deadline(made, 1),
                    handle_due_at=due,
                    accepted_at=accepted,
                    replied_at=replied,
                    closed_at=closed,
                    reply=REPLY,
                    rating=rating,
                    escalated_at=due if replied > due else None,
                    created_at=made,
                    updated_at=closed,
                )
            )
            timelines.append(
                [
                    ("submit", "", "submitted", made, None, ""),
                    ("accept", "submitted", "accepted", accepted, None, ""),
                    ("dispatch", "accepted", "dispatched", dispatched, department, ""),
                    ("sign", "dispatched", "signed", dispatched + timedelta(minutes=30), department, ""),
                    ("reply", "signed", "replied", replied, department, REPLY),
                    ("rate", "replied", "closed", closed, None, rating),
                ]
            )
    for start in range(0, len(inquiries), 500):
        await Inquiry.insert(*inquiries[start : start + 500])
    ids = {
        r["number"]: r["id"]
        for r in await Inquiry.select(Inquiry.id, Inquiry.number).where(Inquiry.number.like("201%"))
    }
    steps = [
        Step(inquiry=ids[row.number], action=a, from_status=f, to_status=t, created_at=at, department=d, note=n)
        for row, timeline in zip(inquiries, timelines, strict=True)
        for a, f, t, at, d, n in timeline
    ]
    for start in range(0, len(steps), 1000):
        await Step.insert(*steps[start : start + 1000])
    return [f"Demo 问政 history: {len(inquiries)} inquiries from 2018-03 to 2019-01, each with its timeline."]
