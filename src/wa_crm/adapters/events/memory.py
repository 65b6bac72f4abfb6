"""In-process event bus with a bounded replay buffer per association.

Each subscriber has its own bounded queue; when a slow subscriber's queue is full its oldest
event is dropped, so one slow client never holds up publishers or other subscribers. A client
that reconnects with ``Last-Event-ID`` replays what the buffer still holds. Ids are ``"1"``,
``"2"``, … per association and start again with the process.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import AsyncIterator

from wa_crm.ports.events import LiveEvent, PublishedEvent
from wa_crm.ports.system import Clock

__all__ = ["InMemoryEventBus"]


class InMemoryEventBus:
    def __init__(self, clock: Clock, replay_size: int = 1000, queue_size: int = 500) -> None:
        self._clock = clock
        self._replay: defaultdict[str, deque[PublishedEvent]] = defaultdict(
            lambda: deque(maxlen=replay_size)
        )
        self._subscribers: defaultdict[str, set[asyncio.Queue[PublishedEvent]]] = defaultdict(set)
        self._last_ids: defaultdict[str, int] = defaultdict(int)
        self._queue_size = queue_size

    async def publish(self, event: LiveEvent) -> PublishedEvent:
        self._last_ids[event.association_id] += 1
        published = PublishedEvent(
            id=str(self._last_ids[event.association_id]),
            type=event.type.value,
            association=event.association_id,
            data=event.data,
            at=self._clock.now(),
        )
        self._replay[event.association_id].append(published)
        for queue in self._subscribers[event.association_id]:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(published)
        return published

    async def subscribe(
        self, association_id: str, *, after_id: str | None = None
    ) -> AsyncIterator[PublishedEvent]:
        queue: asyncio.Queue[PublishedEvent] = asyncio.Queue(self._queue_size)
        self._subscribers[association_id].add(queue)
        try:
            # An id this bus never issued (not a number, or one from before a restart, which
            # would otherwise hide every event until the counter caught up) replays nothing.
            newest = self._last_ids.get(association_id, 0)
            last = _sequence(after_id)
            if last is None or last > newest:
                last = newest
            # The queue is registered before the replay is read, so an event published meanwhile
            # may be seen twice; ``last`` filters the second sighting.
            for event in list(self._replay[association_id]):
                if int(event.id) > last:
                    last = int(event.id)
                    yield event
            while True:
                event = await queue.get()
                if int(event.id) > last:
                    last = int(event.id)
                    yield event
        finally:
            self._subscribers[association_id].discard(queue)


def _sequence(event_id: str | None) -> int | None:
    """The number in an id of this bus; ``None`` for anything else (``"²"`` passes
    ``str.isdigit`` but not ``int``)."""
    if event_id is None or not (event_id.isascii() and event_id.isdigit()):
        return None
    return int(event_id)
