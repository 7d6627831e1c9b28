"""create_app: a litestar app composed only from what the enabled plugins' hooks return."""

import gc
import os
import sys
from collections.abc import Sequence
from typing import Any

from litestar import Litestar, Response, Router
from litestar._asgi.utils import get_route_handlers
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.enums import HttpMethod, MediaType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.routes import HTTPRoute, WebSocketRoute
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_204_NO_CONTENT
from litestar.template.config import TemplateConfig
from litestar.types import Scope

from newsplus.i18n import Catalogues, package_dirs
from newsplus.notifications.channels import usable_channels
from newsplus.ratelimit import RateLimiter
from newsplus.runtime import Newsplus
from newsplus.settings import Settings, SettingsError, load_settings, require_secret
from newsplus.startup import collector_paused
from newsplus.users.access import anyone, route_access
from newsplus.users.middleware import COOKIELESS_WRITES
from newsplus.version import __version__
from newsplus.web.body import require_json_api_writes
from newsplus.web.errors import EXCEPTION_HANDLERS, MAX_BODY_BYTES
from newsplus.web.headers import add_security_headers
from newsplus.web.templating import build_environment, static_folders

__all__ = ["app_from_env", "create_app"]


class _Conflict(HTTPException):
    status_code = 409


API_ERRORS = (NotAuthorizedException, PermissionDeniedException, NotFoundException, _Conflict, TooManyRequestsException)


def _declare_errors(handler: Any) -> None:
    """Add to an API route's OpenAPI entry the refusals any route can give, in the shape every error has:
    401 (not signed in, or wrong credentials), 403, 404, 409 (a state that forbids it), 429 (a limit)."""
    declared = list(handler.raises or ())
    handler.raises = [*declared, *(e for e in API_ERRORS if e not in declared)]


def _check_access(app: Litestar, newsplus: Newsplus) -> None:
    """Every route states who may call it, naming only registered permissions."""
    for route in app.routes:
        if route.path.startswith(("/schema", "/static")):
            continue
        for handler in route.route_handlers:
            declared = route_access(handler)
            if not declared:
                raise SettingsError(
                    f"route {route.path} ({handler.handler_name}) does not say who may call it: "
                    "add guards=[anyone | signed_in | staff | requires('<permission>')]"
                )
            if route.path.startswith("/api/"):
                _declare_errors(handler)
            for access in declared:
                if access.permission and access.permission not in newsplus.permissions:
                    raise SettingsError(f"route {route.path} requires unknown permission {access.permission!r}")


def _is_litestar_options(handler: Any) -> bool:
    """Whether a handler is the OPTIONS handler litestar makes for a path that has none."""
    fn = getattr(handler, "fn", None)
    return getattr(fn, "__name__", "") == "options_handler" and fn.__module__ == "litestar.routes.http"


async def answer_options(scope: Scope) -> Response:
    """OPTIONS on any path: no content, and the methods the path answers (as litestar's own handler does)."""
    return Response(
        content=None,
        status_code=HTTP_204_NO_CONTENT,
        headers={"Allow": scope["app"].allowed_methods[scope["path_template"]]},
        media_type=MediaType.TEXT,
    )


