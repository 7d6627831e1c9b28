"""A task a worker runs in the background for as long as the app runs (delivery, scheduling, listening)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

__all__ = ["Background"]


class Background:
    """Holds one background task: started once; on stop it is asked to finish, then cancelled if it lingers.

    A loop that checks ``stopping`` between rounds ends after its current round, so a stop never cuts a
    database transaction in half (an SQLite connection left mid-transaction would keep the file locked).
    """

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None
        self.stopping = asyncio.Event()

    def start(self, work: Coroutine[Any, Any, Any], name: str) -> None:
        """Start ``work`` unless a task is already running."""
        if self._task is None:
            self._task = asyncio.create_task(work, name=name)
        else:
            work.close()

    async def stop(self, grace: float = 5.0) -> None:
        """Ask the task to finish, wait up to ``grace`` seconds, then cancel it; return once it has ended."""
        if self._task is None:
            return
        self.stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            self._task.cancel()
        except Exception:  # the task's own failure was logged by it; stopping goes on
            pass
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self._task = None
        self.stopping = asyncio.Event()
