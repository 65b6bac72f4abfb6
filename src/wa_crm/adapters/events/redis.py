"""Event bus on Redis Streams, shared by every replica that talks to the same Redis.

One stream per association (``{stream_prefix}{association_id}``), trimmed to about
``max_length`` entries, which is the replay window. An entry holds ``type``, ``data`` (JSON) and
``at`` (ISO 8601); its Redis id (``<ms>-<seq>``) is the event id, so ids grow per association
and an SSE ``Last-Event-ID`` is simply a position in the stream.

Every subscriber runs its own blocking ``XREAD`` loop from its own position: a slow one only
falls behind (past the trimmed end it loses the oldest events) and holds up nobody. A waiting
subscriber holds a connection for up to ``block_ms``, so give blocking reads their own client
(``reader``, best without a socket timeout; ``from_url`` does both) and publishers never wait for
a connection behind subscribers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Mapping
from datetime import datetime
from typing import Any, Self

from redis.asyncio import Redis
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT, FieldT

from wa_crm.ports.events import LiveEvent, PublishedEvent
from wa_crm.ports.system import Clock

__all__ = ["EventBusUnavailable", "RedisEventBus"]

_log = logging.getLogger(__name__)
_STREAM_ID = re.compile(r"([0-9]{1,20})(?:-([0-9]{1,20}))?")  # "<ms>-<seq>"; "<ms>" is "<ms>-0"
_MAX_PART = 2**64 - 1


class EventBusUnavailable(Exception):
    """Redis was unreachable or refused the command: the event was not published, or the
    subscription ended (an SSE client reconnects with its ``Last-Event-ID`` and misses nothing
    the stream still holds)."""


class RedisEventBus:
    def __init__(
        self,
        client: Redis,
        clock: Clock,
        *,
        stream_prefix: str = "wa_crm:events:",
        max_length: int = 10_000,
        block_ms: int = 5_000,
        reader: Redis | None = None,
    ) -> None:
        if block_ms <= 0:
            raise ValueError("block_ms must be positive (0 would make XREAD block forever)")
        self._client, self._reader, self._clock = client, reader or client, clock
        self._prefix, self._max_length, self._block_ms = stream_prefix, max_length, block_ms
        self._owned: tuple[Redis, ...] = ()

    @classmethod
    def from_url(
        cls,
        url: str,
        clock: Clock,
        *,
        stream_prefix: str = "wa_crm:events:",
        max_length: int = 10_000,
        block_ms: int = 5_000,
        max_subscribers: int = 1_000,
    ) -> Self:
        """A bus with its own clients (closed by ``aclose``): one for publishing, and one for
        blocking reads with up to ``max_subscribers`` connections. The reader has no socket
        timeout (each read has its own deadline instead): on Python 3.11 redis-py sends through
        ``asyncio.wait_for`` when there is one, which can swallow a cancellation, and the
        subscriber would then only notice after ``block_ms``."""
        client = Redis.from_url(url)
        reader = Redis.from_url(url, max_connections=max_subscribers, socket_timeout=None)
        bus = cls(
            client,
            clock,
            stream_prefix=stream_prefix,
            max_length=max_length,
            block_ms=block_ms,
            reader=reader,
        )
        bus._owned = (client, reader)
        return bus

    async def aclose(self) -> None:
        """Close the clients ``from_url`` made; clients passed in belong to the caller."""
        for client in self._owned:
            await client.aclose()

    async def publish(self, event: LiveEvent) -> PublishedEvent:
        at = self._clock.now()
        fields: dict[FieldT, EncodableT] = {
            "type": event.type.value,
            "data": json.dumps(event.data, ensure_ascii=False),
            "at": at.isoformat(),
        }
        command = self._client.xadd(
            self._key(event.association_id), fields, maxlen=self._max_length, approximate=True
        )
        event_id = await _call(command, "could not publish to Redis")
        return PublishedEvent(
            _text(event_id), event.type.value, event.association_id, event.data, at
        )

    async def subscribe(
        self, association_id: str, *, after_id: str | None = None
    ) -> AsyncIterator[PublishedEvent]:
        key = self._key(association_id)
        position = await self._start(key, after_id)
        while True:
            for entry_id, fields in await self._read(key, position):
                position = _text(entry_id)
                event = _event(association_id, position, fields)
                if event is not None:
                    yield event

    def _key(self, association_id: str) -> str:
        return self._prefix + association_id

    async def _start(self, key: str, after_id: str | None) -> str:
        """``after_id`` when it is a position the stream has passed, else the current end: an
        id that is not a stream id, or one from the future, replays nothing and follows live."""
        newest = await _call(self._client.xrevrange(key, count=1), "could not subscribe on Redis")
        end = _text(newest[0][0]) if newest else "0-0"
        wanted = _position(after_id)
        end_position = _position(end)
        if wanted is None or end_position is None or wanted > end_position:
            return end
        return f"{wanted[0]}-{wanted[1]}"

    async def _read(self, key: str, position: str) -> list[tuple[Any, Mapping[Any, Any]]]:
        command = self._reader.xread({key: position}, count=100, block=self._block_ms)
        deadline = self._block_ms / 1000 + 5
        response = await _call(command, "could not read events from Redis", deadline=deadline)
        if not response:
            return []
        if isinstance(response, dict):  # RESP3: {key: [entries]}
            return list(next(iter(response.values()))[0])
        return list(response[0][1])  # RESP2: [[key, entries]]


async def _call(command: Awaitable[Any], failure: str, *, deadline: float | None = None) -> Any:
    """Await a Redis command, its errors translated.

    With ``deadline`` (blocking reads) a socket timeout shorter than the block is no error: the
    reply is empty and the caller asks again. A cancellation that redis-py lost (it sends through
    ``asyncio.wait_for`` when the client has a socket timeout, and on Python 3.11 that can hide a
    cancellation: bpo-42130) is raised again here, or a cancelled subscriber would read on.
    """
    task = asyncio.current_task()
    cancels = task.cancelling() if task is not None else 0
    try:
        async with asyncio.timeout(deadline):
            result = await command
    except RedisTimeoutError as error:
        if deadline is None:
            raise EventBusUnavailable(f"{failure}: {error}") from error
        result = None
    except RedisError as error:
        raise EventBusUnavailable(f"{failure}: {error}") from error
    except TimeoutError as error:
        raise EventBusUnavailable(f"{failure}: no reply within {deadline} s") from error
    if task is not None and task.cancelling() > cancels:
        raise asyncio.CancelledError
    return result


def _event(association_id: str, event_id: str, fields: Mapping[Any, Any]) -> PublishedEvent | None:
    try:
        values = {_text(name): _text(value) for name, value in fields.items()}
        return PublishedEvent(
            id=event_id,
            type=values["type"],
            association=association_id,
            data=json.loads(values["data"]),
            at=datetime.fromisoformat(values["at"]),
        )
    except (KeyError, ValueError):
        # one bad entry (another writer, another version) must not end every subscription
        _log.warning("skipping malformed event entry %s of %s", event_id, association_id)
        return None


def _position(event_id: str | None) -> tuple[int, int] | None:
    match = _STREAM_ID.fullmatch(event_id or "")
    if match is None:
        return None
    ms, seq = int(match[1]), int(match[2] or 0)
    return (ms, seq) if ms <= _MAX_PART and seq <= _MAX_PART else None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else value