class _App(Litestar):
    """litestar, with three costs of building an app with every plugin taken out.

    - Its pydantic and attrs support load only when a plugin uses pydantic. newsplus speaks msgspec; pydantic is
      installed because piccolo depends on it, and importing litestar's pydantic plugin (all of pydantic) was a
      third of building the app. A plugin whose routes take pydantic models has imported pydantic by the time
      the app is built, and then gets litestar's defaults.
    - The map of handlers by path is kept up to date rather than rebuilt: litestar rebuilds it from every route
      for each path it registers, which grows with the square of the routes (about 280 paths with every plugin).
    - One OPTIONS handler answers every path. litestar makes one for each path that has none and registers each
      on its own (its signature read, its guards, dependencies and parameters resolved): registering 284 of them
      with every plugin took about 80 ms, now 16 ms. Each path still answers OPTIONS with its own ``Allow``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Made before litestar's __init__, which registers every route handler through register() below.
        self.allowed_methods: dict[str, str] = {}  # the Allow header of each path template
        self._options = HTTPRouteHandler(
            path="/", http_method=[HttpMethod.OPTIONS], guards=[anyone], include_in_schema=False
        )(answer_options)
        self._options.owner = self
        super().__init__(*args, **kwargs)

    def register(self, value: Any) -> None:
        """litestar's ``Litestar.register``, with the shared OPTIONS handler in place of litestar's per path."""
        routes = Router.register(self, value)
        for route in routes:
            if isinstance(route, HTTPRoute):
                route.route_handlers = [self._options if _is_litestar_options(h) else h for h in route.route_handlers]
                self.allowed_methods[route.path_format] = ", ".join(sorted(route.methods))
                known, by_path = self.__dict__.get("_handler_map") or ([], {})
                if route in known:  # mapped while litestar registered the value's other paths
                    by_path[route.path]["OPTIONS"] = next(
                        h for h in route.route_handlers if "OPTIONS" in h.http_methods
                    )
            for handler in get_route_handlers(route):
                handler.on_registration(self)
            if isinstance(route, HTTPRoute):
                route.create_handler_map()
            elif isinstance(route, WebSocketRoute):
                handler = route.route_handler
                route.handler_parameter_model = handler.create_kwargs_model(path_parameters=route.path_parameters)
            for plugin in self.plugins.receive_route:
                plugin.receive_route(route)
        self.asgi_router.construct_routing_trie()

    @property
    def route_handler_method_map(self) -> dict[str, dict[str, Any]]:
        known, by_path = self.__dict__.get("_handler_map") or ([], {})
        if self.routes[: len(known)] != known:  # a path registered twice has a new route in its old place
            known, by_path = [], {}
        for route in self.routes[len(known) :]:
            handlers = by_path.setdefault(route.path, {})
            if isinstance(route, HTTPRoute):
                handlers.update(
                    (method, handler) for handler in route.route_handlers for method in handler.http_methods
                )
            else:
                handlers["websocket" if isinstance(route, WebSocketRoute) else "asgi"] = route.route_handler
        self.__dict__["_handler_map"] = ([*self.routes], by_path)
        return by_path

    @staticmethod
    def _get_default_plugins(plugins: list[Any]) -> list[Any]:
        if "pydantic" in sys.modules:
            return Litestar._get_default_plugins(plugins)
        from litestar.plugins.core import MsgspecDIPlugin

        if not any(isinstance(plugin, MsgspecDIPlugin) for plugin in plugins):
            plugins.append(MsgspecDIPlugin())
        return plugins


@collector_paused()  # what it builds lives as long as the app (see newsplus.startup)
def create_app(
    settings: Settings | None = None, *, plugins: Sequence[Any] | None = None, newsplus: Newsplus | None = None
) -> Litestar:
    """Build the app for a deployment: settings from newsplus.toml, plugins as enabled there (or given)."""
    newsplus = newsplus or Newsplus(settings or load_settings(), plugins)
    newsplus.check_registries()
    folders = package_dirs(plugin for _, plugin in newsplus.pm.list_name_plugin())
    newsplus.catalogues = Catalogues(newsplus.settings.site.languages, folders)
    newsplus.templates = build_environment(newsplus, folders)
    newsplus.channels = usable_channels(
        newsplus.collect("register_notification_channels", core_first=False, newsplus=newsplus)
    )
    newsplus.limiter = RateLimiter()
    site = newsplus.settings.site

    static = create_static_files_router(
        path="/static",
        directories=static_folders(newsplus, folders),
        guards=[anyone],
        include_in_schema=False,
        send_as_attachment=False,
    )
    config = AppConfig(
        route_handlers=[*newsplus.collect("register_routes", newsplus=newsplus), static],
        dependencies={"newsplus": Provide(lambda: newsplus, use_cache=True, sync_to_thread=False)},
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(newsplus.templates)),
        csrf_config=CSRFConfig(
            secret=site.secret,
            cookie_name="newsplus_csrf",
            cookie_secure=site.secure_cookies,
            cookie_httponly=True,
            exclude=[f"^{prefix}" for prefix in COOKIELESS_WRITES],
        ),
        openapi_config=OpenAPIConfig(
            title=f"{site.name} API",
            version=__version__,
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(path="/"), JsonRenderPlugin()],
        ),
        exception_handlers=dict(EXCEPTION_HANDLERS),
        before_send=[add_security_headers],
        before_request=require_json_api_writes,
        on_startup=[newsplus.start],
        on_shutdown=[newsplus.stop],
        state=State({"newsplus": newsplus}),
        request_max_body_size=MAX_BODY_BYTES,
        debug=site.debug,
    )
    newsplus.hook.configure_app(app_config=config, newsplus=newsplus)
    app = _App.from_config(config)
    _check_access(app, newsplus)
    return app


def app_from_env() -> Litestar:
    """The app for servers (``uvicorn --factory newsplus.app:app_from_env``): settings from NEWSPLUS_CONFIG."""
    with collector_paused():  # served_app freezes what was built before the collector resumes
        settings = load_settings(os.environ.get("NEWSPLUS_CONFIG"))
        require_secret(settings)
        return served_app(create_app(settings))


def served_app(app: Litestar) -> Litestar:
    """An app about to serve for the life of its worker, its start-up objects set aside (see below)."""
    # The app's own objects (routes, templates, settings) live as long as the worker: moving them out of the
    # collector's reach keeps each garbage collection small, which shows as steadier latency under load.
    gc.freeze()
    return app
