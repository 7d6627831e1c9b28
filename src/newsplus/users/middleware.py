"""Finds the signed-in user of each request from its bearer token or session cookie."""

from __future__ import annotations

from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from newsplus.users.auth import load_current_user

SESSION_COOKIE = "newsplus_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
COOKIELESS_WRITES = ("/api/", "/open311/")
"""Paths whose writes never act on the session cookie, and are therefore exempt from CSRF checks."""


def _token(scope: Scope) -> str | None:
    cookie = None
    for key, value in scope.get("headers", ()):
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        elif key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                name, _, token = part.strip().partition("=")
                if name == SESSION_COOKIE and token:
                    cookie = token
    if cookie is None:
        return None
    # The JSON API takes the cookie only for reads (an EventSource cannot send headers); its writes need
    # the bearer token, so a forged cross-site form can never act with a resident's cookie there.
    if scope["path"].startswith(COOKIELESS_WRITES) and scope.get("method", "GET") not in SAFE_METHODS:
        return None
    return cookie


class AuthenticationMiddleware(ASGIMiddleware):
    """Sets ``scope["user"]`` to the CurrentUser, or None for anonymous callers."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def should_bypass_for_scope(self, scope: Scope) -> bool:
        """Static files and the health check never need to know who asks."""
        path = scope["path"]
        return path.startswith("/static/") or path == "/healthz"

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Look the token up (inside the district scope) and pass the request on."""
        token = _token(scope)
        newsplus = scope["litestar_app"].state.newsplus
        scope["user"] = await load_current_user(newsplus, token) if token else None
        await next_app(scope, receive, send)


def session_cookie(token: str, *, secure: bool, max_age: int | None = None) -> Cookie:
    """The session cookie a login sets: HttpOnly, SameSite=Lax, Secure behind HTTPS."""
    return Cookie(
        key=SESSION_COOKIE, value=token, httponly=True, samesite="lax", secure=secure, max_age=max_age, path="/"
    )


def cleared_session_cookie(*, secure: bool) -> Cookie:
    """A cookie that removes the session cookie from the browser."""
    return Cookie(key=SESSION_COOKIE, value="", httponly=True, samesite="lax", secure=secure, max_age=0, path="/")


def client_of(scope: Scope) -> tuple[str, str]:
    """The caller's address and user agent, for rate limits and the session list."""
    agent = ""
    for key, value in scope.get("headers", ()):
        if key == b"user-agent":
            agent = value.decode("latin-1")[:200]
    client = scope.get("client") or ("", 0)
    return client[0] or "", agent
