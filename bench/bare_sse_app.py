"""The ceiling for SSE fan-out: a bare Starlette + sse-starlette endpoint.

``GET /events`` streams what ``POST /publish`` broadcasts to every connected client through an
in-process set of asyncio queues; the stream is configured as the service's (same ping and send
timeout) and each event carries the service's payload shape (``id``, ``type``, ``data``, ``at``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

subscribers: set[asyncio.Queue[ServerSentEvent]] = set()
last_id = 0


async def events(request: Request) -> Response:
    async def stream() -> AsyncIterator[ServerSentEvent]:
        queue: asyncio.Queue[ServerSentEvent] = asyncio.Queue(500)
        subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            subscribers.discard(queue)

    return EventSourceResponse(stream(), ping=15, send_timeout=10)


async def publish(request: Request) -> JSONResponse:
    global last_id
    body = json.loads(await request.body())
    last_id += 1
    payload = {
        "id": str(last_id),
        "type": body["type"],
        "data": body["data"],
        "at": datetime.now(UTC).isoformat(),
    }
    event = ServerSentEvent(
        data=json.dumps(payload, ensure_ascii=False), event=body["type"], id=str(last_id)
    )
    for queue in subscribers:
        if queue.full():
            queue.get_nowait()
        queue.put_nowait(event)
    return JSONResponse({"id": str(last_id), "clients": len(subscribers)})


app = Starlette(
    routes=[
        Route("/events", events, methods=["GET"]),
        Route("/publish", publish, methods=["POST"]),
    ]
)
