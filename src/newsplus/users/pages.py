"""The users pages: sign in (code or password), my account, and the desk's staff and department pages."""

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Response, Template

from newsplus.errors import DomainError, Forbidden, InvalidInput
from newsplus.runtime import NewsplusDep
from newsplus.users import accounts, auth
from newsplus.users.access import CurrentUser, anyone, requires, signed_in
from newsplus.users.middleware import cleared_session_cookie, client_of, session_cookie
from newsplus.web.pages import safe_next
from newsplus.web.render import page, translator_for


class LoginForm(msgspec.Struct):
    """Fields of the sign-in forms (each form posts some of them)."""

    phone: str = ""
    code: str = ""
    username: str = ""
    password: str = ""
    next: str = "/"


class ProfileForm(msgspec.Struct):
    """Fields of the profile form."""

    display_name: str = ""
    street: str = ""
    community: str = ""


class StaffForm(msgspec.Struct):
    """Fields of the desk's new-staff form."""

    username: str = ""
    password: str = ""
    display_name: str = ""
    role: str = ""
    department: str = ""


class DepartmentForm(msgspec.Struct):
    """Fields of the desk's new-department form."""

    name: str = ""
    kind: str = "bureau"
    parent: str = ""


def _int(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdecimal()) or len(value) > 9:
        raise InvalidInput("Please choose from the list")
    return int(value)


async def _login_page(
    request: Request,
    form: LoginForm,
    *,
    step: str = "phone",
    tab: str = "resident",
    error: DomainError | None = None,
    notice: str = "",
) -> Template:
    _ = translator_for(request)
    message = _(error.detail, **error.params) if error else ""
    return await page(
        request,
        "users/login.html",
        status_code=error.status_code if error else 200,
        form=form,
        step=step,
        tab=tab,
        error=message,
        notice=notice,
        next=safe_next(form.next),
    )


def _signed_in(newsplus: NewsplusDep, token: str, target: str) -> Redirect:
    response = Redirect(safe_next(target), status_code=303)
    response.set_cookie(session_cookie(token, secure=newsplus.settings.site.secure_cookies))
    return response


@get("/login", guards=[anyone])
async def login_page(request: Request, next: FromQuery[str] = "/") -> Template:
    """The sign-in page: residents by SMS code, staff by password."""
    return await _login_page(request, LoginForm(next=next))


@post("/login/code/send", guards=[anyone], status_code=200)
async def login_send_code(request: Request, data: URLEncodedBody[LoginForm], newsplus: NewsplusDep) -> Template:
    """Send a code, then show the code field."""
    try:
        address, _ = client_of(request.scope)
        await auth.send_login_code(newsplus, data.phone, address)
    except DomainError as exc:
        return await _login_page(request, data, error=exc)
    return await _login_page(
        request, data, step="code", notice=translator_for(request)("A code was sent to your phone")
    )


@post("/login/code", guards=[anyone], status_code=303)
async def login_with_code(request: Request, data: URLEncodedBody[LoginForm], newsplus: NewsplusDep) -> Response[Any]:
    """Check the code and sign the resident in."""
    try:
        address, agent = client_of(request.scope)
        token, _ = await auth.login_with_code(newsplus, data.phone, data.code, client=agent, address=address)
    except DomainError as exc:
        return await _login_page(request, data, step="code", error=exc)
    return _signed_in(newsplus, token, data.next)


@post("/login/password", guards=[anyone], status_code=303)
async def login_with_password(
    request: Request, data: URLEncodedBody[LoginForm], newsplus: NewsplusDep
) -> Response[Any]:
    """Check the password and sign the staff member in."""
    try:
        address, agent = client_of(request.scope)
        token, _ = await auth.login_with_password(newsplus, data.username, data.password, client=agent, address=address)
    except DomainError as exc:
        return await _login_page(request, msgspec.structs.replace(data, password=""), tab="staff", error=exc)
    target = data.next if data.next not in ("", "/") else "/desk"
    return _signed_in(newsplus, token, target)


@post("/logout", guards=[signed_in], status_code=303)
async def logout(request: Request, newsplus: NewsplusDep) -> Redirect:
    """Sign out of this browser."""
    await auth.revoke_session(request.user.session_id, request.user.id)
    response = Redirect("/", status_code=303)
    response.set_cookie(cleared_session_cookie(secure=newsplus.settings.site.secure_cookies))
    return response


