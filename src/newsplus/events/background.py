"""A task a worker runs in the background for as long as the app runs (delivery, scheduling, listening)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

__all__ = ["Background"]


class Background:
    """Holds one background task: started once, cancelled and awaited on stop."""

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    def start(self, work: Coroutine[Any, Any, Any], name: str) -> None:
        """Start ``work`` unless a task is already running."""
        if self._task is None:
            self._task = asyncio.create_task(work, name=name)
        else:
            work.close()

    async def stop(self) -> None:
        """Cancel the task and wait until it has finished."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
