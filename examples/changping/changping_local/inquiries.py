"""Changping's demo 问政: routing rules, the rubbish-clearing story, and inquiries of recent weeks in every state."""

from __future__ import annotations

import random
from datetime import timedelta

from newsplus import CurrentUser, Newsplus, frozen_clock, now
from newsplus.users.tables import Department, User
from newsplus_wenzheng import workflow
from newsplus_wenzheng.inquiries import submit
from newsplus_wenzheng.schemas import InquiryIn
from newsplus_wenzheng.tables import Inquiry, ReplyTemplate, RoutingRule

ASKS = [
    ("sanitation", "complaint", "小区垃圾桶满了没人清", "楼下垃圾桶连续三天没有清运，气味很大。"),
    ("heating", "complaint", "暖气不热", "家里暖气片摸着是凉的，室温只有十五度。"),
    ("traffic", "suggestion", "建议增设公交站", "地铁站到小区步行二十分钟，建议增设一个公交站。"),
    ("property", "help", "电梯经常停运", "单元电梯这个月坏了三次，老人上下楼困难。"),
    ("noise", "complaint", "夜间施工噪音", "工地晚上十一点以后还在施工，影响休息。"),
    ("education", "consult", "幼儿园入园报名时间", "请问今年公办幼儿园什么时候报名？需要哪些材料？"),
    ("health", "consult", "社区医院能否打流感疫苗", "想问社区卫生服务中心能不能接种流感疫苗。"),
    ("social_security", "consult", "灵活就业社保怎么缴", "灵活就业人员在哪里办理社保缴费？"),
]
REPLIES = [
    "已安排清运，并增加了清运频次。",
    "已联系供热单位上门检修，目前室温已达标。",
    "已转交交通部门研究，纳入明年线网优化。",
    "已督促物业维修电梯，并约谈物业公司。",
    "已责令工地夜间停工，执法人员将夜间巡查。",
    "报名时间为每年五月，详见教委通知。",
    "社区卫生服务中心周一至周五可接种。",
    "可在街道社保所或线上办理，详见办事指南。",
]


async def seed_inquiries(newsplus: Newsplus) -> list[str]:
    """Write the demo inquiries once (after the departments and staff exist)."""
    if await Inquiry.exists().where(Inquiry.id > 0):
        return []
    departments = {d["name"]: d["id"] for d in await Department.select(Department.id, Department.name)}
    streets = [departments[n] for n in ("天通苑北街道", "天通苑南街道", "回龙观街道", "霍营街道", "城北街道")]
    for street in streets:
        await RoutingRule(category="sanitation", street=street, department=street).save()
        await RoutingRule(category="property", street=street, department=street).save()
    await RoutingRule(category="", street=None, department=departments["区城市管理委"]).save()
    await ReplyTemplate(title="已办结", body="您好，您反映的问题已经处理完毕，感谢您的监督。").save()
    staff = {u["username"]: u["id"] for u in await User.select(User.id, User.username).where(User.kind == "staff")}
    dispatcher = CurrentUser(
        id=staff["dispatcher"], kind="staff", display_name="派单员小赵", permissions=frozenset({"wenzheng.dispatch"})
    )
    rng = random.Random(2018)
    start = now()
    made = 0
    for day in range(60, -1, -1):
        for _ in range(rng.randint(0, 2) if day else 1):
            category, kind, title, body = (
                ASKS[rng.randrange(len(ASKS))]
                if day
                else (
                    "sanitation",
                    "complaint",
                    "小区垃圾堆积什么时候清运？",
                    "天通苑北一区的垃圾已经堆了一周，什么时候能清运？",
                )
            )
            street = streets[0] if not day else rng.choice(streets)
            phone = f"1390010{made:04d}"
            person = User(kind="resident", phone=phone, display_name=f"居民{phone[-4:]}", created_at=now())
            await person.save()
            resident = CurrentUser(id=person.id, kind="resident", display_name=person.display_name, phone=phone)
            moment = start - timedelta(days=day, hours=rng.randint(1, 10))
            with frozen_clock(moment) as clock:
                row = await submit(
                    newsplus,
                    resident,
                    InquiryIn(
                        kind=kind,
                        category=category,
                        title=title,
                        body=body,
                        street=street,
                        address="",
                        public=rng.random() < 0.7,
                        contact_phone=phone,
                    ),
                )
                made += 1
                if day and day < 2:
                    continue  # the newest wait for the dispatcher
                await workflow.act(
                    newsplus, dispatcher, row.token, "accept", days=10 if category == "planning" else None
                )
                clock.advance(hours=1)
                handled = await workflow.act(newsplus, dispatcher, row.token, "dispatch")
                handler = CurrentUser(
                    id=0,
                    kind="staff",
                    display_name="办理人",
                    department_permissions={handled["department"]: frozenset({"wenzheng.handle"})},
                )
                clock.advance(hours=rng.randint(1, 5))
                await workflow.act(newsplus, handler, row.token, "sign", system=True)
                if day and day < 5:
                    continue
                clock.advance(hours=rng.randint(2, 40) if day else 6)
                reply = (
                    "经协调，六小时内清运垃圾六十车，已恢复正常收运。"
                    if not day
                    else REPLIES[ASKS.index((category, kind, title, body))]
                )
                await workflow.act(newsplus, handler, row.token, "reply", note=reply, system=True)
                clock.advance(hours=3)
                verdict = (
                    "satisfied"
                    if not day
                    else rng.choice(["satisfied", "satisfied", "basically_satisfied", "dissatisfied"])
                )
                await workflow.rate(newsplus, resident, row.token, verdict)
    return [f"Demo 问政: {made} inquiries over the last 60 days, with the rubbish-clearing story in 天通苑北街道."]
