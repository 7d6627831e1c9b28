"""Changping's demo government information: notices of every level from several departments, taken through
review, a policy interpretation, the 社保 topic pinned on the home page and a pop-up for 天通苑北街道."""

from __future__ import annotations

from datetime import timedelta

from newsplus import CurrentUser, Newsplus, frozen_clock, now
from newsplus.notifications.tables import Popup
from newsplus.users.tables import Department, User
from newsplus_govinfo import notices, outreach
from newsplus_govinfo.schemas import NoticeIn, PinIn, PopupIn
from newsplus_govinfo.tables import Notice

NOTICES = [
    ("区人力社保局", "district", "社保", "关于2027年度社会保险缴费基数调整的通知", "昌人社发〔2026〕12号", 2),
    ("区人力社保局", "city", "社保", "北京市城乡居民养老保险缴费标准公布", "京人社发〔2026〕30号", 9),
    ("区人力社保局", "central", "就业", "关于做好高校毕业生等青年就业创业工作的通知", "人社部发〔2026〕5号", 20),
    ("区人力社保局", "district", "就业", "昌平区2026年冬季招聘会安排", "", 4),
    ("区卫健委", "district", "医疗", "社区卫生服务中心冬季门诊时间调整公告", "", 1),
    ("区卫健委", "city", "医疗", "北京市流感疫苗接种工作方案", "京卫疾控〔2026〕18号", 12),
    ("区教委", "district", "教育", "2027年昌平区义务教育阶段入学工作意见", "昌教发〔2026〕7号", 6),
    ("区民政局", "district", "养老", "关于开展养老驿站助餐服务的通知", "昌民发〔2026〕9号", 15),
    ("天通苑北街道", "street", "住房", "天通苑北街道老旧小区综合整治施工公告", "", 3),
    ("回龙观街道", "street", "交通", "回龙观地区部分道路交通管制公告", "", 5),
]


async def seed_govinfo(newsplus: Newsplus) -> list[str]:
    """Write the demo notices once (after the departments and staff exist)."""
    if await Notice.exists().where(Notice.id > 0):
        return []
    staff = {u["username"]: u["id"] for u in await User.select(User.id, User.username).where(User.kind == "staff")}
    departments = {d["name"]: d["id"] for d in await Department.select(Department.id, Department.name)}
    everywhere = {"govinfo.publish", "govinfo.review", "govinfo.manage"}
    editor = CurrentUser(
        id=staff["zhengwu"],
        kind="staff",
        display_name="政务信息审核员",
        permissions=frozenset(everywhere),
        roles=frozenset({"govinfo_editor"}),
        district_roles=frozenset({"govinfo_editor"}),
    )
    writer = CurrentUser(
        id=staff["renshe"], kind="staff", display_name="人力社保局信息员", permissions=frozenset({"govinfo.publish"})
    )
    start = now()
    ids: list[int] = []
    for department, level, category, title, doc_number, days_ago in NOTICES:
        data = NoticeIn(
            title=title,
            level=level,
            category=category,
            department=departments[department],
            doc_number=doc_number,
            summary=f"{title}。详见正文。",
            body=f"<p>{title}，现将有关事项通知如下。</p><p>一、工作目标。二、主要任务。三、保障措施。</p>",
            effective_on=(start - timedelta(days=days_ago)).date(),
        )
        with frozen_clock(start - timedelta(days=days_ago, hours=3)) as clock:
            article = await notices.create(newsplus, writer, data)
            await notices.submit(newsplus, writer, article)
            clock.advance(hours=2)
            await notices.decide(newsplus, editor, article, "approve")
        ids.append(article)
    explained = NoticeIn(
        title="图解：2027年度社保缴费基数怎么调",
        level="district",
        category="社保",
        department=departments["区人力社保局"],
        kind="interpretation",
        explains=[ids[0]],
        body="<p>一图看懂缴费基数上下限调整。</p>",
    )
    article = await notices.create(newsplus, writer, explained)
    await notices.submit(newsplus, writer, article)
    await notices.decide(newsplus, editor, article, "approve")
    await outreach.pin_topic(newsplus, editor, "社保", PinIn(starts_at=start, ends_at=start + timedelta(days=7)))
    if not await Popup.exists().where(Popup.id > 0):
        await outreach.pop_up(
            newsplus,
            editor,
            ids[8],
            PopupIn(starts_at=start, ends_at=start + timedelta(days=3), streets=[departments["天通苑北街道"]]),
        )
    return [
        f"Demo 政务: {len(ids) + 1} notices from {len({n[0] for n in NOTICES})} departments, the 社保 topic pinned."
    ]
