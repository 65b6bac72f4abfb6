"""Conversations that end (the ``close_inactive`` job) and conversations that wait too long for
an agent (the ``check_first_response`` job), on the memory adapters with a fake clock."""

from __future__ import annotations

import dataclasses
import functools
from datetime import UTC, datetime, time, timedelta

import pytest
from tests.support.live_events import publishing_to

from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from wa_crm.adapters.memory.queries import in_memory_queries
from wa_crm.domain.model.association import (
    AssignmentSettings,
    Association,
    BotSettings,
    BusinessHours,
    BusinessWindow,
)
from wa_crm.domain.model.conversation import (
    Channel,
    Conversation,
    ConversationStatus,
    HandoffReason,
)
from wa_crm.domain.model.job_commands import CheckFirstResponse, CloseInactive
from wa_crm.domain.model.jobs import Attempt
from wa_crm.domain.model.message import Author, Direction
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.inbox import inactivity
from wa_crm.domain.usecases.inbox.first_response import CheckFirstResponses
from wa_crm.domain.usecases.inbox.inactivity import CloseInactiveConversations
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.ports.queries import ConversationQuery
from wa_crm.testing.clock import FakeClock, SequentialIds

HOUR = 3600.0
FIRST = Attempt(1, 5)
COUNTS = {"bot": 0, "pending": 0, "human": 0, "resolved": 0}
CLOSING = "Encerramos por falta de resposta. É só escrever de novo."


class World:
    def __init__(self, association: Association) -> None:
        self.clock = FakeClock(association.created_at)
        self.ids = SequentialIds()
        store = InMemoryStore()
        bus = InMemoryEventBus(self.clock)
        self.uow_factory = functools.partial(InMemoryUnitOfWork, store, publishing_to(bus))
        self.queries = in_memory_queries(store)
        self.association = association
        self.close = CloseInactiveConversations(self.uow_factory, self.clock, self.ids)
        self.check = CheckFirstResponses(self.uow_factory, self.clock)

    async def conversation(
        self, contact: str, *, waiting: bool = False, opted_out: bool = False
    ) -> Conversation:
        """A conversation the contact opened now, with the bot, or handed off to agents."""
        now = self.clock.now()
        conversation = Conversation.open(
            id=self.ids.new_id(),
            association_id=self.association.id,
            contact_id=contact,
            channel=Channel.WHATSAPP,
            session="default",
            at=now,
            bot_available=True,
        )
        conversation.receive(self.ids.new_id(), now)
        async with self.uow_factory() as uow:
            await uow.contacts.add(
                Contact(contact, self.association.id, f"{contact}@c.us", now, opted_out_at=now)
                if opted_out
                else Contact(contact, self.association.id, f"{contact}@c.us", now)
            )
            if waiting:
                conversation.hand_off(HandoffReason.KEYWORD)
                await uow.handoffs.record(self.association.id, conversation.id, "keyword", now)
            await uow.conversations.add(conversation)
            await uow.commit()
        return conversation

    async def after(self, hours: float) -> None:
        self.clock.advance(hours * HOUR)
        await self.close(CloseInactive(self.association.id), FIRST)
        await self.check(CheckFirstResponse(self.association.id), FIRST)

    async def get(self, conversation: Conversation) -> Conversation:
        async with self.uow_factory() as uow:
            found = await uow.conversations.get(self.association.id, conversation.id)
        assert found is not None
        return found

    async def sent(self, conversation: Conversation) -> list[tuple[Author, str | None]]:
        async with self.uow_factory() as uow:
            messages = await uow.messages.all_of_conversation(self.association.id, conversation.id)
        return [(m.author, m.body) for m in messages if m.direction is Direction.OUT]

    async def alerts(self) -> list[tuple[str, str]]:
        found = await self.queries.monitoring.recent_alerts(self.association.id, 50)
        return [(alert.kind, alert.message) for alert in found]

    async def next_run(self, key: str) -> datetime:
        async with self.uow_factory() as uow:
            job = await uow.jobs.get_by_key(f"{key}:{self.association.id}")
        assert job is not None
        return job.run_after


def an_association(first_response_minutes: int | None = 30) -> Association:
    return Association(
        "a",
        "a",
        "A",
        datetime(2026, 3, 2, 13, 0, tzinfo=UTC),  # Monday, 10:00 in São Paulo
        bot=BotSettings(closing_message=CLOSING, inactivity_close_hours=24),
        assignment=AssignmentSettings(first_response_minutes=first_response_minutes),
    )


@pytest.fixture
async def world() -> World:
    built = World(an_association())
    async with built.uow_factory() as uow:
        await uow.associations.add(built.association)
        await uow.commit()
    return built


async def test_a_silent_bot_conversation_is_closed_with_the_closing_message_once(
    world: World,
) -> None:
    silent = await world.conversation("k1")
    await world.after(23.9)
    assert (await world.get(silent)).status is ConversationStatus.BOT
    await world.after(0.2)
    closed = await world.get(silent)
    assert (closed.status, closed.resolved_at) == (ConversationStatus.RESOLVED, world.clock.now())
    assert await world.sent(silent) == [(Author.SYSTEM, CLOSING)]
    await world.after(1)
    assert await world.sent(silent) == [(Author.SYSTEM, CLOSING)]
    assert await world.next_run("close_inactive") == world.clock.now() + timedelta(minutes=5)


