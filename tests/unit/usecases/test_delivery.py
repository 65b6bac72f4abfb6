"""Delivery on the memory adapters: retries, dead letters and their retry, the circuit breaker,
bot messages a person made obsolete."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from tests.support.live_events import publishing_to

from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.memory import (
    InMemoryMediaStore,
    InMemoryStore,
    InMemoryUnitOfWork,
    InMemoryWhatsAppGateway,
)
from wa_crm.adapters.memory.queries import in_memory_queries
from wa_crm.adapters.system.metrics import Metrics
from wa_crm.domain.model.association import Association, WhatsAppSettings
from wa_crm.domain.model.conversation import Channel, Conversation
from wa_crm.domain.model.job_commands import Deliver
from wa_crm.domain.model.jobs import JobStatus
from wa_crm.domain.model.message import Author, MessageStatus
from wa_crm.domain.model.people import Contact
from wa_crm.domain.model.whatsapp_events import DeliveryAck, IncomingEvent
from wa_crm.domain.usecases.inbound.ingest import IngestWhatsAppEvent, Outcome
from wa_crm.domain.usecases.monitoring.session_outages import SessionOutages
from wa_crm.domain.usecases.outbound.delivery import DeliverConversationMessages, RetryDeadLetter
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.ports.whatsapp import (
    Connection,
    GatewayError,
    GatewayErrorCode,
    SessionInfo,
    SessionStatus,
)
from wa_crm.testing.clock import FakeClock, SequentialIds

CHAT = "5511988887777@c.us"
FAST = WhatsAppSettings(
    "http://waha", "key", "default", "", messages_per_second=1000, chat_gap_seconds=0
)


def failure(code: GatewayErrorCode, retry_after: float | None = None) -> GatewayError:
    return GatewayError(code, f"simulated {code.value}", retry_after=retry_after)


class World:
    def __init__(self) -> None:
        self.clock, self.ids = FakeClock(), SequentialIds()
        self.bus = InMemoryEventBus(self.clock)
        store = InMemoryStore()
        self.uow_factory = functools.partial(InMemoryUnitOfWork, store, publishing_to(self.bus))
        self.queries = in_memory_queries(store)
        self.gateway = InMemoryWhatsAppGateway()
        self.breakers = GatewayBreakers(self.clock, failure_threshold=3)
        deliver = DeliverConversationMessages(
            self.uow_factory,
            self.gateway,
            InMemoryMediaStore(),
            self.clock,
            self.breakers,
            Metrics(),
            SessionOutages(self.gateway, self.clock),
        )
        self.runner = JobRunner(self.uow_factory, self.clock, {Deliver: deliver}, "w")
        self.conversation = Conversation.open(
            id="c1",
            association_id="a",
            contact_id="k1",
            channel=Channel.WHATSAPP,
            session="default",
            at=self.clock.now(),
            bot_available=False,
        )
        self.published: list[dict] = []

    async def seed(self) -> None:
        async with self.uow_factory() as uow:
            await uow.associations.add(Association("a", "a", "A", self.clock.now(), whatsapp=FAST))
            await uow.contacts.add(Contact("k1", "a", CHAT, self.clock.now()))
            await uow.conversations.add(self.conversation)
            await uow.commit()

    async def queue(self, *texts: str, author: Author = Author.AGENT) -> list[str]:
        ids = []
        async with self.uow_factory() as uow:
            conversation = await uow.conversations.get("a", "c1")
            assert conversation is not None
            for text in texts:
                message = await queue_outbound(
                    uow, self.ids, conversation, Outgoing(text, author), self.clock.now()
                )
                ids.append(message.id)
            await uow.conversations.update(conversation)
            await uow.commit()
        return ids

    async def drain(self, rounds: int = 30, step: float = 400) -> None:
        for _ in range(rounds):
            await self.runner.run_due()
            self.clock.advance(step)

    async def message(self, message_id: str):  # type: ignore[no-untyped-def]
        async with self.uow_factory() as uow:
            return await uow.messages.get("a", message_id)


@pytest.fixture
async def world() -> World:
    built = World()
    await built.seed()
    return built


async def test_transient_failures_are_retried_and_order_holds(world: World) -> None:
    world.gateway.fail_next(failure(GatewayErrorCode.SERVER_ERROR), on="send_text", times=2)
    world.gateway.fail_next(failure(GatewayErrorCode.TIMEOUT), on="send_text")
    await world.queue("um", "dois", "três")
    await world.drain()
    assert world.gateway.texts(CHAT) == ["um", "dois", "três"]


async def test_a_429_waits_as_long_as_waha_says(world: World) -> None:
    world.gateway.fail_next(failure(GatewayErrorCode.RATE_LIMITED, retry_after=120), on="send_text")
    await world.queue("olá")
    await world.runner.run_due()
    async with world.uow_factory() as uow:
        job = await uow.jobs.get_by_key("deliver:c1")
    assert job is not None and job.run_after == world.clock.now() + timedelta(seconds=120)
    await world.drain()
    assert world.gateway.texts(CHAT) == ["olá"]


async def test_a_refused_message_is_a_dead_letter_that_a_retry_delivers(world: World) -> None:
    world.gateway.fail_next(failure(GatewayErrorCode.REJECTED), on="send_text")
    refused, following = await world.queue("recusada", "seguinte")
    subscription = world.bus.subscribe("a", after_id="0")
    await world.drain(rounds=2)
    dead = await world.message(refused)
    assert dead.status is MessageStatus.FAILED and dead.error.startswith("rejected")
    assert (await world.message(following)).status is MessageStatus.SENT
    alerts = []
    async for event in subscription:
        if event.type == "alert":
            alerts.append(event.data)
        if event.type == "message.updated" and event.data["id"] == following:
            break
    assert alerts == [
        {
            "kind": "dead_letter",
            "message": f"a message could not be delivered: {dead.error}",
            "message_id": refused,
            "conversation_id": "c1",
            "error": dead.error,
        }
    ]
    stored = await world.queries.monitoring.recent_alerts("a", 10)
    assert [(alert.kind, alert.message) for alert in stored] == [
        ("dead_letter", alerts[0]["message"])
    ]
    retried = await RetryDeadLetter(world.uow_factory, world.clock)("a", refused)
    assert retried.unwrap().status is MessageStatus.QUEUED
    await world.drain(rounds=2)
    assert world.gateway.texts(CHAT) == ["seguinte", "recusada"]
    again = await RetryDeadLetter(world.uow_factory, world.clock)("a", refused)
    assert again.failure().code == "message_not_failed"


async def test_the_reach_out_limit_is_a_dead_letter_at_once(world: World) -> None:
    world.gateway.fail_always(failure(GatewayErrorCode.REACH_OUT_LIMIT), on="send_text")
    (message_id,) = await world.queue("oi")
    await world.runner.run_due()
    dead = await world.message(message_id)
    assert dead.status is MessageStatus.FAILED and dead.error.startswith("reach_out_limit")
    async with world.uow_factory() as uow:
        job = await uow.jobs.get_by_key("deliver:c1")
    assert job is not None and (job.status, job.attempts) == (JobStatus.DONE, 1)


async def test_the_last_attempt_makes_a_dead_letter(world: World) -> None:
    world.gateway.fail_always(failure(GatewayErrorCode.SERVER_ERROR), on="send_text")
    world.breakers.failure_threshold = 100  # keep the breaker out of this one
    (message_id,) = await world.queue("oi")
    await world.drain(rounds=12, step=1000)
    dead = await world.message(message_id)
    assert dead.status is MessageStatus.FAILED and dead.error.startswith("server_error")


async def test_the_breaker_opens_fails_fast_and_closes_after_recovery(world: World) -> None:
    world.gateway.fail_always(failure(GatewayErrorCode.UNREACHABLE), on="send_text")
    await world.queue("oi")
    for _ in range(3):
        await world.runner.run_due()
        world.clock.advance(400)
    calls = len(world.gateway.sent)
    assert world.breakers.states() == {"http://waha#default": "half_open"}
    world.clock.advance(-390)  # inside the cool-down again after the last failure
    await world.drain(rounds=1, step=0)
    assert len(world.gateway.sent) == calls, "an open breaker must not call WAHA"
    world.gateway.clear_failures()
    await world.drain(rounds=5, step=40)
    assert world.gateway.texts(CHAT) == ["oi"]
    assert world.breakers.states() == {"http://waha#default": "closed"}


async def test_a_bot_message_is_not_sent_once_a_person_took_over(world: World) -> None:
    (bot_message,) = await world.queue("resposta do bot", author=Author.BOT)
    async with world.uow_factory() as uow:
        conversation = await uow.conversations.get("a", "c1")
        assert conversation is not None
        conversation.claim("agent-1")
        await uow.conversations.update(conversation)
        await uow.commit()
    await world.queue("Oi, sou a Ana")
    await world.drain(rounds=2)
    assert world.gateway.texts(CHAT) == ["Oi, sou a Ana"]
    assert (await world.message(bot_message)).status is MessageStatus.FAILED


# --- the session is down: wait, never a dead letter --------------------------------------------


class StatusReads(InMemoryWhatsAppGateway):
    """Counts the session status reads (delivery re-reads a down session's status)."""

    reads = 0

    async def session_status(self, connection: Connection) -> SessionInfo:
        self.reads += 1
        return await super().session_status(connection)


@pytest.fixture
async def counting_world() -> World:
    built = World()
    built.gateway = StatusReads()
    built.runner = JobRunner(
        built.uow_factory,
        built.clock,
        {
            Deliver: DeliverConversationMessages(
                built.uow_factory,
                built.gateway,
                InMemoryMediaStore(),
                built.clock,
                built.breakers,
                Metrics(),
                SessionOutages(built.gateway, built.clock, timedelta(seconds=5)),
            )
        },
        "w",
    )
    await built.seed()
    return built


@pytest.mark.parametrize(
    "down", [GatewayErrorCode.SESSION_NOT_FOUND, GatewayErrorCode.SESSION_NOT_READY]
)
async def test_messages_wait_for_a_session_that_is_down_without_using_attempts(
    counting_world: World, down: GatewayErrorCode
) -> None:
    """WAHA restarts the session (404 "We didn't find a session", or 422 while it starts):
    the messages stay queued in order, their job keeps its attempts, the status is re-read
    once per recheck interval, not per message or per run, and the breaker stays closed."""
    world = counting_world
    assert isinstance(world.gateway, StatusReads)
    world.gateway.fail_next(failure(down), on="send_text")
    world.gateway.set_status("default", SessionStatus.STARTING)
    queued = await world.queue("um", "dois", "três")

    for _ in range(21):  # a run every half second for 10 s of restart
        await world.runner.run_due()
        world.clock.advance(0.5)

    statuses = [(await world.message(message_id)).status for message_id in queued]
    assert statuses == [MessageStatus.QUEUED] * 3
    async with world.uow_factory() as uow:
        job = await uow.jobs.get_by_key("deliver:c1")
        poll = await uow.jobs.get_by_key("poll_session:a")
    assert job is not None and (job.status, job.attempts) == (JobStatus.PENDING, 0)
    assert poll is not None, "the session's status is recorded at once"
    assert world.gateway.reads == 2, "re-read every 5 s, not on every run"
    assert world.breakers.states() == {"http://waha#default": "closed"}
    assert world.gateway.texts(CHAT) == []

    world.gateway.set_status("default", SessionStatus.WORKING)
    await world.drain(rounds=10, step=5)
    assert world.gateway.texts(CHAT) == ["um", "dois", "três"]
    assert {(await world.message(m)).status for m in queued} == {MessageStatus.SENT}


async def test_a_message_queued_later_does_not_overtake_one_waiting(world: World) -> None:
    world.gateway.sessions.pop("default")
    await world.queue("primeira")
    await world.drain(rounds=3, step=1)
    world.gateway.add_session("default", SessionStatus.WORKING, phone=CHAT)
    await world.queue("segunda")  # reschedules the chat's job at once
    await world.drain(rounds=10, step=5)
    assert world.gateway.texts(CHAT) == ["primeira", "segunda"]


# --- acks that overtake the send --------------------------------------------------------------


async def test_an_ack_that_overtook_the_send_is_applied_when_the_id_is_stored(
    world: World,
) -> None:
    """WAHA posted DEVICE before answering our send: the ack is kept and the message, once
    its id is stored, is ``delivered`` rather than stuck at ``sent``."""
    ingest = IngestWhatsAppEvent(world.uow_factory, world.clock, world.ids)
    first_id = f"true_{CHAT}_3EB0{1:016X}"  # the fake gateway's first WhatsApp id
    (message_id,) = await world.queue("olá")
    early = DeliveryAck(first_id, MessageStatus.DELIVERED)
    kept = (await ingest(IncomingEvent("a", "evt-early", early))).unwrap()
    assert kept.outcome is Outcome.STORED

    await world.drain(rounds=2)

    message = await world.message(message_id)
    assert (message.external_id, message.status) == (first_id, MessageStatus.DELIVERED)
    async with world.uow_factory() as uow:
        assert await uow.pending_acks.take("a", first_id) is None, "applied once, then gone"


# --- a send whose answer was lost (issue 15) ---------------------------------------------------


@pytest.mark.parametrize("fixes_ids", [True, False], ids=["fixed id", "by its text"])
async def test_a_send_whose_answer_was_lost_is_found_not_sent_again(
    world: World, fixes_ids: bool
) -> None:
    world.gateway.fixes_ids = fixes_ids
    world.gateway.lose_next_answers(1)
    first, second = await world.queue("um", "dois")
    await world.drain()

    assert world.gateway.texts(CHAT) == ["um", "dois"]
    sent_ids = [record.id for record in world.gateway.messages(CHAT)]
    assert [(await world.message(m)).external_id for m in (first, second)] == sent_ids


async def test_an_earlier_message_with_the_same_text_is_not_taken_for_a_lost_one(
    world: World,
) -> None:
    """Found by its text, a lost send must be ours: the first "ok" holds its id already."""
    world.gateway.fixes_ids = False
    (first,) = await world.queue("ok")
    await world.drain()
    (second,) = await world.queue("ok")
    world.gateway.fail_next(failure(GatewayErrorCode.TIMEOUT), on="send_text")  # not sent
    await world.drain()

    assert world.gateway.texts(CHAT) == ["ok", "ok"]
    ids = [(await world.message(m)).external_id for m in (first, second)]
    assert ids == [record.id for record in world.gateway.messages(CHAT)]
