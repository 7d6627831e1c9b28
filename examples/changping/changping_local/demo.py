"""Changping's demo data: the department tree with public names, and one staff account per role."""

from __future__ import annotations

from newsplus import Newsplus
from newsplus.users.accounts import create_department, create_staff
from newsplus.users.tables import Department

DEMO_PASSWORD = "changping-demo"

BUREAUS = ["区委宣传部", "区网管办", "区公众服务统一办理平台", "区城市管理委", "区卫健委", "区教委", "区人力社保局"]
BUREAUS += ["区民政局", "区住房城乡建设委", "区公安分局"]
STREETS = {
    "天通苑北街道": ["天通苑北一社区", "天通苑北二社区", "天通苑北三社区"],
    "天通苑南街道": ["天通苑南一社区", "天通苑南二社区"],
    "回龙观街道": ["回龙观东大街社区", "龙泽苑社区"],
    "霍营街道": ["霍营社区", "华龙苑社区"],
    "城北街道": ["西关社区", "南口路社区"],
}
# The central editorial desk (总编辑部) and the dispatchers work for the whole district; department handlers
# hold their role within their own department only.
STAFF = [
    ("admin", "系统管理员", "admin", None),
    ("editor", "编辑小王", "editor", None),
    ("reviewer", "审核员小李", "reviewer", None),
    ("chief", "总编辑老张", "chief_editor", None),
    ("dispatcher", "派单员小赵", "dispatcher", None),
    ("chengguan", "城管委办理人", "department_handler", "区城市管理委"),
    ("tiantongyuan", "天通苑北街道联络员", "department_handler", "天通苑北街道"),
    ("minzheng", "民政局窗口", "service_handler", "区民政局"),
    ("weijian", "卫健委窗口", "service_handler", "区卫健委"),
    ("renshe", "人力社保局信息员", "govinfo_publisher", "区人力社保局"),
    ("zhengwu", "政务信息审核员", "govinfo_editor", None),
    ("huodong", "活动运营", "activity_organiser", None),
]


async def seed(newsplus: Newsplus) -> list[str]:
    """Write the departments and staff accounts once; return the demo sign-in lines."""
    if await Department.exists().where(Department.name == BUREAUS[0]):
        return []
    ids: dict[str, int] = {}
    for position, name in enumerate(BUREAUS):
        ids[name] = await create_department(name, "bureau", position=position)
    for position, (street, communities) in enumerate(STREETS.items()):
        ids[street] = await create_department(street, "street", position=position)
        for community in communities:
            await create_department(community, "community", parent=ids[street])
    lines = [f"Demo staff accounts (password: {DEMO_PASSWORD}):"]
    for username, display_name, role, department in STAFF:
        await create_staff(
            newsplus,
            username,
            DEMO_PASSWORD,
            display_name=display_name,
            roles=(role,),
            department=ids.get(department) if department else None,
        )
        lines.append(f"  {username:<14} {role:<20} {display_name}")
    lines.append("Residents sign in with any mobile number; the code is printed in this console.")
    return lines
