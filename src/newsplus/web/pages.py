"""Pages every district app has: the H5 home, the desk's front page, language and 适老化 switches, health."""

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from newsplus.i18n import LANG_COOKIE
from newsplus.users.access import anyone, staff
from newsplus.web.render import ELDER_COOKIE, page

YEAR = 365 * 24 * 3600


class SwitchForm(msgspec.Struct):
    """A preference switch posted from a page: the new value and where to go back to."""

    value: str = ""
    next: str = "/"


def safe_next(target: str | None) -> str:
    """A local path to return to; anything pointing off-site becomes the home page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@get("/healthz", guards=[anyone], include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    """Liveness: answers while the process serves requests."""
    return {"status": "ok"}


@get("/", guards=[anyone])
async def home(request: Request) -> Template:
    """The H5 home page with the tiles every plugin contributes."""
    newsplus = request.app.state.newsplus
    tiles = sorted(
        newsplus.collect("home_tiles", request=request, user=request.scope.get("user")), key=lambda t: t.order
    )
    return await page(request, "home.html", tiles=tiles)


@get("/desk", guards=[staff])
async def desk_home(request: Request) -> Template:
    """The desk's front page: the sections this staff member may open."""
    return await page(request, "desk/home.html")


def _switch(cookie: str, value: str, target: str, secure: bool) -> Redirect:
    response = Redirect(safe_next(target), status_code=303)
    response.set_cookie(cookie, value, max_age=YEAR, httponly=True, samesite="lax", secure=secure)
    return response


@post("/settings/language", guards=[anyone], status_code=303, sync_to_thread=False)
def set_language(request: Request, data: URLEncodedBody[SwitchForm]) -> Redirect:
    """Choose the page language (zh-CN or en)."""
    languages = request.app.state.newsplus.settings.site.languages
    value = data.value if data.value in languages else languages[0]
    return _switch(LANG_COOKIE, value, data.next, request.app.state.newsplus.settings.site.secure_cookies)


@post("/settings/elder", guards=[anyone], status_code=303, sync_to_thread=False)
def set_elder_mode(request: Request, data: URLEncodedBody[SwitchForm]) -> Redirect:
    """Switch the elderly-friendly mode (适老化: larger type, higher contrast) on or off."""
    value = "1" if data.value == "1" else "0"
    return _switch(ELDER_COOKIE, value, data.next, request.app.state.newsplus.settings.site.secure_cookies)


ROUTES: list[Any] = [healthz, home, desk_home, set_language, set_elder_mode]
