"""The EventBus contract: one abstract suite, subclassed once per adapter.

An adapter's test class provides a ``bus`` fixture (built on the suite's ``clock``) and
``slow_subscriber_bound``: the most events a subscriber that stopped reading still gets once it
reads again (the memory bus's queue size; about a Redis stream's ``max_length``).

A subscription is known to be in place only once it has seen an event, so ``listen`` publishes
probe events (``alert`` with ``{"probe": true}``) until the new subscriber sees one. Assertions
look at the other events, a recorder's ``real`` ones.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import pytest

from wa_crm.ports.events import EventBus, EventType, LiveEvent, PublishedEvent
from wa_crm.testing.clock import FakeClock

A, B = "association-a", "association-b"
CLOCK_START = datetime(2026, 3, 2, 13, 0, 0, 123456, tzinfo=UTC)
TIMEOUT = 10.0  # generous; a green run takes a fraction of it
BURST = 1_200
DATA: dict[str, Any] = {
    "text": "Olá, ação! ✅ 你好 👩🏽‍⚕️",
    "quoted": 'say "hi"\n\t\\ </script>',
    "int": 42,
    "big": 2**53 + 1,
    "negative": -7,
    "float": 3.0,
    "pi": 3.141592653589793,
    "tiny": 1e-12,
    "true": True,
    "false": False,
    "none": None,
    "empty_object": {},
    "empty_list": [],
    "nested": {"list": [1, "two", 3.5, None, {"deep": [True, False, {"ç": "ñ"}]}]},
    "chave com espaço e ç": "x",
}


def an_event(
    association: str = A, n: int = 0, kind: EventType = EventType.MESSAGE_CREATED
) -> LiveEvent:
    return LiveEvent(kind, association, {"n": n})


def is_probe(event: PublishedEvent) -> bool:
    return event.data == {"probe": True}


def id_key(event_id: str) -> tuple[int, ...]:
    """Both adapters issue dash-separated unsigned integers ("7", "1795701373551-0")."""
    return tuple(int(part) for part in event_id.split("-"))


def ids(events: list[PublishedEvent]) -> list[str]:
    return [event.id for event in events]


async def probe_until(bus: EventBus, association: str, seen: Callable[[], bool]) -> None:
    async with asyncio.timeout(TIMEOUT):
        while True:
            await bus.publish(LiveEvent(EventType.ALERT, association, {"probe": True}))
            for _ in range(10):
                await asyncio.sleep(0.002)
                if seen():
                    return


async def next_of(subscription: AsyncIterator[PublishedEvent]) -> PublishedEvent:
    return await anext(subscription)


async def close(subscription: AsyncIterator[PublishedEvent]) -> None:
    aclose = getattr(subscription, "aclose", None)  # the port promises an iterator, not a generator
    if aclose is not None:
        await aclose()


class Recorder:
    """Reads one subscription in its own task, as an SSE connection does."""

    def __init__(self, subscription: AsyncIterator[PublishedEvent]) -> None:
        self.events: list[PublishedEvent] = []
        self._changed = asyncio.Event()
        self.task = asyncio.create_task(self._read(subscription))
        self.task.add_done_callback(lambda _: self._changed.set())

    async def _read(self, subscription: AsyncIterator[PublishedEvent]) -> None:
        async for event in subscription:
            self.events.append(event)
            self._changed.set()

    @property
    def real(self) -> list[PublishedEvent]:
        return [event for event in self.events if not is_probe(event)]

    def saw_any(self) -> bool:
        self._raise_if_failed()
        return bool(self.events)

    async def wait_for_real(self, count: int) -> list[PublishedEvent]:
        try:
            async with asyncio.timeout(TIMEOUT):
                while len(self.real) < count:
                    self._raise_if_failed()
                    if self.task.done():
                        pytest.fail(f"the subscription ended after {len(self.real)} events")
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            pytest.fail(f"timed out waiting for {count} events (got {len(self.real)})")
        return self.real

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.wait([self.task])  # unlike `await task`, lets a cancellation of ours through
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self.task.done() and not self.task.cancelled():
            self.task.result()


class Listen(Protocol):
    def __call__(
        self, association: str = A, *, after_id: str | None = None
    ) -> Awaitable[Recorder]: ...


class EventBusContract:
    slow_subscriber_bound: int

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock(CLOCK_START)

    @pytest.fixture
    def bus(self, clock: FakeClock) -> EventBus:
        raise NotImplementedError("the adapter's test class provides a bus fixture")

    @pytest.fixture
    async def listen(self, bus: EventBus) -> AsyncIterator[Listen]:
        """Subscribe in a task, probe until the subscription is in place; stopped after the test."""
        recorders: list[Recorder] = []

        async def listen(association: str = A, *, after_id: str | None = None) -> Recorder:
            recorder = Recorder(bus.subscribe(association, after_id=after_id))
            recorders.append(recorder)
            await probe_until(bus, association, recorder.saw_any)
            return recorder

        yield listen
        for recorder in recorders:
            await recorder.stop()

    # --- publishing -----------------------------------------------------------------------

    async def test_publish_returns_the_published_event(self, bus: EventBus) -> None:
        published = await bus.publish(
            LiveEvent(EventType.CONVERSATION_UPDATED, A, {"status": "human"})
        )
        assert isinstance(published, PublishedEvent)
        assert isinstance(published.id, str) and published.id
        assert published.type == "conversation.updated"
        assert published.association == A
        assert published.data == {"status": "human"}
        assert published.at == CLOCK_START and published.at.tzinfo is not None

    async def test_ids_increase_per_association(self, bus: EventBus) -> None:
        published: dict[str, list[PublishedEvent]] = {A: [], B: []}
        for n in range(30):
            for association in (A, B):
                published[association].append(await bus.publish(an_event(association, n)))
        for events in published.values():
            keys = [id_key(event.id) for event in events]
            assert keys == sorted(keys) and len(set(keys)) == len(keys)

    # --- live delivery --------------------------------------------------------------------

    async def test_a_subscriber_gets_what_is_published_after_it_subscribed_in_order(
        self, bus: EventBus, listen: Listen
    ) -> None:
        for n in range(3):
            await bus.publish(an_event(n=n))  # before: not for a subscriber without after_id
        recorder = await listen()
        published = [await bus.publish(an_event(n=n)) for n in range(50)]
        received = await recorder.wait_for_real(50)
        assert received == published

    async def test_every_event_type_is_delivered(self, bus: EventBus, listen: Listen) -> None:
        recorder = await listen()
        for kind in EventType:
            await bus.publish(an_event(kind=kind))
        received = await recorder.wait_for_real(len(EventType))
        assert [event.type for event in received] == [kind.value for kind in EventType]

    async def test_a_subscriber_sees_only_its_association(
        self, bus: EventBus, listen: Listen
    ) -> None:
        of_a, of_b = await listen(A), await listen(B)
        published: dict[str, list[PublishedEvent]] = {A: [], B: []}
        for n in range(20):
            for association in (A, B):
                published[association].append(await bus.publish(an_event(association, n)))
        assert await of_a.wait_for_real(20) == published[A]
        assert await of_b.wait_for_real(20) == published[B]
        assert {event.association for event in of_a.events} == {A}
        assert {event.association for event in of_b.events} == {B}

    async def test_two_subscribers_each_get_every_event(
        self, bus: EventBus, listen: Listen
    ) -> None:
        first, second = await listen(), await listen()
        published = []
        for n in range(100):
            published.append(await bus.publish(an_event(n=n)))
            await asyncio.sleep(0)
        assert await first.wait_for_real(100) == published
        assert await second.wait_for_real(100) == published

    # --- replay ---------------------------------------------------------------------------

    async def test_resuming_gives_exactly_what_followed_then_live_events(
        self, bus: EventBus, listen: Listen
    ) -> None:
        before = [await bus.publish(an_event(n=n)) for n in range(6)]
        recorder = await listen(after_id=before[2].id)
        after = [await bus.publish(an_event(n=n)) for n in range(6, 9)]
        received = await recorder.wait_for_real(6)
        assert received == before[3:] + after
        assert len(set(ids(recorder.events))) == len(recorder.events)  # none twice

    async def test_resuming_from_the_newest_id_replays_nothing(
        self, bus: EventBus, listen: Listen
    ) -> None:
        before = [await bus.publish(an_event(n=n)) for n in range(3)]
        recorder = await listen(after_id=before[-1].id)
        later = await bus.publish(an_event(n=3))
        assert await recorder.wait_for_real(1) == [later]

    async def test_resuming_from_zero_replays_all_that_is_kept(
        self, bus: EventBus, listen: Listen
    ) -> None:
        published = [await bus.publish(an_event(n=n)) for n in range(5)]
        recorder = await listen(after_id="0")
        assert await recorder.wait_for_real(5) == published

    async def test_each_resume_point_gives_the_rest(self, bus: EventBus, listen: Listen) -> None:
        published = [await bus.publish(an_event(n=n)) for n in range(5)]
        for index, event in enumerate(published):
            recorder = await listen(after_id=event.id)
            assert await recorder.wait_for_real(4 - index) == published[index + 1 :]

    @pytest.mark.parametrize(
        "after_id",
        ["", "not-an-id", "²", "-1", "1.5", "$", "+", "1-2-3", "18446744073709551616-0"],
    )
    async def test_an_id_that_is_not_one_replays_nothing_and_follows_live(
        self, bus: EventBus, listen: Listen, after_id: str
    ) -> None:
        for n in range(3):
            await bus.publish(an_event(n=n))
        recorder = await listen(after_id=after_id)
        later = await bus.publish(an_event(n=3))
        assert await recorder.wait_for_real(1) == [later]

    async def test_an_id_from_the_future_follows_live(self, bus: EventBus, listen: Listen) -> None:
        """Say from before a restart: it must not hide events until the ids catch up."""
        last = [await bus.publish(an_event(n=n)) for n in range(3)][-1]
        first, *rest = id_key(last.id)
        future = "-".join(str(part) for part in (first + 1_000_000, *rest))
        recorder = await listen(after_id=future)
        later = await bus.publish(an_event(n=3))
        assert await recorder.wait_for_real(1) == [later]

    # --- slow subscribers -----------------------------------------------------------------

    async def test_a_slow_subscriber_holds_up_neither_publishers_nor_others(
        self, bus: EventBus, listen: Listen
    ) -> None:
        fast = await listen()
        slow = bus.subscribe(A)
        first = asyncio.create_task(next_of(slow))
        try:
            await probe_until(bus, A, first.done)
            first.result()
            published = []
            async with asyncio.timeout(TIMEOUT):  # the slow one must not stall publishing
                for n in range(BURST):
                    published.append(await bus.publish(an_event(n=n)))
                    await asyncio.sleep(0)  # publishers are tasks too: the fast one gets turns
            assert await fast.wait_for_real(BURST) == published

            # reading again, the slow one finds the newest events, in order, none twice
            late: list[PublishedEvent] = []
            async with asyncio.timeout(TIMEOUT):
                while not late or late[-1].id != published[-1].id:
                    event = await anext(slow)
                    if not is_probe(event):
                        late.append(event)
            assert 0 < len(late) <= self.slow_subscriber_bound
            assert late == published[-len(late) :]
        finally:
            first.cancel()
            await close(slow)

    # --- ending a subscription ------------------------------------------------------------

    async def test_cancelling_the_consumer_ends_the_subscription(
        self, bus: EventBus, listen: Listen
    ) -> None:
        recorder = await listen()
        recorder.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            async with asyncio.timeout(TIMEOUT):
                await recorder.task
        assert recorder.task.cancelled()
        seen = len(recorder.events)

        other = await listen()  # the bus still serves others
        later = await bus.publish(an_event())
        assert await other.wait_for_real(1) == [later]
        assert len(recorder.events) == seen

    async def test_closing_a_subscription_ends_it(self, bus: EventBus) -> None:
        subscription = bus.subscribe(A)
        first = asyncio.create_task(next_of(subscription))
        await probe_until(bus, A, first.done)
        assert is_probe(first.result())
        await close(subscription)
        await bus.publish(an_event())
        with pytest.raises(StopAsyncIteration):
            await anext(subscription)

    # --- data -----------------------------------------------------------------------------

    async def test_data_and_time_round_trip(
        self, bus: EventBus, listen: Listen, clock: FakeClock
    ) -> None:
        live = await listen()
        clock.advance(1.5)
        published = await bus.publish(LiveEvent(EventType.MESSAGE_UPDATED, A, DATA))
        [received] = await live.wait_for_real(1)
        replayed = await listen(after_id=live.events[-2].id)  # the probe just before
        [again] = await replayed.wait_for_real(1)
        for event in (published, received, again):
            assert event.data == DATA
            # same JSON types too: 3.0 stays a float, True stays a bool
            assert json.dumps(event.data, sort_keys=True) == json.dumps(DATA, sort_keys=True)
            assert (event.id, event.type, event.association) == (
                published.id,
                "message.updated",
                A,
            )
            assert event.at == clock.now() and event.at.tzinfo is not None
