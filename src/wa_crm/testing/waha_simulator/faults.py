"""Fault injection for the WAHA routes (never for `/_sim/`), set by `POST /_sim/faults`.

Modes:
- `500`: WAHA's catch-all 500 body.
- `429`: `{"statusCode":429,...}` with `Retry-After` (the seconds left, at least 1).
- `463`: HTTP 500 whose `exception.message` is "2 UNKNOWN: server returned error 463", WhatsApp's
  reach-out limit. Only message sends (`POST /api/send*` except `sendSeen`) fail this way; other
  routes keep working, as on a real account.
- `timeout`: the request is held for `fault_timeout_seconds` (30 s by default) before it is
  served normally. It is released early when the client disconnects, when the fault is cleared
  and when the simulator shuts down, so nothing hangs.
- `refuse`: the connection is aborted without an answer (TCP reset, so the client sees a
  connection error such as `httpx.ReadError` / `RemoteProtocolError`; a true "connection
  refused" would need the listening socket closed). This works under uvicorn, whose `send` is
  bound to the connection; under another server (e.g. `httpx.ASGITransport`) the request raises
  `ConnectionResetError` inside the app instead.
- `lost_answer`: a message send (as for `463`) is carried out, the message is sent and its
  events go out, but the answer never leaves: the request is held until the client gives up
  (or `fault_timeout_seconds`), then the connection is dropped. Real WAHA keeps sending what a
  client stopped waiting for, which `timeout` (it drops the held request) does not show.
- `none`: back to normal.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Message, Receive, Scope, Send

FAULT_MODES = ("500", "429", "timeout", "refuse", "463", "lost_answer", "none")
MESSAGE_463 = "2 UNKNOWN: server returned error 463"


@dataclass
class FaultState:
    mode: str = "none"
    until: float | None = None  # time.monotonic() deadline; None: until cleared

    def set(self, mode: str, seconds: float | None) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {FAULT_MODES}")
        self.mode = mode
        self.until = None if mode == "none" or seconds is None else time.monotonic() + seconds

    def active(self) -> str | None:
        if self.mode == "none":
            return None
        if self.until is not None and time.monotonic() >= self.until:
            self.mode, self.until = "none", None
            return None
        return self.mode

    def remaining(self) -> float | None:
        if self.until is None:
            return None
        return max(0.0, self.until - time.monotonic())

    def to_json(self) -> dict[str, Any]:
        mode = self.active() or "none"
        return {"mode": mode, "seconds_left": self.remaining() if mode != "none" else None}


def is_waha_route(path: str) -> bool:
    return not (path == "/_sim" or path.startswith("/_sim/"))


def is_message_send(method: str, path: str) -> bool:
    return method == "POST" and path.startswith("/api/send") and path != "/api/sendSeen"


async def buffer_body(receive: Receive) -> tuple[list[Message], bool]:
    """Read the whole request body; returns the messages and whether the client left."""
    messages: list[Message] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return messages, True
        messages.append(message)
        if not message.get("more_body", False):
            return messages, False


def replay(messages: list[Message], receive: Receive) -> Receive:
    queue = list(messages)

    async def replayed() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replayed


async def hold_request(
    faults: FaultState, receive: Receive, seconds: float, closing: asyncio.Event
) -> bool:
    """Wait while the timeout fault lasts; False if the client disconnected meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def next_message() -> Message:
        return await receive()

    disconnect: asyncio.Task[Message] = loop.create_task(next_message())
    try:
        while loop.time() < deadline and faults.active() == "timeout" and not closing.is_set():
            done, _ = await asyncio.wait({disconnect}, timeout=0.05)
            if done:
                if disconnect.result()["type"] == "http.disconnect":
                    return False
                disconnect = loop.create_task(next_message())
    finally:
        if not disconnect.done():
            disconnect.cancel()
    return not closing.is_set()


async def wait_for_disconnect(receive: Receive, seconds: float, closing: asyncio.Event) -> None:
    """Until the client leaves (its body already read), ``seconds`` pass or the simulator
    closes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def next_message() -> Message:
        return await receive()

    message: asyncio.Task[Message] = loop.create_task(next_message())
    try:
        while loop.time() < deadline and not closing.is_set():
            done, _ = await asyncio.wait({message}, timeout=0.05)
            if done:
                if message.result()["type"] == "http.disconnect":
                    return
                message = loop.create_task(next_message())
    finally:
        if not message.done():
            message.cancel()


async def abort_connection(send: Send) -> None:
    """Drop the TCP connection without answering (uvicorn); else raise ConnectionResetError."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        raise ConnectionResetError("simulated 'refuse' fault")
    transport.abort()
    # let connection_lost() run so uvicorn sees the disconnect and does not answer 500 itself
    for _ in range(3):
        await asyncio.sleep(0)


def retry_after_seconds(faults: FaultState) -> str:
    remaining = faults.remaining()
    return str(max(1, math.ceil(remaining))) if remaining is not None else "60"


def scope_query(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return dict(parse_qsl(raw))
