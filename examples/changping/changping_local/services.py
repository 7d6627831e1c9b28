"""Changping's demo life services: applications at every step of their course and the coming days' bookings."""

from __future__ import annotations

import random
from datetime import timedelta

from newsplus import CurrentUser, Newsplus, frozen_clock, now
from newsplus.users.tables import Department, User
from newsplus_services import applications, bookings, registry
from newsplus_services.tables import Application

PEOPLE = [
    ("王秀英", "11010519491231002X", "天通苑北街道"),
    ("李建国", "110108196505050011", "回龙观街道"),
    ("张丽", "110114198803150025", "天通苑北街道"),
]
ANSWERS = {
    "elderly-care": {"age": 76, "address": "回龙观东大街社区3号楼", "service": "助餐"},
    "jobs": {"last_employer": "昌平某科技公司", "wants_training": "是"},
    "funeral": {"relation": "子女", "deceased_name": "张德福", "deceased_id_number": "110114193501010016"},
}
NOTES = {"request_info": "请补充户口簿首页照片", "reject": "材料不齐全，请到窗口咨询"}
COURSES = [
    (),
    ("accept",),
    ("accept", "request_info"),
    ("accept", "approve"),
    ("accept", "approve", "complete"),
    ("reject",),
]


def _answers(module, name: str, id_number: str, phone: str, rng: random.Random) -> dict:
    """A plausible answer to every field of a module's form, from the person and the module's examples."""
    given = dict(ANSWERS.get(module.slug, {}))
    for field in module.form:
        if field.name in given or field.type == "file":
            continue
        if field.type == "id_number":
            given[field.name] = id_number
        elif field.type == "phone":
            given[field.name] = phone
        elif field.type == "choice":
            given[field.name] = rng.choice(field.choices)
        elif field.type == "date":
            offset = timedelta(days=rng.randint(3, 40))
            given[field.name] = (now() + offset if field.when == "future" else now() - offset).date().isoformat()
        elif field.type == "number":
            given[field.name] = int(field.min or 1)
        elif field.required:
            given[field.name] = name if "name" in field.name else "详见附件"
    return given


async def seed_services(newsplus: Newsplus) -> list[str]:
    """Write demo applications and bookings once (after the departments and staff exist)."""
    if await Application.exists().where(Application.id > 0):
        return []
    offered = registry.modules(newsplus)
    staff = {u["username"]: u["id"] for u in await User.select(User.id, User.username).where(User.kind == "staff")}
    handler = CurrentUser(
        id=staff.get("admin", 0), kind="staff", display_name="服务管理员", permissions=frozenset({"services.manage"})
    )
    rng = random.Random(2018)
    residents = []
    streets = {d["name"]: d["id"] for d in await Department.select(Department.id, Department.name)}
    for index, (name, id_number, street) in enumerate(PEOPLE):
        phone = f"1380020{index:04d}"
        person = User(kind="resident", phone=phone, display_name=name, street=streets.get(street), created_at=now())
        await person.save()
        resident = CurrentUser(id=person.id, kind="resident", display_name=name, phone=phone, street=person.street)
        residents.append((resident, id_number))
    forms = [m for m in offered.values() if m.form and not any(f.required and f.type == "file" for f in m.form)]
    made = 0
    start = now()
    for index, module in enumerate(forms):
        for course_index, course in enumerate(COURSES[: 2 + index % len(COURSES)]):
            resident, id_number = residents[(index + course_index) % len(residents)]
            with frozen_clock(start - timedelta(days=10 - course_index, hours=index)) as clock:
                answers = _answers(module, resident.display_name, id_number, resident.phone, rng)
                row = await applications.submit(newsplus, resident, module.slug, answers)
                for action in course:
                    clock.advance(hours=rng.randint(2, 30))
                    note = (
                        "请补充户口簿首页照片"
                        if action == "request_info"
                        else "材料不齐全"
                        if action == "reject"
                        else ""
                    )
                    await applications.act(newsplus, handler, row["token"], action, note)
            made += 1
    booked = 0
    for module in offered.values():
        for resource in module.resources:
            for offset in range(1, 4):
                day = (start + timedelta(days=offset)).astimezone(bookings.zone(newsplus)).date()
                starts = [s for s in resource.slot_starts(day, bookings.zone(newsplus)) if s > start]
                for (resident, _), slot in zip(residents, starts[:: max(len(starts) // 3, 1)], strict=False):
                    await bookings.book(newsplus, resident, module.slug, resource.slug, slot)
                    booked += 1
    return [f"Demo services: {made} applications at every step, {booked} bookings over the next three days."]
