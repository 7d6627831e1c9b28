"""Webhooks: a district's own systems receive events as JSON POSTs signed with HMAC-SHA256.

Headers: ``X-Newsplus-Event`` (the event name), ``X-Newsplus-Delivery`` (the event's key, the same on
every retry) and ``X-Newsplus-Signature: sha256=<hex of HMAC(secret, body)>``. A receiver checks the
signature with its copy of the secret. A non-2xx answer or a timeout is retried with back-off by the
event dispatcher and listed in the desk's delivery log.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import hmac
import ipaddress
import secrets
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec

from newsplus.clock import now
from newsplus.districts.scope import current_district
from newsplus.errors import InvalidInput, NotFound
from newsplus.events.outbox import Event, event_name
from newsplus.notifications.tables import Webhook

if TYPE_CHECKING:
    import httpx

    from newsplus.runtime import Newsplus

__all__ = ["create_webhook", "deliver_webhook", "list_webhooks", "remove_webhook", "sign", "subscribed_webhooks"]

TIMEOUT = 10.0  # seconds, for connecting and for each read


def sign(secret: str, body: bytes) -> str:
    """The signature header value of a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise InvalidInput("A webhook URL must start with http:// or https://", extra={"field": "url"})
    return url


async def create_webhook(url: str, events: str = "*", description: str = "") -> dict[str, Any]:
    """Register a receiver for the events matching ``events`` (``*``, ``wenzheng.*``, names, comma-separated).

    Returns the webhook with its secret, which is shown this once.
    """
    patterns = ",".join(p.strip() for p in (events or "*").split(",") if p.strip()) or "*"
    secret = secrets.token_hex(32)
    row = Webhook(url=_check_url(url), secret=secret, events=patterns, description=description[:200], created_at=now())
    await row.save()
    return {"id": row.id, "url": row.url, "events": patterns, "description": row.description, "secret": secret}


async def list_webhooks() -> list[dict[str, Any]]:
    """The district's webhooks (without secrets)."""
    return await Webhook.select(
        Webhook.id, Webhook.url, Webhook.events, Webhook.description, Webhook.active, Webhook.created_at
    ).order_by(Webhook.id)


async def remove_webhook(webhook_id: int) -> None:
    """Stop sending to a webhook."""
    if not await Webhook.delete().where(Webhook.id == webhook_id).returning(Webhook.id):
        raise NotFound("No such webhook")


async def subscribed_webhooks(name: str) -> list[str]:
    """Delivery targets (``webhook:<id>``) of the current district's webhooks that want this event."""
    rows = await Webhook.select(Webhook.id, Webhook.events).where(Webhook.active == True)  # noqa: E712
    return [
        f"webhook:{r['id']}"
        for r in rows
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in r["events"].split(","))
    ]


async def _check_destination(url: str, allowed: tuple[str, ...]) -> None:
    """Refuse a host that resolves to a loopback, private, link-local or otherwise non-public address.

    A district's webhook must not become a way into the platform's own network; systems on a private
    network are named in ``webhook_private_networks``.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError:
        raise ConnectionError("the webhook host name does not resolve") from None
    networks = [ipaddress.ip_network(n, strict=False) for n in allowed]
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if (address.is_global and not address.is_multicast) or any(address in n for n in networks):
            continue
        raise ConnectionError("the webhook host is not a public address (see webhook_private_networks)")


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Whether a signature header value is the body's, under this secret (constant time)."""
    return bool(secret) and hmac.compare_digest(sign(secret, body), signature or "")


async def post_signed(
    newsplus: Newsplus, url: str, secret: str, payload: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    """POST JSON signed with the secret to a public address (or an allowed private network); raise unless 2xx."""
    import httpx  # here, not at the top: it is slow to import and only deliveries need it

    await _check_destination(url, newsplus.plugin_settings["notifications"].webhook_private_networks)
    body = msgspec.json.encode(payload)
    sent = {
        "Content-Type": "application/json",
        "X-Newsplus-Signature": sign(secret, body),
        "User-Agent": "newsplus-webhook",
        **(headers or {}),
    }
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
        response = await client.post(url, content=body, headers=sent)
    if not response.is_success:
        raise ConnectionError(f"{urlsplit(url).hostname} answered {response.status_code}")
    return response


async def deliver_webhook(target: str, event: Event, newsplus: Newsplus) -> None:
    """POST one event to one webhook; raise on anything but a 2xx answer (the dispatcher retries)."""
    row = await Webhook.select(Webhook.url, Webhook.secret, Webhook.active).where(Webhook.id == int(target)).first()
    if row is None or not row["active"]:
        return  # removed or paused since: nothing to send
    payload = {
        "event": event_name(event),
        "key": event.key,
        "district": current_district().slug,
        "data": msgspec.to_builtins(event),
    }
    headers = {"X-Newsplus-Event": event_name(event), "X-Newsplus-Delivery": event.key}
    await post_signed(newsplus, row["url"], row["secret"], payload, headers)
