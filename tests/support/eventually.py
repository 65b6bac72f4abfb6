"""Waiting for what a service does in the background (a job, a live event), without sleeps of
a fixed length."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def eventually(read: Callable[[], Awaitable[Any]], done: Callable[[Any], bool]) -> Any:
    """``read()``'s first value that is ``done``, polled every 50 ms for up to 15 s."""
    value = None
    for _ in range(300):
        value = await read()
        if done(value):
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened; last seen {value!r}")
