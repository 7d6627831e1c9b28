"""In-process sliding-window rate limits for logins, codes, submissions and votes."""

from __future__ import annotations

import time
from collections import deque

from newsplus.errors import RateLimited

__all__ = ["RateLimiter"]


class RateLimiter:
    """Counts hits per key in a sliding window; each worker keeps its own counts."""

    def __init__(self, clock=time.monotonic) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._clock = clock

    def hit(
        self, key: str, *, limit: int, per_seconds: float, detail: str = "Too many attempts, try again later"
    ) -> None:
        """Record one hit on ``key``; raise RateLimited when it is over ``limit`` within ``per_seconds``."""
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - per_seconds:
            hits.popleft()
        if len(hits) >= limit:
            raise RateLimited(detail, retry_after=int(hits[0] + per_seconds - now) + 1)
        hits.append(now)
        if len(self._hits) > 100_000:  # forget idle keys so memory stays bounded
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - 3600}

    def reset(self, key: str) -> None:
        """Forget a key's hits (after a successful login, say)."""
        self._hits.pop(key, None)
