"""The real-time stream: notifications pushed to connected clients over SSE, from any worker.

Each process keeps its connected clients in a hub. What one process creates reaches the others through
PostgreSQL ``LISTEN/NOTIFY`` (only ids and small fields travel; the payload stays under 8,000 bytes);
with SQLite there is one process and the hub is all there is. A dropped listener connection is reopened,
and a client that reconnects sends ``Last-Event-ID`` to get what it missed from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus import db
from newsplus.districts.scope import all_districts
from newsplus.events.background import Background
from newsplus.notifications.audience import Audience
from newsplus.notifications.tables import Broadcast
from newsplus.users.access import CurrentUser

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = ["CHANNEL", "StreamHub", "Subscription"]

CHANNEL = "newsplus_stream"
logger = logging.getLogger("newsplus.stream")


class Subscription:
    """One connected client: its queue, and who it is (to match broadcast audiences)."""

    __slots__ = ("queue", "tags", "user")

    def __init__(self, queue: asyncio.Queue, user: CurrentUser, tags: frozenset[str]) -> None:
        self.queue, self.user, self.tags = queue, user, tags


class StreamHub:
    """Connected SSE clients of this process, by district and user."""

    def __init__(self, queue_size: int = 100) -> None:
        self.clients: dict[tuple[int, int], set[Subscription]] = defaultdict(set)
        self.queue_size = queue_size
        self._listener = Background()
        self._tasks: set[asyncio.Task] = set()

    def subscribe(self, district_id: int, user: CurrentUser, tags: frozenset[str]) -> Subscription:
        """Register a client; its queue receives the user's messages until it unsubscribes."""
        subscription = Subscription(queue=asyncio.Queue(maxsize=self.queue_size), user=user, tags=tags)
        self.clients[(district_id, user.id)].add(subscription)
        return subscription

    def unsubscribe(self, district_id: int, subscription: Subscription) -> None:
        """Forget a disconnected client (costs nothing more once done)."""
        key = (district_id, subscription.user.id)
        subscriptions = self.clients.get(key)
        if subscriptions is not None:
            subscriptions.discard(subscription)
            if not subscriptions:
                del self.clients[key]

    @staticmethod
    def _put(subscription: Subscription, message: dict[str, Any]) -> None:
        queue = subscription.queue
        if queue.full():  # a stuck client loses its oldest message; it never blocks the others
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
        queue.put_nowait(message)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Hand a message to this process's clients: one user's, or a broadcast's audience."""
        district = message["district"]
        if message.get("user") is not None:
            for subscription in list(self.clients.get((district, message["user"]), ())):
                self._put(subscription, message)
            return
        listeners = [s for (d, _), subs in list(self.clients.items()) if d == district for s in subs]
        if not listeners:
            return
        with all_districts():
            row = await Broadcast.select(Broadcast.audience).where(Broadcast.id == message["broadcast"]).first()
        if row is None:
            return
        audience = Audience.decode(row["audience"])
        for subscription in listeners:
            if audience.matches(subscription.user, subscription.tags):
                self._put(subscription, message)

    async def send(self, newsplus: Newsplus, message: dict[str, Any]) -> None:
        """Send a message to every process's clients (NOTIFY on PostgreSQL, directly with SQLite)."""
        if db.is_postgres(newsplus.engine):
            await Broadcast.raw("SELECT pg_notify({}, {})", CHANNEL, msgspec.json.encode(message).decode())
        else:
            await self.dispatch(message)

    def start(self, newsplus: Newsplus) -> None:
        """On PostgreSQL, listen for other workers' messages (reconnecting when the connection drops)."""
        if db.is_postgres(newsplus.engine):
            self._listener.start(self._listen(newsplus), name="newsplus-stream-listener")

    async def stop(self) -> None:
        """Stop listening."""
        await self._listener.stop(grace=0)

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = msgspec.json.decode(payload)
        except msgspec.DecodeError:
            logger.warning("ignored a malformed stream message")
            return
        task = asyncio.get_running_loop().create_task(self.dispatch(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _listen(self, newsplus: Newsplus) -> None:
        import asyncpg

        while True:
            connection = None
            try:
                connection = await asyncpg.connect(newsplus.settings.database.url)
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _connection, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, self._on_notify)
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception:  # a dropped connection: try again shortly
                logger.warning("stream listener lost its connection; reconnecting", exc_info=True)
            finally:
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close()
            await asyncio.sleep(1)