async def _me_page(request: Request, *, error: DomainError | None = None, saved: bool = False) -> Template:
    _ = translator_for(request)
    user: CurrentUser = request.user
    tree = await accounts.department_tree()
    streets = [d for root in tree for d in [root, *root["children"]] if d["kind"] == "street"]
    return await page(
        request,
        "users/me.html",
        status_code=error.status_code if error else 200,
        streets=streets,
        sessions=await accounts.list_sessions(user.id),
        saved=saved,
        error=_(error.detail, **error.params) if error else "",
    )


@get("/me", guards=[signed_in])
async def me_page(request: Request, saved: FromQuery[bool] = False) -> Template:
    """My account: name, street and community, display switches, my data."""
    return await _me_page(request, saved=saved)


@post("/me", guards=[signed_in], status_code=303)
async def save_me(request: Request, data: URLEncodedBody[ProfileForm]) -> Response[Any]:
    """Save the profile form."""
    try:
        await accounts.update_profile(
            request.user,
            display_name=data.display_name or None,
            street=_int(data.street) or 0,
            community=_int(data.community) or 0,
        )
    except DomainError as exc:
        return await _me_page(request, error=exc)
    return Redirect("/me?saved=true", status_code=303)


@get("/me/export", guards=[signed_in])
async def export_me(request: Request, newsplus: NewsplusDep) -> Response[dict[str, Any]]:
    """Download everything newsplus holds about me."""
    data = await accounts.export_user_data(newsplus, request.user)
    return Response(data, headers={"Content-Disposition": 'attachment; filename="newsplus-my-data.json"'})


@post("/me/delete", guards=[signed_in], status_code=303)
async def delete_me(request: Request, newsplus: NewsplusDep) -> Redirect:
    """Delete my resident account."""
    if request.user.is_staff:
        raise Forbidden("Staff accounts are removed by an administrator")
    await accounts.delete_account(newsplus, request.user)
    response = Redirect("/", status_code=303)
    response.set_cookie(cleared_session_cookie(secure=newsplus.settings.site.secure_cookies))
    return response


async def _staff_page(request: Request, newsplus: NewsplusDep, error: DomainError | None = None) -> Template:
    _ = translator_for(request)
    staff_rows = await accounts.list_staff()
    return await page(
        request,
        "users/desk/staff.html",
        status_code=error.status_code if error else 200,
        staff=staff_rows,
        roles=newsplus.roles,
        departments=await accounts.department_tree(),
        error=_(error.detail, **error.params) if error else "",
    )


@get("/desk/users", guards=[requires("users.manage")])
async def staff_page(request: Request, newsplus: NewsplusDep) -> Template:
    """Staff accounts and their roles."""
    return await _staff_page(request, newsplus)


@post("/desk/users", guards=[requires("users.manage")], status_code=303)
async def add_staff(request: Request, data: URLEncodedBody[StaffForm], newsplus: NewsplusDep) -> Response[Any]:
    """Create a staff account from the desk form."""
    try:
        await accounts.create_staff(
            newsplus,
            data.username,
            data.password,
            display_name=data.display_name,
            roles=(data.role,) if data.role else (),
            department=_int(data.department),
        )
    except DomainError as exc:
        return await _staff_page(request, newsplus, exc)
    return Redirect("/desk/users", status_code=303)


async def _departments_page(request: Request, error: DomainError | None = None) -> Template:
    _ = translator_for(request)
    return await page(
        request,
        "users/desk/departments.html",
        status_code=error.status_code if error else 200,
        tree=await accounts.department_tree(),
        kinds=accounts.DEPARTMENT_KINDS,
        error=_(error.detail, **error.params) if error else "",
    )


@get("/desk/departments", guards=[requires("users.manage")])
async def departments_page(request: Request) -> Template:
    """The department tree (委办局, 街道, 社区)."""
    return await _departments_page(request)


@post("/desk/departments", guards=[requires("users.manage")], status_code=303)
async def add_department(request: Request, data: URLEncodedBody[DepartmentForm]) -> Response[Any]:
    """Add a department from the desk form."""
    try:
        await accounts.create_department(data.name, data.kind, _int(data.parent))
    except DomainError as exc:
        return await _departments_page(request, exc)
    return Redirect("/desk/departments", status_code=303)


ROUTES = [
    login_page,
    login_send_code,
    login_with_code,
    login_with_password,
    logout,
    me_page,
    save_me,
    export_me,
    delete_me,
    staff_page,
    add_staff,
    departments_page,
    add_department,
]
