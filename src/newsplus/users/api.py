"""The users JSON API: sign in and out, the caller's own account, departments, staff and roles."""

from typing import Any

from litestar import Request, Response, Router, delete, get, patch, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from newsplus.errors import Forbidden, NotFound
from newsplus.runtime import Newsplus, NewsplusDep
from newsplus.users import accounts, auth
from newsplus.users.access import CurrentUser, anyone, requires, signed_in
from newsplus.users.middleware import cleared_session_cookie, client_of
from newsplus.users.schemas import (
    CodeLogin,
    CodeRequest,
    CodeSent,
    Created,
    DepartmentIn,
    GrantIn,
    LoggedIn,
    Me,
    PasswordLogin,
    ProfileUpdate,
    RoleOut,
    SessionOut,
    StaffIn,
)


def me_of(user: CurrentUser) -> Me:
    """The API view of the signed-in user."""
    return Me(
        id=user.id,
        kind=user.kind,
        display_name=user.display_name,
        username=user.username,
        phone=user.phone,
        street=user.street,
        community=user.community,
        roles=sorted(user.roles),
        permissions=sorted(user.permissions),
        departments=sorted(user.departments),
        department_permissions={str(d): sorted(p) for d, p in sorted(user.department_permissions.items())},
    )


async def _logged_in(newsplus: Newsplus, token: str, user_id: int) -> Response[LoggedIn]:
    user = await auth.load_user(newsplus, user_id)
    assert user is not None
    # No cookie here: the API is exempt from CSRF checks, so it must never be the way a browser gets a session.
    return Response(LoggedIn(token=token, token_type="bearer", user=me_of(user)))


# Answers with no body at all (not even JSON null), documented as such.
NO_CONTENT = {HTTP_204_NO_CONTENT: ResponseSpec(None, description="Done; nothing to return")}


@post("/auth/code", guards=[anyone], status_code=HTTP_202_ACCEPTED)
async def request_code(request: Request, data: JSONBody[CodeRequest], newsplus: NewsplusDep) -> CodeSent:
    """Send a login code to a mobile number (limited per number and per caller)."""
    address, _ = client_of(request.scope)
    return CodeSent(expires_in=await auth.send_login_code(newsplus, data.phone, address))


@post("/auth/login/code", guards=[anyone], status_code=200)
async def login_code(request: Request, data: JSONBody[CodeLogin], newsplus: NewsplusDep) -> Response[LoggedIn]:
    """Sign in as a resident with a code; the account is created on first sign-in."""
    address, agent = client_of(request.scope)
    token, user_id = await auth.login_with_code(newsplus, data.phone, data.code, client=agent, address=address)
    return await _logged_in(newsplus, token, user_id)


@post("/auth/login/password", guards=[anyone], status_code=200)
async def login_password(request: Request, data: JSONBody[PasswordLogin], newsplus: NewsplusDep) -> Response[LoggedIn]:
    """Sign in as staff with username and password (limited per username and per caller)."""
    address, agent = client_of(request.scope)
    token, user_id = await auth.login_with_password(
        newsplus, data.username, data.password, client=agent, address=address
    )
    return await _logged_in(newsplus, token, user_id)


@post("/auth/logout", guards=[signed_in], status_code=HTTP_204_NO_CONTENT, responses=NO_CONTENT)
async def logout(request: Request, newsplus: NewsplusDep) -> Response[None]:
    """End the current session: its token and cookie stop working at once."""
    user: CurrentUser = request.user
    await auth.revoke_session(user.session_id, user.id)
    return Response(
        None,
        status_code=HTTP_204_NO_CONTENT,
        cookies=[cleared_session_cookie(secure=newsplus.settings.site.secure_cookies)],
    )


@get("/me", guards=[signed_in])
async def read_me(request: Request) -> Me:
    """The signed-in user."""
    return me_of(request.user)


@patch("/me", guards=[signed_in])
async def update_me(request: Request, data: JSONBody[ProfileUpdate], newsplus: NewsplusDep) -> Me:
    """Change the name, street or community."""
    user: CurrentUser = request.user
    street = data.street if data.street is not None else (user.street if data.community is not None else None)
    await accounts.update_profile(user, display_name=data.display_name, street=street, community=data.community)
    return me_of(await auth.load_user(newsplus, user.id, user.session_id) or user)


