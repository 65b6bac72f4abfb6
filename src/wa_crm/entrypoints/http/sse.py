"""``GET /api/associations/{slug}/events``: the association's events as Server-Sent Events.

Each event goes out with its ``id:``, so a client that reconnects with ``Last-Event-ID`` (or
``?last_event_id=``) gets what it missed while the bus still holds it. Pings keep proxies from
closing an idle stream, and a client that cannot take a message within the send timeout is
dropped rather than allowed to hold anything up; the bus bounds what waits for it.

An open stream is what makes its agent online for automatic assignment: it is recorded when
the stream opens, again with each keep-alive ping, and when it closes (``presence.py``).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wa_crm.container import Container
from wa_crm.domain.model.audit import AuditAction
from wa_crm.entrypoints.http.auth import Caller, agent_route
from wa_crm.entrypoints.http.presence import StreamPresence
from wa_crm.ports.events import PublishedEvent

PING_SECONDS = 15
SEND_TIMEOUT_SECONDS = 10


def _for_agents(event_type: str, data: dict[str, Any], slug: str) -> dict[str, Any]:
    """Media of message events is served by us, as in the API's message view."""
    media = data.get("media") if event_type.startswith("message.") else None
    if isinstance(media, dict):
        url = f"/api/associations/{slug}/media/{data['id']}" if media.get("stored") else None
        data = {**data, "media": {**media, "url": url}}
    return data


class _Rendered:
    """Each event is rendered once for all the association's clients, not once per client."""

    def __init__(self, size: int = 512) -> None:
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._size = size

    def __call__(self, event: PublishedEvent, slug: str) -> str:
        key = (event.association, event.id)
        text = self._cache.get(key)
        if text is None:
            payload = {
                "id": event.id,
                "type": event.type,
                "association": slug,
                "data": _for_agents(event.type, event.data, slug),
                "at": event.at.isoformat(),
            }
            text = self._cache[key] = json.dumps(payload, ensure_ascii=False)
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return text


render = _Rendered()


@agent_route(audit=AuditAction.EVENTS_SUBSCRIBED)
async def events(request: Request, caller: Caller) -> Response:
    """The association's live events (SSE), resumable with Last-Event-ID."""
    container: Container = request.app.state.container
    after = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    # Plain values only: a stream lives for hours, it should not keep the caller's objects.
    slug, association_id = caller.identity.association.slug, caller.association_id
    bus, gauge = container.event_bus(), container.metrics().sse_clients
    presence = StreamPresence(container.presence(), association_id, caller.agent.id)

    async def stream() -> AsyncIterator[ServerSentEvent]:
        gauge.inc()
        try:
            await presence.opened()
            async for event in bus.subscribe(association_id, after_id=after):
                yield ServerSentEvent(data=render(event, slug), event=event.type, id=event.id)
        finally:
            gauge.dec()
            await presence.closed()

    return EventSourceResponse(
        stream(),
        ping=PING_SECONDS,
        send_timeout=SEND_TIMEOUT_SECONDS,
        data_sender_callable=lambda: presence.keep(PING_SECONDS),
    )


routes = [Route("/api/associations/{slug}/events", events, methods=["GET"])]
