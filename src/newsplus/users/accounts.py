"""Accounts: staff, residents' profiles, departments, role grants, and a resident's own data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus import db
from newsplus.districts.scope import current_district_id
from newsplus.errors import Conflict, InvalidInput, NotFound
from newsplus.sqlite_lanes import SHORT
from newsplus.users.access import CurrentUser
from newsplus.users.auth import hash_password, now
from newsplus.users.tables import Department, Grant, Session, User, VerificationCode

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = [
    "DEPARTMENT_KINDS",
    "create_department",
    "create_staff",
    "delete_account",
    "department_members",
    "department_tree",
    "export_user_data",
    "grant_role",
    "list_sessions",
    "list_staff",
    "revoke_role",
    "role_holders",
    "update_profile",
]

DEPARTMENT_KINDS = {"bureau": "委办局", "street": "街道", "community": "社区", "merchant": "商户", "other": "其他"}


async def create_staff(
    newsplus: Newsplus,
    username: str,
    password: str,
    *,
    display_name: str = "",
    roles: tuple[str, ...] = (),
    department: int | None = None,
) -> int:
    """Create a staff account with roles (held within ``department`` when given); return its id."""
    username = (username or "").strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InvalidInput("A username needs 1 to 64 characters without spaces", extra={"field": "username"})
    password_hash = await hash_password(password)
    for role in roles:
        _check_role(newsplus, role)
    if department is not None and not await Department.exists().where(Department.id == department):
        raise NotFound("No such department")
    try:
        async with db.transaction():
            user = User(
                kind="staff",
                username=username,
                password_hash=password_hash,
                display_name=display_name or username,
                created_at=now(),
            )
            await user.save()
            for role in roles:
                await Grant.insert(Grant(user=user.id, role=role, department=department))
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise Conflict("The username {username} is taken", username=username) from None
        raise
    return user.id


def _check_role(newsplus: Newsplus, role: str) -> None:
    if role not in newsplus.roles:
        raise InvalidInput("Unknown role {role}", role=role, extra={"field": "role", "known": sorted(newsplus.roles)})


async def grant_role(newsplus: Newsplus, user_id: int, role: str, department: int | None = None) -> None:
    """Give a user a role, optionally within one department; granting twice changes nothing."""
    _check_role(newsplus, role)
    if not await User.exists().where(User.id == user_id):
        raise NotFound("No such user")
    if department is not None and not await Department.exists().where(Department.id == department):
        raise NotFound("No such department")
    query = Grant.exists().where((Grant.user == user_id) & (Grant.role == role))
    query = query.where(Grant.department == department if department else Grant.department.is_null())
    if not await query:
        await Grant.insert(Grant(user=user_id, role=role, department=department))


async def revoke_role(user_id: int, role: str, department: int | None = None) -> None:
    """Take a role away from a user; the district's last administrator keeps theirs (409)."""
    query = Grant.delete().where((Grant.user == user_id) & (Grant.role == role))
    query = query.where(Grant.department == department if department else Grant.department.is_null())
    if role != "admin" or department:
        await query
        return
    async with db.transaction():
        admins = Grant.select(Grant.user).where((Grant.role == "admin") & Grant.department.is_null())
        if db.is_postgres(Grant._meta.db):  # two admins removing each other at once: one waits for the other
            admins = admins.lock_rows()
        if {r["user"] for r in await admins} - {user_id}:
            await query
        elif await Grant.exists().where((Grant.user == user_id) & (Grant.role == "admin")):
            raise Conflict("The district needs at least one administrator; make someone else one first")


async def create_department(
    name: str, kind: str = "bureau", parent: int | None = None, code: str = "", position: int = 0
) -> int:
    """Add a department to the district's tree; return its id."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("A department needs a name", extra={"field": "name"})
    if kind not in DEPARTMENT_KINDS:
        raise InvalidInput("Unknown department kind {kind}", kind=kind, extra={"field": "kind"})
    if parent is not None and not await Department.exists().where(Department.id == parent):
        raise NotFound("No such parent department")
    try:
        row = Department(name=name, kind=kind, parent=parent, code=code, position=position)
        await row.save()
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise Conflict("A department named {name} exists here already", name=name) from None
        raise
    return row.id


async def department_tree() -> list[dict[str, Any]]:
    """The district's departments as a nested list, each with its children, in display order."""
    rows = (
        await Department.select(Department.id, Department.name, Department.kind, Department.parent, Department.code)
        .order_by(Department.position)
        .order_by(Department.id)
    )
    nodes = {r["id"]: {**r, "children": []} for r in rows}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent"])
        (parent["children"] if parent else roots).append(node)
    return roots


HOLDERS = (
    SHORT + 'SELECT DISTINCT g."user" FROM users_grant g JOIN users_user u ON u.id = g."user" '
    "WHERE g.role = {} AND u.is_active = {} AND g.department "
)


