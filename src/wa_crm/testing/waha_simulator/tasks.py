"""Background tasks (webhook deliveries, ack timers) that never block an API response."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return sum(1 for t in self._tasks if not t.done())

    async def wait_idle(self, seconds: float) -> bool:
        """Wait until no task is pending (tasks may spawn tasks); False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        current = asyncio.current_task()
        while True:
            pending = [t for t in self._tasks if not t.done() and t is not current]
            if not pending:
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await asyncio.wait(pending, timeout=remaining)

    async def cancel_all(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
