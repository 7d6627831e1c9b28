"""The events API and desk page: the delivery log (failures and retries) and retrying by hand."""

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_204_NO_CONTENT

from newsplus.errors import NotFound
from newsplus.events.dispatcher import event_log
from newsplus.events.tables import Delivery
from newsplus.runtime import NewsplusDep
from newsplus.users.access import requires
from newsplus.web.render import page

MONITOR = requires("events.monitor")


@get("/api/v1/events/deliveries", guards=[MONITOR])
async def list_deliveries(status: FromQuery[str | None] = None) -> list[dict[str, Any]]:
    """Recent event deliveries of the district (``?status=failed`` for the failures)."""
    return await event_log(status)


async def _retry(newsplus: Any, delivery_id: int) -> None:
    if not await Delivery.exists().where((Delivery.id == delivery_id) & (Delivery.status == "failed")):
        raise NotFound("No such failed delivery")
    await newsplus.dispatcher.retry(delivery_id)


@post("/api/v1/events/deliveries/{delivery_id:int}/retry", guards=[MONITOR], status_code=HTTP_204_NO_CONTENT)
async def retry_delivery(delivery_id: FromPath[int], newsplus: NewsplusDep) -> None:
    """Queue a failed delivery again."""
    await _retry(newsplus, delivery_id)


@get("/desk/events", guards=[MONITOR])
async def deliveries_page(request: Request, status: FromQuery[str | None] = None) -> Template:
    """The delivery log: what went out, what is being retried, what failed."""
    return await page(request, "events/desk/deliveries.html", rows=await event_log(status), status=status or "")


@post("/desk/events/{delivery_id:int}/retry", guards=[MONITOR], status_code=303)
async def retry_from_desk(delivery_id: FromPath[int], newsplus: NewsplusDep) -> Redirect:
    """Queue a failed delivery again from the desk."""
    await _retry(newsplus, delivery_id)
    return Redirect("/desk/events?status=failed", status_code=303)


ROUTES = [list_deliveries, retry_delivery, deliveries_page, retry_from_desk]
