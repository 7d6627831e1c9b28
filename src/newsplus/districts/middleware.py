"""Puts every request inside its district's scope before any handler runs."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from newsplus.districts.scope import district_scope


class DistrictMiddleware(ASGIMiddleware):
    """Resolves the district from the Host header and runs the request inside ``district_scope``."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Resolve, then call the rest of the stack inside the district's scope."""
        newsplus = scope["litestar_app"].state.newsplus
        host = ""
        for key, value in scope.get("headers", ()):
            if key == b"host":
                host = value.decode("latin-1")
                break
        district = newsplus.districts.resolve(host)
        if district is None:
            raise NotFoundException("No district is served at this address")
        scope["state"]["district"] = district
        with district_scope(district):
            await next_app(scope, receive, send)