async def role_holders(role: str, department: int | None = None) -> list[int]:
    """Ids of active users holding a role district-wide (or within one department), in id order."""
    # Written as SQL: it runs for every step of every inquiry, and piccolo's join took longer to compose than
    # to run.
    sql, args = HOLDERS + ("IS NULL" if department is None else "= {}"), [role, True]
    args += [] if department is None else [department]
    district_id = current_district_id()
    if district_id is not None:
        sql, args = sql + " AND g.district = {}", [*args, district_id]
    return sorted(r["user"] for r in await Grant.raw(sql, *args))


async def department_members(department: int) -> list[dict[str, Any]]:
    """The staff holding a role within a department, with those roles."""
    if not await Department.exists().where(Department.id == department):
        raise NotFound("No such department")
    grants = (
        await Grant.select(Grant.user, Grant.role, Grant.user.username, Grant.user.display_name)
        .where(Grant.department == department)
        .order_by(Grant.user)
    )
    members: dict[int, dict[str, Any]] = {}
    for g in grants:
        member = members.setdefault(
            g["user"],
            {"id": g["user"], "username": g["user.username"], "display_name": g["user.display_name"], "roles": []},
        )
        member["roles"].append(g["role"])
    return list(members.values())


async def update_profile(
    user: CurrentUser, *, display_name: str | None = None, street: int | None = None, community: int | None = None
) -> None:
    """Change a user's name and the street/community they live in (used to target notices)."""
    values: dict[Any, Any] = {}
    if display_name is not None:
        display_name = display_name.strip()
        if not 1 <= len(display_name) <= 100:
            raise InvalidInput("A name needs 1 to 100 characters", extra={"field": "display_name"})
        values[User.display_name] = display_name
    if street is not None or community is not None:
        kinds = (
            {
                r["id"]: r
                for r in await Department.select(Department.id, Department.kind, Department.parent).where(
                    Department.id.is_in([d for d in (street, community) if d])
                )
            }
            if (street or community)
            else {}
        )
        if street and kinds.get(street, {}).get("kind") != "street":
            raise InvalidInput("Please choose a street office", extra={"field": "street"})
        if community and (kinds.get(community, {}).get("kind") != "community" or kinds[community]["parent"] != street):
            raise InvalidInput("Please choose a community of that street", extra={"field": "community"})
        values[User.street] = street or None
        values[User.community] = community or None
    if values:
        await User.update(values).where(User.id == user.id)


async def list_sessions(user_id: int) -> list[dict[str, Any]]:
    """A user's live (neither revoked nor expired) sessions, newest first."""
    rows = (
        await Session.select(Session.id, Session.created_at, Session.expires_at, Session.client)
        .where((Session.user == user_id) & Session.revoked_at.is_null())
        .order_by(Session.id, ascending=False)
    )
    moment = now()
    return [r for r in rows if r["expires_at"] > moment]


async def export_user_data(newsplus: Newsplus, user: CurrentUser) -> dict[str, Any]:
    """Everything newsplus holds about a user: the profile, roles, sessions and each plugin's section."""
    profile = await User.select(exclude_secrets=True).where(User.id == user.id).first()
    data: dict[str, Any] = {
        "profile": profile,
        "roles": await Grant.select(Grant.role, Grant.department).where(Grant.user == user.id),
        "sessions": await list_sessions(user.id),
    }
    for section in await newsplus.call_each("user_data", newsplus=newsplus, user=user):
        data.update(section or {})
    return data


async def delete_account(newsplus: Newsplus, user: CurrentUser) -> None:
    """Delete a user's account: plugins erase or anonymise their data, then the personal data goes.

    The row itself stays as an anonymous, disabled tombstone, so what plugins keep for statistics still
    points somewhere, and its id is never handed to a new account.
    """
    await newsplus.call_each("handle_user_deleted", newsplus=newsplus, user=user)
    async with db.transaction():
        await Session.delete().where(Session.user == user.id)
        await Grant.delete().where(Grant.user == user.id)
        if user.phone:
            await VerificationCode.delete().where(VerificationCode.phone == user.phone)
        await User.update(
            {
                User.phone: None,
                User.username: None,
                User.display_name: "已注销用户",
                User.password_hash: "",
                User.street: None,
                User.community: None,
                User.is_active: False,
            }
        ).where(User.id == user.id)


def staff_accounts(*columns: Any, limit: int = 500) -> Any:
    """A query for staff accounts by username: it reads the index of staff (a users migration), not every resident."""
    return User.select(*columns).where(User.kind == "staff").order_by(User.username).limit(limit)


async def list_staff(limit: int = 500) -> list[dict[str, Any]]:
    """Staff accounts with their roles, by username."""
    rows = await staff_accounts(
        User.id, User.username, User.display_name, User.is_active, User.last_login_at, limit=limit
    )
    grants = await Grant.select(Grant.user, Grant.role, Grant.department.name).where(
        Grant.user.is_in([r["id"] for r in rows] or [0])
    )
    for row in rows:
        row["grants"] = [g for g in grants if g["user"] == row["id"]]
    return rows
