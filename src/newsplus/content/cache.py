"""What every reader sees alike, kept in each worker and dropped when the district's content version moves.

Every change readers can see bumps the district's row in ``content_version`` in the same transaction
(``changes()``). A worker asks the database for the version at most once per ``change_check_seconds``, so a
publish on one worker is visible on every other within that bound, and a cached page costs no query.
An entry may also carry its own ``valid_until`` (the next scheduled go-live, expiry or pin change), so
time-driven changes show on time without anyone writing.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsplus import db
from newsplus.clock import now
from newsplus.content.tables import ContentVersion
from newsplus.districts.scope import current_district

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

MAX_ENTRIES = 5000
# Pages after the first (by cursor) are kept too, since readers scrolling a feed ask for the same ones, but
# fewer: a crawler walking every page must not fill a worker's memory.
MAX_CURSOR_PAGES = 500
MAX_AGE_SECONDS = 60.0


class ContentCache:
    """A bounded per-worker cache keyed by (district, key), valid for one content version."""

    def __init__(self, check_seconds: float = 1.0, max_entries: int = MAX_ENTRIES) -> None:
        self.check_seconds = check_seconds
        self.max_entries = max_entries
        self._versions: dict[int, tuple[int, float]] = {}
        self._entries: OrderedDict[tuple[int, Any], tuple[int, datetime | None, float, Any]] = OrderedDict()
        self._building: dict[Any, asyncio.Future] = {}
        self.hits = 0
        self.misses = 0

    async def version(self, district_id: int) -> int:
        """The district's content version, asked of the database at most once per ``check_seconds``."""
        known = self._versions.get(district_id)
        moment = time.monotonic()
        if known is not None and moment - known[1] < self.check_seconds:
            return known[0]

        async def ask() -> int:
            row = await ContentVersion.select(ContentVersion.version).first()
            version = row["version"] if row else 0
            self._versions[district_id] = (version, moment)
            return version

        return await self._once(("version", district_id), ask)

    async def _once(self, slot: Any, work: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``work()`` once for all the requests that want the same slot at the same moment.

        Under load, every request arriving while an entry is being built (or the version asked) would
        otherwise do the same work again, queueing on the database and stretching the slowest answers.
        """
        loop = asyncio.get_running_loop()
        pending = self._building.get(slot)
        if pending is not None and pending.get_loop() is loop:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this request itself was cancelled
                # the request doing the work went away: do it here instead
        future = loop.create_future()
        self._building[slot] = future
        try:
            result = await work()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # the waiters, if any, raise it; nobody else needs to see it
            raise
        else:
            future.set_result(result)
            return result
        finally:
            if self._building.get(slot) is future:
                del self._building[slot]

    async def get(self, key: Any, build: Callable[[], Awaitable[tuple[Any, datetime | None]]]) -> Any:
        """The cached value for ``key`` in this district, or ``build()``'s (value, valid_until), stored."""
        district_id = current_district().id
        version = await self.version(district_id)
        slot = (district_id, key)
        entry = self._entries.get(slot)
        moment = time.monotonic()
        if (
            entry is not None
            and entry[0] == version
            and (entry[1] is None or now() < entry[1])
            and moment - entry[2] < MAX_AGE_SECONDS
        ):
            self._entries.move_to_end(slot)
            self.hits += 1
            return entry[3]
        self.misses += 1
        value, valid_until = await self._once((*slot, version), build)  # shared only within one version
        if value is None:  # a miss is not kept: unknown ids must not push real entries out
            return None
        self._entries[slot] = (version, valid_until, moment, value)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value

    def drop(self, key: Any) -> None:
        """Forget one entry of the current district in this worker (its own writes show at once)."""
        self._entries.pop((current_district().id, key), None)

    def forget(self, district_id: int) -> None:
        """Make the next read ask the database for the version (after this worker committed a change)."""
        self._versions.pop(district_id, None)


def content_cache(newsplus: Newsplus, *, cursor_pages: bool = False) -> ContentCache:
    """The worker's content cache; ``cursor_pages`` gives the smaller one for feed pages after the first."""
    name = "content.cursor_pages" if cursor_pages else "content.cache"
    cache = newsplus.state.get(name)
    if cache is None:
        check = newsplus.plugin_settings["content"].change_check_seconds
        cache = newsplus.state[name] = ContentCache(check, MAX_CURSOR_PAGES if cursor_pages else MAX_ENTRIES)
    return cache


async def bump_version() -> None:
    """Move the current district's content version on (inside the caller's transaction)."""
    updated = await ContentVersion.update({ContentVersion.version: ContentVersion.version + 1}, force=True).returning(
        ContentVersion.id
    )
    if not updated:  # the district's first change: make its row (once, however many race), then count it
        await ContentVersion.insert(ContentVersion(version=0)).on_conflict(action="DO NOTHING")
        await ContentVersion.update({ContentVersion.version: ContentVersion.version + 1}, force=True)


@asynccontextmanager
async def changes(newsplus: Newsplus) -> AsyncIterator[None]:
    """A transaction whose commit readers see: it bumps the version, and this worker looks again after."""
    async with db.transaction():
        yield
        await bump_version()
    for cache in (content_cache(newsplus), content_cache(newsplus, cursor_pages=True)):
        cache.forget(current_district().id)
