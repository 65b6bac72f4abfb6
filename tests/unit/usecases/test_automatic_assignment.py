"""Automatic assignment on the memory adapters: round robin among online agents under the limit,
passes when a slot frees or an agent comes online, requeueing what offline agents hold, and
presence from event streams."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.hypothesis_profiles import examples
from tests.support.live_events import publishing_to

from wa_crm.adapters.memory import (
    InMemoryMediaStore,
    InMemoryStore,
    InMemoryUnitOfWork,
    InMemoryWhatsAppGateway,
)
from wa_crm.adapters.memory.queries import in_memory_queries
from wa_crm.domain.model.association import AssignmentSettings, Association
from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.errors import InvalidInput
from wa_crm.domain.model.job_commands import AssignmentCheck, AssignmentPass
from wa_crm.domain.model.people import Agent, AgentRole, Contact
from wa_crm.domain.usecases.inbound.media import MediaLimits
from wa_crm.domain.usecases.inbox.agent_actions import AgentActions, AgentRequest
from wa_crm.domain.usecases.inbox.assignment import (
    AssignWaiting,
    CheckAssignments,
    UpdateAssignmentSettings,
    request_assignment,
)
from wa_crm.domain.usecases.inbox.presence import ListAgents, PresenceTracker
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.ports.events import EventType, LiveEvent, PublishedEvent
from wa_crm.ports.queries import ConversationQuery
from wa_crm.testing.clock import T0, FakeClock, SequentialIds

S = ConversationStatus
A = "assoc"


class RecordingBus:
    def __init__(self) -> None:
        self.events: list[LiveEvent] = []

    async def publish(self, event: LiveEvent) -> PublishedEvent:
        self.events.append(event)
        return PublishedEvent(str(len(self.events)), event.type.value, A, event.data, T0)

    def assigned(self) -> list[tuple[str, str]]:
        return [
            (e.data["conversation_id"], e.data["agent_id"])
            for e in self.events
            if e.type is EventType.ALERT and e.data["kind"] == "assigned"
        ]


class World:
    def __init__(self, *agents: str, **assignment: Any) -> None:
        self.clock, self.ids = FakeClock(), SequentialIds("c")
        self.bus = RecordingBus()
        store = InMemoryStore()
        self.uow_factory = functools.partial(InMemoryUnitOfWork, store, publishing_to(self.bus))
        self.queries = in_memory_queries(store)
        self.agents = agents
        self.settings = AssignmentSettings(**{"enabled": True, **assignment})
        self.presence = PresenceTracker(self.uow_factory, self.clock)
        handlers = {
            AssignmentPass: AssignWaiting(self.uow_factory, self.clock),
            AssignmentCheck: CheckAssignments(self.uow_factory, self.clock),
        }
        self.runner = JobRunner(self.uow_factory, self.clock, handlers, "worker")
        self.actions = AgentActions(
            self.uow_factory,
            self.clock,
            self.ids,
            InMemoryWhatsAppGateway(),
            InMemoryMediaStore(),
            MediaLimits(),
        )

    async def setup(self) -> None:
        association = Association(A, "assoc", "Assoc", T0, assignment=self.settings)
        async with self.uow_factory() as uow:
            await uow.associations.add(association)
            for name in self.agents:
                await uow.agents.add(
                    Agent(name, A, f"{name}@x.org", name, AgentRole.AGENT, "hash", T0)
                )
            await uow.commit()

    async def online(self, *agents: str) -> None:
        for agent in agents:
            await self.presence.opened(A, agent)

    async def waiting(self, count: int = 1) -> list[str]:
        """Conversations that open pending (the bot may not answer), as ingest opens them."""
        ids = []
        async with self.uow_factory() as uow:
            association = await uow.associations.get(A)
            assert association is not None
            for _ in range(count):
                self.clock.advance(1)
                chat = f"{self.ids.new_id()}@c.us"
                contact = Contact(self.ids.new_id(), A, chat, self.clock.now())
                await uow.contacts.add(contact)
                conversation = Conversation.open(
                    id=self.ids.new_id(),
                    association_id=A,
                    contact_id=contact.id,
                    channel=Channel.WHATSAPP,
                    session="default",
                    at=self.clock.now(),
                    bot_available=False,
                )
                await uow.conversations.add(conversation)
                await request_assignment(uow, association, conversation, self.clock.now())
                ids.append(conversation.id)
            await uow.commit()
        return ids

    async def run_jobs(self) -> None:
        while await self.runner.run_due():
            pass

    async def conversations(self) -> dict[str, Conversation]:
        listed = await self.queries.inbox.page(A, ConversationQuery(limit=1000), "nobody")
        found = listed.conversations
        return {c.id: c for c in found}

    async def load(self) -> Counter[str | None]:
        return Counter(c.holder for c in (await self.conversations()).values() if c.is_open)


async def test_waiting_conversations_go_round_robin_to_online_agents_up_to_the_limit() -> None:
    world = World("ana", "bia", "carla", max_open_per_agent=2)
    await world.setup()
    await world.online("ana", "bia")  # carla's inbox is closed
    conversations = await world.waiting(5)
    await world.run_jobs()

    routed = world.bus.assigned()
    assert [agent for _, agent in routed] == ["ana", "bia", "ana", "bia"]
    assert [conversation for conversation, _ in routed] == conversations[:4], "oldest first"
    by_id = await world.conversations()
    assert all(by_id[c].status is S.PENDING for c in conversations), "routed, not taken"
    assert by_id[conversations[4]].assignee_id is None
    assert await world.load() == {"ana": 2, "bia": 2, None: 1}
    updated = [e for e in world.bus.events if e.type is EventType.CONVERSATION_UPDATED]
    assert {e.data["id"] for e in updated} == set(conversations[:4])


async def test_a_freed_slot_or_an_agent_coming_online_lets_the_queue_through() -> None:
    world = World("ana", "bia", max_open_per_agent=1)
    await world.setup()
    await world.online("ana")
    first, second, third = await world.waiting(3)
    await world.run_jobs()
    assert await world.load() == {"ana": 1, None: 2}

    resolved = await world.actions.resolve(AgentRequest(A, first, "ana"))
    assert resolved.unwrap().status is S.RESOLVED
    await world.run_jobs()
    assert (await world.conversations())[second].assignee_id == "ana"

    await world.online("bia")
    await world.run_jobs()
    assert (await world.conversations())[third].assignee_id == "bia"
    assert world.bus.assigned() == [(first, "ana"), (second, "ana"), (third, "bia")]


async def test_claiming_keeps_the_agent_busy_and_nothing_is_routed_while_disabled() -> None:
    world = World("ana", max_open_per_agent=1)
    await world.setup()
    await world.online("ana")
    (first,) = await world.waiting()
    await world.run_jobs()
    claimed = await world.actions.claim(AgentRequest(A, first, "ana"))
    assert (claimed.unwrap().status, claimed.unwrap().assignee_id) == (S.HUMAN, "ana")
    (second,) = await world.waiting()
    await world.run_jobs()
    assert (await world.conversations())[second].assignee_id is None, "ana is at her limit"

    update = UpdateAssignmentSettings(world.uow_factory, world.clock)
    disabled = dataclasses.replace(world.settings, enabled=False, max_open_per_agent=5)
    (await update(A, disabled)).unwrap()
    (third,) = await world.waiting()
    async with world.uow_factory() as uow:
        assert await uow.jobs.get_by_key(f"{AssignmentPass.kind}:{third}") is None
    await world.online("ana")
    await world.run_jobs()
    assert await world.load() == {"ana": 1, None: 2}


async def test_settings_are_validated() -> None:
    world = World()
    await world.setup()
    update = UpdateAssignmentSettings(world.uow_factory, world.clock)
    for wrong in (
        AssignmentSettings(max_open_per_agent=0),
        AssignmentSettings(max_open_per_agent=501),
        AssignmentSettings(offline_reassign_minutes=0),
    ):
        assert isinstance((await update(A, wrong)).failure(), InvalidInput)
    never = AssignmentSettings(enabled=True, offline_reassign_minutes=None)
    assert (await update(A, never)).unwrap().assignment == never


async def test_conversations_of_an_agent_offline_too_long_are_routed_again() -> None:
    world = World("ana", "bia", max_open_per_agent=3, offline_reassign_minutes=5)
    await world.setup()
    update = UpdateAssignmentSettings(world.uow_factory, world.clock)
    (await update(A, world.settings)).unwrap()  # starts the periodic check
    await world.online("ana", "bia")
    conversations = await world.waiting(4)
    await world.run_jobs()
    bias = [c for c, agent in world.bus.assigned() if agent == "bia"]
    assert len(bias) == 2
    await world.actions.claim(AgentRequest(A, bias[0], "bia"))  # one human, one pending

    await world.presence.closed(A, "bia")
    for _ in range(8):  # 4 minutes: ana's inbox stays open, bia is not back yet
        world.clock.advance(30)
        await world.presence.still_open(A, "ana")
        await world.run_jobs()
    assert await world.load() == {"ana": 2, "bia": 2}

    for _ in range(4):  # past 5 minutes
        world.clock.advance(30)
        await world.presence.still_open(A, "ana")
        await world.run_jobs()
    by_id = await world.conversations()
    assert await world.load() == {"ana": 3, None: 1}
    assert by_id[bias[0]].status is S.PENDING, "requeued from human"
    assert {by_id[c].holder for c in bias} == {"ana", None}
    assert set(conversations) == set(by_id)


async def test_an_agent_stays_online_until_the_last_stream_closes_or_expires() -> None:
    world = World("ana")
    await world.setup()
    listing = ListAgents(world.uow_factory, world.clock)

    async def online() -> bool:
        (ana,) = await listing(A)
        return ana.online

    assert not await online()
    await world.presence.opened(A, "ana")
    await world.presence.opened(A, "ana")
    await world.presence.closed(A, "ana")
    assert await online()
    await world.presence.closed(A, "ana")
    assert not await online()

    await world.presence.opened(A, "ana")
    world.clock.advance(40)
    await world.presence.still_open(A, "ana")  # throttled: 40 s after the last write is fine
    world.clock.advance(10)
    assert await online()
    world.clock.advance(40)
    assert not await online(), "a stream that stopped reporting expires"


async def test_presence_is_written_at_most_once_per_throttle() -> None:
    world = World("ana")
    await world.setup()
    await world.presence.opened(A, "ana")
    seen_at = world.clock.now()
    for _ in range(14):
        world.clock.advance(1)
        await world.presence.still_open(A, "ana")
    async with world.uow_factory() as uow:
        (record,) = await uow.assignment.presence(A)
    assert record.last_seen_at == seen_at
    world.clock.advance(1)
    await world.presence.still_open(A, "ana")
    async with world.uow_factory() as uow:
        (record,) = await uow.assignment.presence(A)
    assert record.last_seen_at == world.clock.now()


@settings(max_examples=examples(40), deadline=None)
@given(
    agents=st.lists(
        st.tuples(st.booleans(), st.integers(min_value=0, max_value=4)), min_size=1, max_size=5
    ),
    limit=st.integers(min_value=1, max_value=4),
    waiting=st.integers(min_value=0, max_value=12),
)
def test_a_pass_routes_only_to_online_agents_and_never_past_the_limit(
    agents: list[tuple[bool, int]], limit: int, waiting: int
) -> None:
    async def scenario() -> None:
        names = [f"agent-{n}" for n in range(len(agents))]
        world = World(*names, max_open_per_agent=limit)
        await world.setup()
        initial: dict[str, int] = {}
        for name, (is_online, held) in zip(names, agents, strict=True):
            if is_online:
                await world.online(name)
            for conversation in await world.waiting(held):
                await world.actions.claim(AgentRequest(A, conversation, name))
            initial[name] = held
        await world.waiting(waiting)
        await world.run_jobs()

        load = await world.load()
        routed = Counter(agent for _, agent in world.bus.assigned())
        online = {name for name, (is_online, _) in zip(names, agents, strict=True) if is_online}
        assert set(routed) <= online
        capacity = sum(max(limit - initial[name], 0) for name in online)
        assert sum(routed.values()) == min(waiting, capacity)
        for name in names:
            assert load[name] == initial[name] + routed[name]
            assert routed[name] == 0 or load[name] <= limit
        assert load[None] == waiting - sum(routed.values())

    asyncio.run(scenario())