@get("/me/sessions", guards=[signed_in])
async def my_sessions(request: Request) -> list[SessionOut]:
    """The caller's live sessions (devices signed in)."""
    user: CurrentUser = request.user
    return [SessionOut(**row, current=row["id"] == user.session_id) for row in await accounts.list_sessions(user.id)]


@delete("/me/sessions/{session_id:int}", guards=[signed_in], status_code=HTTP_204_NO_CONTENT)
async def revoke_my_session(request: Request, session_id: FromPath[int]) -> None:
    """Sign one of the caller's devices out (revokes that token)."""
    if not await auth.revoke_session(session_id, request.user.id):
        raise NotFound("No such session")


@get("/me/export", guards=[signed_in])
async def export_me(request: Request, newsplus: NewsplusDep) -> Response[dict[str, Any]]:
    """Everything newsplus holds about the caller, as one JSON document."""
    data = await accounts.export_user_data(newsplus, request.user)
    return Response(data, headers={"Content-Disposition": 'attachment; filename="newsplus-my-data.json"'})


@delete("/me", guards=[signed_in], status_code=HTTP_204_NO_CONTENT, responses=NO_CONTENT)
async def delete_me(request: Request, newsplus: NewsplusDep) -> Response[None]:
    """Delete the caller's resident account and personal data."""
    user: CurrentUser = request.user
    if user.is_staff:
        raise Forbidden("Staff accounts are removed by an administrator")
    await accounts.delete_account(newsplus, user)
    return Response(
        None,
        status_code=HTTP_204_NO_CONTENT,
        cookies=[cleared_session_cookie(secure=newsplus.settings.site.secure_cookies)],
    )


@get("/departments", guards=[anyone])
async def list_departments() -> list[dict[str, Any]]:
    """The district's departments as a tree (public names only)."""
    return await accounts.department_tree()


@post("/departments", guards=[requires("users.manage")], status_code=201)
async def add_department(data: JSONBody[DepartmentIn]) -> Created:
    """Add a department to the tree."""
    return Created(id=await accounts.create_department(data.name, data.kind, data.parent, data.code))


@get("/departments/{department_id:int}/members", guards=[requires("users.manage")])
async def list_department_members(department_id: FromPath[int]) -> list[dict[str, Any]]:
    """The staff who hold a role within a department."""
    return await accounts.department_members(department_id)


@post("/users", guards=[requires("users.manage")], status_code=201)
async def add_staff(data: JSONBody[StaffIn], newsplus: NewsplusDep) -> Created:
    """Create a staff account."""
    return Created(
        id=await accounts.create_staff(
            newsplus,
            data.username,
            data.password,
            display_name=data.display_name,
            roles=tuple(data.roles),
            department=data.department,
        )
    )


@post("/users/{user_id:int}/grants", guards=[requires("users.manage")], status_code=HTTP_204_NO_CONTENT)
async def add_grant(user_id: FromPath[int], data: JSONBody[GrantIn], newsplus: NewsplusDep) -> None:
    """Give a user a role (within a department when given)."""
    await accounts.grant_role(newsplus, user_id, data.role, data.department)


@delete("/users/{user_id:int}/grants/{role:str}", guards=[requires("users.manage")], status_code=HTTP_204_NO_CONTENT)
async def remove_grant(user_id: FromPath[int], role: FromPath[str], department: FromQuery[int | None] = None) -> None:
    """Take a role away from a user."""
    await accounts.revoke_role(user_id, role, department)


@get("/roles", guards=[requires("users.manage")])
async def list_roles(newsplus: NewsplusDep) -> list[RoleOut]:
    """Every role and the permissions it grants."""
    return [
        RoleOut(name=r.name, label=r.label, permissions=sorted(newsplus.permissions_of([r.name])))
        for r in newsplus.roles.values()
    ]


router = Router(
    path="/api/v1",
    route_handlers=[
        request_code,
        login_code,
        login_password,
        logout,
        read_me,
        update_me,
        my_sessions,
        revoke_my_session,
        export_me,
        delete_me,
        list_departments,
        add_department,
        list_department_members,
        add_staff,
        add_grant,
        remove_grant,
        list_roles,
    ],
    tags=["users"],
)