async def test_an_opted_out_contact_is_closed_silently(world: World) -> None:
    opted_out = await world.conversation("k1", opted_out=True)
    await world.after(25)
    assert (await world.get(opted_out)).status is ConversationStatus.RESOLVED
    assert await world.sent(opted_out) == []


async def test_what_agents_hold_or_put_aside_stays_open(world: World) -> None:
    waiting = await world.conversation("k1", waiting=True)
    snoozed = await world.conversation("k2")
    async with world.uow_factory() as uow:
        stored = await uow.conversations.get("a", snoozed.id)
        assert stored is not None
        stored.snooze(world.clock.now() + timedelta(days=3), world.clock.now())
        await uow.conversations.update(stored)
        await uow.commit()
    await world.after(48)
    assert (await world.get(waiting)).status is ConversationStatus.PENDING
    assert (await world.get(snoozed)).status is ConversationStatus.BOT


async def test_a_full_batch_runs_again_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inactivity, "BATCH", 2)
    for number in range(3):
        await world.conversation(f"k{number}")
    world.clock.advance(25 * HOUR)
    await world.close(CloseInactive("a"), FIRST)
    assert await world.next_run("close_inactive") == world.clock.now()
    counts = (await world.queries.inbox.page("a", ConversationQuery(), "ag")).counts
    assert counts == COUNTS | {"bot": 1, "resolved": 2}
    await world.close(CloseInactive("a"), FIRST)
    counts = (await world.queries.inbox.page("a", ConversationQuery(), "ag")).counts
    assert counts == COUNTS | {"resolved": 3}
    assert await world.next_run("close_inactive") == world.clock.now() + timedelta(minutes=5)


async def test_a_handoff_nobody_answers_in_time_is_late_once_until_an_agent_answers(
    world: World,
) -> None:
    waiting = await world.conversation("k1", waiting=True)
    await world.after(29 / 60)
    assert (await world.get(waiting)).sla_breached_at is None
    await world.after(2 / 60)
    assert (await world.get(waiting)).sla_breached_at == world.clock.now()
    late = [
        ("sla_breached", "Uma conversa aguarda há mais de 30 min a primeira resposta da equipe.")
    ]
    assert await world.alerts() == late
    await world.after(1)
    assert await world.alerts() == late
    async with world.uow_factory() as uow:
        conversation = await uow.conversations.get("a", waiting.id)
        assert conversation is not None
        conversation.reply_by_agent("ana")
        await queue_outbound(
            uow,
            world.ids,
            conversation,
            Outgoing("Oi!", Author.AGENT, agent_id="ana"),
            world.clock.now(),
        )
        await uow.conversations.update(conversation)
        await uow.commit()
    assert (await world.get(waiting)).sla_breached_at is None
    await world.after(2)
    assert (await world.get(waiting)).sla_breached_at is None
    assert await world.alerts() == late


async def test_only_business_hours_count_toward_the_target() -> None:
    friday_17_50 = datetime(2026, 3, 6, 20, 50, tzinfo=UTC)  # São Paulo, UTC-3
    weekdays = BusinessHours(
        "America/Sao_Paulo", tuple(BusinessWindow(day, time(9), time(18)) for day in range(5))
    )
    association = dataclasses.replace(
        an_association(), created_at=friday_17_50, bot=BotSettings(business_hours=weekdays)
    )
    world = World(association)
    async with world.uow_factory() as uow:
        await uow.associations.add(association)
        await uow.commit()
    waiting = await world.conversation("k1", waiting=True)
    await world.after(63 + 25 / 60)  # Monday 9:15: 10 + 15 business minutes
    assert (await world.get(waiting)).sla_breached_at is None
    await world.after(6 / 60)  # 9:21
    assert (await world.get(waiting)).sla_breached_at == world.clock.now()


async def test_no_target_and_conversations_taken_or_put_aside_are_never_late(world: World) -> None:
    taken = await world.conversation("k1", waiting=True)
    snoozed = await world.conversation("k2", waiting=True)
    async with world.uow_factory() as uow:
        for conversation, change in (
            (taken, lambda c: c.claim("ana")),
            (snoozed, lambda c: c.snooze(world.clock.now() + timedelta(days=1), world.clock.now())),
        ):
            stored = await uow.conversations.get("a", conversation.id)
            assert stored is not None
            change(stored)
            await uow.conversations.update(stored)
        await uow.commit()
    await world.after(2)
    assert [(await world.get(c)).sla_breached_at for c in (taken, snoozed)] == [None, None]

    untimed = World(an_association(first_response_minutes=None))
    async with untimed.uow_factory() as uow:
        await uow.associations.add(untimed.association)
        await uow.commit()
    waiting = await untimed.conversation("k1", waiting=True)
    await untimed.after(5)
    assert (await untimed.get(waiting)).sla_breached_at is None
    assert await untimed.next_run("check_first_response") == untimed.clock.now() + timedelta(
        minutes=1
    )
