"""Rendering a page: the common context every template gets (user, language, menus, district)."""

from __future__ import annotations

import inspect
from typing import Any

from litestar import Request
from litestar.response import Template
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from newsplus.i18n import LANG_COOKIE, Translator, negotiate_language

__all__ = ["ELDER_COOKIE", "csrf_field", "error_page", "page", "translator_for"]

ELDER_COOKIE = "newsplus_elder"


def translator_for(request: Request) -> Translator:
    """The translator for the caller's language (computed once per request)."""
    cached = request.scope["state"].get("translator")
    if cached is not None:
        return cached
    newsplus = request.app.state.newsplus
    language = negotiate_language(
        newsplus.settings.site.languages,
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )
    translator = newsplus.catalogues.translator(language)
    request.scope["state"]["translator"] = translator
    return translator


def csrf_field(request: Request) -> Markup:
    """The hidden form field carrying the CSRF token; every POST form on a page includes it."""
    token = ScopeState.from_scope(request.scope).csrf_token
    token = "" if token is Empty or token is None else str(token)
    return Markup('<input type="hidden" name="_csrf_token" value="{}">').format(token)


def _menu(request: Request, area: str) -> list[Any]:
    newsplus = request.app.state.newsplus
    user = request.scope.get("user")
    items = [
        m
        for m in newsplus.collect("menu_items", request=request, user=user)
        if m.area == area and (not m.permission or (user is not None and user.can(m.permission)))
    ]
    return sorted(items, key=lambda m: m.order)


def _context(request: Request, template: str, context: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    newsplus = request.app.state.newsplus
    user = request.scope.get("user")
    _ = translator_for(request)
    area = "desk" if template.startswith("desk/") or "/desk/" in template else "h5"
    shared: dict[str, Any] = {
        "_": _,
        "lang": _.language,
        "languages": newsplus.settings.site.languages,
        "user": user,
        "site": newsplus.settings.site,
        "district": request.scope["state"].get("district"),
        "elder": request.cookies.get(ELDER_COOKIE) == "1",
        "menu": _menu(request, area),
        "path": request.url.path,
        "csrf_field": csrf_field(request),
    }
    pending = []
    for extra in reversed(newsplus.hook.extra_template_vars(request=request, template=template)):
        if inspect.isawaitable(extra):
            pending.append(extra)
        else:
            shared.update(extra or {})
    shared.update(context)
    return shared, pending


async def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Template:
    """A Template response with the shared context; plugins add to it through ``extra_template_vars``."""
    shared, pending = _context(request, template, context)
    for extra in pending:
        shared = {**shared, **(await extra or {}), **context}
    return Template(template_name=template, context=shared, status_code=status_code)


def error_page(request: Request, status: int, detail: str) -> Template:
    """The error page (built without awaiting anything: exception handlers are synchronous)."""
    shared, pending = _context(request, "error.html", {"status": status, "detail": detail})
    for extra in pending:
        if inspect.iscoroutine(extra):
            extra.close()
    return Template(template_name="error.html", context=shared, status_code=status)
