"""The EventBus contract against the in-process bus, plus what only it can show."""

from __future__ import annotations

import asyncio

import pytest

from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.testing.clock import FakeClock

from .suite import A, EventBusContract, Listen, an_event, close, probe_until

REPLAY_SIZE, QUEUE_SIZE = 300, 100


class InMemoryAdapter:
    slow_subscriber_bound = QUEUE_SIZE

    @pytest.fixture
    def bus(self, clock: FakeClock) -> InMemoryEventBus:
        return InMemoryEventBus(clock, replay_size=REPLAY_SIZE, queue_size=QUEUE_SIZE)


class TestInMemoryEventBus(InMemoryAdapter, EventBusContract):
    async def test_the_replay_buffer_keeps_only_the_newest(self, bus: InMemoryEventBus) -> None:
        published = [await bus.publish(an_event(n=n)) for n in range(REPLAY_SIZE + 50)]
        subscription = bus.subscribe(A, after_id="0")
        replayed = [await anext(subscription) for _ in range(REPLAY_SIZE)]
        await close(subscription)
        assert replayed == published[-REPLAY_SIZE:]

    async def test_an_ended_subscription_leaves_no_queue_behind(
        self, bus: InMemoryEventBus, listen: Listen
    ) -> None:
        recorder = await listen()
        await recorder.stop()
        subscription = bus.subscribe(A)
        first = asyncio.ensure_future(anext(subscription))
        await probe_until(bus, A, first.done)
        await close(subscription)
        assert not bus._subscribers[A]  # a queue left behind would fill with every event
