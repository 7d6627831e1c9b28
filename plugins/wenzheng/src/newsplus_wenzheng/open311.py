"""Open311 (below)."""

from litestar import Router

router = Router(path="/open311/v2", route_handlers=[])
