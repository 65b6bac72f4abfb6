"""The EventBus contract against Redis Streams, plus replicas sharing one Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from wa_crm.adapters.events.redis import EventBusUnavailable, RedisEventBus
from wa_crm.ports.events import EventType, LiveEvent, PublishedEvent
from wa_crm.testing.clock import FakeClock

from .suite import (
    CLOCK_START,
    TIMEOUT,
    A,
    EventBusContract,
    Listen,
    Recorder,
    an_event,
    close,
    next_of,
    probe_until,
)

MAX_LENGTH = 500
NODE_ENTRIES = 100  # Redis's stream-node-max-entries: `MAXLEN ~` trims whole nodes only
BLOCK_MS = 50


class RedisAdapter:
    slow_subscriber_bound = MAX_LENGTH + NODE_ENTRIES

    @pytest.fixture
    async def bus(
        self, redis_url: str, stream_prefix: str, clock: FakeClock
    ) -> AsyncIterator[RedisEventBus]:
        bus = RedisEventBus.from_url(
            redis_url,
            clock,
            stream_prefix=stream_prefix,
            max_length=MAX_LENGTH,
            block_ms=BLOCK_MS,
        )
        yield bus
        await bus.aclose()


@pytest.mark.redis
class TestRedisEventBus(RedisAdapter, EventBusContract):
    async def test_an_entry_holds_type_json_data_and_iso_time(
        self, bus: RedisEventBus, redis_url: str, stream_prefix: str
    ) -> None:
        published = await bus.publish(LiveEvent(EventType.TYPING, A, {"state": "ação"}))
        client = Redis.from_url(redis_url, decode_responses=True)
        try:
            entries = await client.xrange(stream_prefix + A)
        finally:
            await client.aclose()
        assert entries is not None
        [(entry_id, fields)] = entries
        assert entry_id == published.id
        assert fields == {
            "type": "typing",
            "data": json.dumps({"state": "ação"}, ensure_ascii=False),
            "at": CLOCK_START.isoformat(),
        }

    async def test_a_stream_is_trimmed_to_about_max_length(
        self, bus: RedisEventBus, redis_url: str, stream_prefix: str
    ) -> None:
        for n in range(MAX_LENGTH * 3):
            await bus.publish(an_event(n=n))
        client = Redis.from_url(redis_url)
        try:
            length = await client.xlen(stream_prefix + A)
        finally:
            await client.aclose()
        assert MAX_LENGTH <= length <= MAX_LENGTH + NODE_ENTRIES

    async def test_a_malformed_entry_is_skipped(
        self, bus: RedisEventBus, listen: Listen, redis_url: str, stream_prefix: str
    ) -> None:
        recorder = await listen()
        client = Redis.from_url(redis_url)
        try:
            await client.xadd(stream_prefix + A, {"type": "typing", "data": "{not json"})
            await client.xadd(stream_prefix + A, {"something": "else"})
        finally:
            await client.aclose()
        later = await bus.publish(an_event())
        assert await recorder.wait_for_real(1) == [later]

    @pytest.mark.parametrize(("protocol", "decode"), [(2, True), (3, False), (3, True)])
    async def test_any_client_setup_works(
        self, redis_url: str, stream_prefix: str, clock: FakeClock, protocol: int, decode: bool
    ) -> None:
        client = Redis.from_url(redis_url, protocol=protocol, decode_responses=decode)
        bus = RedisEventBus(client, clock, stream_prefix=stream_prefix, block_ms=BLOCK_MS)
        recorder = Recorder(bus.subscribe(A))
        try:
            await probe_until(bus, A, recorder.saw_any)
            published = [await bus.publish(an_event(n=n)) for n in range(3)]
            assert await recorder.wait_for_real(3) == published
            replayed = Recorder(bus.subscribe(A, after_id=published[0].id))
            assert await replayed.wait_for_real(2) == published[1:]
            await replayed.stop()
        finally:
            await recorder.stop()
            await client.aclose()

    async def test_cancelling_never_waits_for_the_blocking_read(
        self, redis_url: str, stream_prefix: str, clock: FakeClock
    ) -> None:
        """At any moment, also just after a read returned: redis-py can lose a cancellation
        while it sends the next command, and the subscriber would block on for 30 s."""
        bus = RedisEventBus.from_url(redis_url, clock, stream_prefix=stream_prefix, block_ms=30_000)
        try:
            for turns in range(12):
                recorder = Recorder(bus.subscribe(A))
                await probe_until(bus, A, recorder.saw_any)
                await bus.publish(an_event())
                await recorder.wait_for_real(1)  # woken as it goes back to read
                for _ in range(turns):
                    await asyncio.sleep(0)
                async with asyncio.timeout(2):
                    await recorder.stop()
                assert recorder.task.cancelled()
            later = await bus.publish(an_event())  # and the bus still works
            again = Recorder(bus.subscribe(A, after_id=recorder.events[-1].id))
            assert await again.wait_for_real(1) == [later]
            await again.stop()
        finally:
            await bus.aclose()


@pytest.mark.redis
class TestRedisReplicas:
    """Two buses with their own clients, as two service processes would have."""

    @pytest.fixture
    async def replicas(
        self, redis_url: str, stream_prefix: str, clock: FakeClock
    ) -> AsyncIterator[tuple[RedisEventBus, RedisEventBus]]:
        clients = [Redis.from_url(redis_url) for _ in range(2)]
        first, second = (
            RedisEventBus(client, clock, stream_prefix=stream_prefix, block_ms=BLOCK_MS)
            for client in clients
        )
        yield first, second
        for client in clients:
            await client.aclose()

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock(CLOCK_START)

    async def test_an_event_published_on_one_reaches_a_subscriber_of_the_other(
        self, replicas: tuple[RedisEventBus, RedisEventBus]
    ) -> None:
        api, worker = replicas
        recorder = Recorder(api.subscribe(A))
        try:
            await probe_until(worker, A, recorder.saw_any)
            published = [await worker.publish(an_event(n=n)) for n in range(20)]
            assert await recorder.wait_for_real(20) == published
        finally:
            await recorder.stop()

    async def test_a_reconnecting_subscriber_gets_exactly_what_it_missed(
        self, replicas: tuple[RedisEventBus, RedisEventBus]
    ) -> None:
        api, worker = replicas
        subscription = api.subscribe(A)
        first = asyncio.create_task(next_of(subscription))
        await probe_until(worker, A, first.done)
        seen = [await worker.publish(an_event(n=n)) for n in range(3)]
        received: list[PublishedEvent] = []
        async with asyncio.timeout(TIMEOUT):
            while len(received) < 3:
                event = await anext(subscription)
                if event.data.get("n") is not None:
                    received.append(event)
        assert received == seen
        await close(subscription)  # the browser went away

        missed = [await worker.publish(an_event(n=n)) for n in range(3, 8)]
        # it comes back through the other replica, with the last id it saw
        recorder = Recorder(worker.subscribe(A, after_id=received[-1].id))
        try:
            assert await recorder.wait_for_real(5) == missed
            live = await api.publish(an_event(n=8))
            assert await recorder.wait_for_real(6) == [*missed, live]
            assert len({event.id for event in recorder.events}) == len(recorder.events)
        finally:
            await recorder.stop()


class TestRedisUnavailable:
    """Nothing listens on port 1: every call fails at once, with the adapter's error."""

    async def test_publishing_and_subscribing_fail_with_event_bus_unavailable(self) -> None:
        bus = RedisEventBus.from_url("redis://127.0.0.1:1/0", FakeClock(), block_ms=BLOCK_MS)
        try:
            with pytest.raises(EventBusUnavailable, match="could not publish"):
                await bus.publish(an_event())
            with pytest.raises(EventBusUnavailable, match="could not subscribe"):
                await anext(bus.subscribe(A))
        finally:
            await bus.aclose()

    def test_block_ms_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="block_ms"):
            RedisEventBus(Redis(), FakeClock(), block_ms=0)
