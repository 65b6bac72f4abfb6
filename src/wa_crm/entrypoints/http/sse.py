"""``GET /api/associations/{slug}/events``: the association's events as Server-Sent Events.

Each event goes out with its ``id:``, so a client that reconnects with ``Last-Event-ID`` (or
``?last_event_id=``) gets what it missed while the bus still holds it. Pings keep proxies from
closing an idle stream, and a client that cannot take a message within the send timeout is
dropped rather than allowed to hold anything up; the bus bounds what waits for it.

An open stream is what makes its agent online for automatic assignment: it is recorded when
the stream opens, again with each keep-alive ping, and when it closes (``presence.py``).

Each agent may hold ``WA_CRM_MAX_EVENT_STREAMS_PER_AGENT`` streams per process (a few tabs);
the next gets 429, so one stolen credential cannot pin the server's memory and connections.
A stream checks its credential again at least every ``RECHECK_SECONDS`` while it delivers
events, and ends once the session has ended, the token was revoked or the agent was disabled.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from wa_crm.container import Container
from wa_crm.domain.model.audit import AuditAction
from wa_crm.entrypoints.http.auth import Caller, agent_route, credential_check
from wa_crm.entrypoints.http.errors import error_response
from wa_crm.entrypoints.http.mount import mount_path
from wa_crm.entrypoints.http.presence import StreamPresence
from wa_crm.entrypoints.http.views import media_url
from wa_crm.ports.events import PublishedEvent

PING_SECONDS = 15
SEND_TIMEOUT_SECONDS = 10
RECHECK_SECONDS = 15


class OpenStreams:
    """How many event streams each agent holds open in this process."""

    def __init__(self, per_agent: int) -> None:
        self._per_agent = per_agent
        self._open: Counter[str] = Counter()

    def acquire(self, agent_id: str) -> bool:
        if self._open[agent_id] >= self._per_agent:
            return False
        self._open[agent_id] += 1
        return True

    def release(self, agent_id: str) -> None:
        self._open[agent_id] -= 1
        if self._open[agent_id] <= 0:
            del self._open[agent_id]


class _CountedStream(EventSourceResponse):
    """Gives the stream's place back however the response ends, even before it started."""

    def __init__(self, *args: Any, release: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def _for_agents(event_type: str, data: dict[str, Any], slug: str, base: str) -> dict[str, Any]:
    """Media of message events is served by us, as in the API's message view."""
    media = data.get("media") if event_type.startswith("message.") else None
    if isinstance(media, dict):
        url = media_url(base, slug, data["id"]) if media.get("stored") else None
        data = {**data, "media": {**media, "url": url}}
    return data


class _Rendered:
    """Each event is rendered once for all the association's clients, not once per client."""

    def __init__(self, size: int = 512) -> None:
        self._cache: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._size = size

    def __call__(self, event: PublishedEvent, slug: str, base: str) -> str:
        """``base``: the app's mount path, which the event's media links start with."""
        key = (event.association, event.id, base)
        text = self._cache.get(key)
        if text is None:
            payload = {
                "id": event.id,
                "type": event.type,
                "association": slug,
                "data": _for_agents(event.type, event.data, slug, base),
                "at": event.at.isoformat(),
            }
            text = self._cache[key] = json.dumps(payload, ensure_ascii=False)
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return text


render = _Rendered()


async def _subscribed_before(
    subscription: AsyncIterator[PublishedEvent], first: Callable[[], Awaitable[None]]
) -> AsyncIterator[PublishedEvent]:
    """The subscription's events, with the subscription taken before ``first`` runs.

    The inbox loads its lists once its stream is open: an event published after those reads
    must reach it, so the bus subscription comes first, and the presence write (which may wait
    for SQLite's writer) after it."""
    upcoming = asyncio.ensure_future(anext(subscription))
    try:
        await first()
        while True:
            yield await upcoming
            upcoming = asyncio.ensure_future(anext(subscription))
    finally:
        upcoming.cancel()


@agent_route(audit=AuditAction.EVENTS_SUBSCRIBED)
async def events(request: Request, caller: Caller) -> Response:
    """The association's live events (SSE), resumable with Last-Event-ID."""
    container: Container = request.app.state.container
    streams: OpenStreams = request.app.state.event_streams
    agent_id = caller.agent.id
    if not streams.acquire(agent_id):
        return error_response(429, "too_many_streams", "this agent has too many open streams")
    after = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    # Plain values only: a stream lives for hours, it should not keep the caller's objects.
    slug, association_id = caller.identity.association.slug, caller.association_id
    base = mount_path(request)
    bus, gauge = container.event_bus(), container.metrics().sse_clients
    presence = StreamPresence(container.presence(), association_id, caller.agent.id)
    still_valid = credential_check(request, caller)

    async def stream() -> AsyncIterator[ServerSentEvent]:
        gauge.inc()
        try:
            checked = time.monotonic()
            subscription = bus.subscribe(association_id, after_id=after)
            async for event in _subscribed_before(subscription, presence.opened):
                if time.monotonic() - checked >= RECHECK_SECONDS:
                    if not await still_valid():
                        return
                    checked = time.monotonic()
                yield ServerSentEvent(data=render(event, slug, base), event=event.type, id=event.id)
        finally:
            gauge.dec()
            await presence.closed()

    return _CountedStream(
        stream(),
        release=lambda: streams.release(agent_id),
        ping=PING_SECONDS,
        send_timeout=SEND_TIMEOUT_SECONDS,
        data_sender_callable=lambda: presence.keep(PING_SECONDS),
    )


routes = [Route("/api/associations/{slug}/events", events, methods=["GET"])]
