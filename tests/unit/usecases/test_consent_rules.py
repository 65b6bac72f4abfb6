"""Opt-out and opt-in on the memory adapters: what is recorded, what the contact receives, and
what the bot, the agents and delivery may no longer do."""

from __future__ import annotations

import dataclasses
import functools
import itertools

import pytest
from returns.result import Failure, Result, Success
from tests.support.live_events import publishing_to

from wa_crm.adapters.ai.rules import RulesProvider
from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.memory import (
    InMemoryMediaStore,
    InMemoryStore,
    InMemoryUnitOfWork,
    InMemoryWhatsAppGateway,
)
from wa_crm.adapters.memory.knowledge import InMemoryKnowledgeBase
from wa_crm.adapters.memory.queries import in_memory_queries
from wa_crm.adapters.system.metrics import Metrics
from wa_crm.domain.model.association import (
    Association,
    BotSettings,
    PrivacySettings,
    WhatsAppSettings,
)
from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.errors import DomainError
from wa_crm.domain.model.job_commands import BotTurn, Deliver, JobCommand
from wa_crm.domain.model.jobs import JobStatus
from wa_crm.domain.model.message import Author, Message, MessageStatus, MessageType
from wa_crm.domain.model.people import Agent, AgentRole, Contact
from wa_crm.domain.model.whatsapp_events import InboundMessage, IncomingEvent
from wa_crm.domain.usecases.bot.bot_turn import RunBotTurn
from wa_crm.domain.usecases.inbound.ingest import IngestWhatsAppEvent
from wa_crm.domain.usecases.inbound.media import MediaLimits
from wa_crm.domain.usecases.inbox.agent_actions import AgentActions, AgentRequest
from wa_crm.domain.usecases.monitoring.session_outages import SessionOutages
from wa_crm.domain.usecases.outbound.delivery import OPTED_OUT, DeliverConversationMessages
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.domain.usecases.runtime.runner import JobHandler, JobRunner
from wa_crm.ports.ai import AIProvider, BotAction, BotReply, TurnRequest
from wa_crm.ports.events import EventType, LiveEvent, PublishedEvent
from wa_crm.ports.queries import AuditQuery
from wa_crm.testing.clock import FakeClock, SequentialIds

CHAT = "5511988887777@c.us"
BOT = BotSettings(debounce_seconds=1, typing_seconds=0)
FAST = WhatsAppSettings(
    "http://waha", "key", "default", "", messages_per_second=1000, chat_gap_seconds=0
)
OPT_OUT_CONFIRMATION = PrivacySettings().opt_out_confirmation
OPT_IN_CONFIRMATION = PrivacySettings().opt_in_confirmation


class RecordingBus(InMemoryEventBus):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.published: list[LiveEvent] = []

    async def publish(self, event: LiveEvent) -> PublishedEvent:
        self.published.append(event)
        return await super().publish(event)


class World:
    def __init__(self) -> None:
        self.clock, self.ids = FakeClock(), SequentialIds()
        self.bus = RecordingBus(self.clock)
        store = InMemoryStore()
        self.uow_factory = functools.partial(InMemoryUnitOfWork, store, publishing_to(self.bus))
        self.queries = in_memory_queries(store)
        self.gateway = InMemoryWhatsAppGateway()
        self.ingest = IngestWhatsAppEvent(self.uow_factory, self.clock, self.ids)
        self.actions = AgentActions(
            self.uow_factory,
            self.clock,
            self.ids,
            self.gateway,
            InMemoryMediaStore(),
            MediaLimits(),
        )
        bot_turn = RunBotTurn(
            self.uow_factory,
            self.clock,
            self.ids,
            {"rules": RulesProvider()},
            GatewayBreakers(self.clock),
            InMemoryKnowledgeBase(),
        )
        deliver = DeliverConversationMessages(
            self.uow_factory,
            self.gateway,
            InMemoryMediaStore(),
            self.clock,
            GatewayBreakers(self.clock),
            Metrics(),
            SessionOutages(self.gateway, self.clock),
        )
        self.handlers: dict[type[JobCommand], JobHandler] = {BotTurn: bot_turn, Deliver: deliver}
        self.jobs = JobRunner(self.uow_factory, self.clock, self.handlers, "w")
        self.inbound = itertools.count(1)

    def use_provider(self, provider: AIProvider) -> None:
        bot_turn = self.handlers[BotTurn]
        assert isinstance(bot_turn, RunBotTurn)
        self.handlers[BotTurn] = dataclasses.replace(bot_turn, providers={"rules": provider})

    async def seed(self) -> None:
        association = Association("a", "a", "A", self.clock.now(), whatsapp=FAST, bot=BOT)
        agent = Agent("ana", "a", "ana@x.org", "Ana", AgentRole.AGENT, "-", self.clock.now())
        async with self.uow_factory() as uow:
            await uow.associations.add(association)
            await uow.agents.add(agent)
            await uow.commit()

    async def contact_writes(self, text: str, *, from_phone: bool = False) -> None:
        """``from_phone``: typed on the association's phone, to the contact."""
        self.clock.advance(0.1)
        event = InboundMessage(
            external_id=f"{str(from_phone).lower()}_{CHAT}_IN{next(self.inbound)}",
            chat_id=CHAT,
            from_me=from_phone,
            type=MessageType.TEXT,
            body=text,
            timestamp=self.clock.now(),
        )
        result = await self.ingest(IncomingEvent("a", f"evt-{self.clock.now()}", event))
        assert isinstance(result, Success)

    async def run_jobs(self) -> None:
        """Every job due within the bot's debounce, twice (a bot turn queues a delivery)."""
        for _ in range(2):
            self.clock.advance(BOT.debounce_seconds)
            await self.jobs.run_due()

    async def contact(self) -> Contact:
        async with self.uow_factory() as uow:
            found = await uow.contacts.find_by_chat_id("a", CHAT)
        assert found is not None
        return found

    async def conversation(self) -> Conversation:
        contact = await self.contact()
        async with self.uow_factory() as uow:
            found = await uow.conversations.find_open("a", contact.id, Channel.WHATSAPP)
        assert found is not None
        return found

    async def messages(self) -> list[Message]:
        conversation = await self.conversation()
        async with self.uow_factory() as uow:
            found = await uow.messages.list_for_conversation(
                "a", conversation.id, before=None, limit=100
            )
        return list(reversed(found))

    async def queue_directly(self, outgoing: Outgoing) -> Message:
        """Queued by code that asks nobody, as a use case that forgot the consent would."""
        conversation = await self.conversation()
        async with self.uow_factory() as uow:
            stored = await uow.conversations.get("a", conversation.id)
            assert stored is not None
            message = await queue_outbound(uow, self.ids, stored, outgoing, self.clock.now())
            await uow.conversations.update(stored)
            await uow.commit()
        return message

    async def agent_replies(self, text: str) -> Result[Message, DomainError]:
        self.clock.advance(0.1)
        conversation = await self.conversation()
        return await self.actions.reply(AgentRequest("a", conversation.id, "ana"), text)


@pytest.fixture
async def world() -> World:
    built = World()
    await built.seed()
    return built


async def test_sair_records_the_opt_out_and_confirms_it_once(world: World) -> None:
    await world.contact_writes("Oi")
    await world.run_jobs()
    greeted = world.gateway.texts(CHAT)
    assert greeted, "the bot answers before the opt-out"

    await world.contact_writes("  Sair!! ")
    opted_out_at = world.clock.now()
    await world.run_jobs()

    contact = await world.contact()
    assert (contact.opted_out_at, contact.opt_out_source) == (opted_out_at, "keyword:SAIR")
    assert world.gateway.texts(CHAT) == [*greeted, OPT_OUT_CONFIRMATION]
    confirmation = (await world.messages())[-1]
    assert (confirmation.author, confirmation.status) == (Author.SYSTEM, MessageStatus.SENT)
    entries = await world.queries.audit.entries("a", AuditQuery())
    assert [(e.action, e.actor, e.target_id) for _, e in entries] == [
        (AuditAction.CONTACT_OPTED_OUT, f"contact:{contact.id}", contact.id)
    ]
    assert entries[0][1].details["source"] == "keyword:SAIR"

    await world.contact_writes("Oi de novo")
    conversation = await world.conversation()
    async with world.uow_factory() as uow:
        turn = await uow.jobs.get_by_key(f"{BotTurn.kind}:{conversation.id}")
    assert turn is not None and turn.status is JobStatus.DONE, "no bot turn is scheduled"
    await world.run_jobs()
    assert world.gateway.texts(CHAT)[-1] == OPT_OUT_CONFIRMATION, "the bot stays silent"


async def test_open_inboxes_learn_of_the_opt_out_after_the_message(world: World) -> None:
    await world.contact_writes("PARAR")
    published = [
        (e.type, e.data.get("author"), e.data.get("contact_opted_out")) for e in world.bus.published
    ]
    assert published == [
        (EventType.CONVERSATION_CREATED, None, None),
        (EventType.MESSAGE_CREATED, Author.CONTACT.value, None),
        (EventType.CONVERSATION_UPDATED, None, None),
        (EventType.MESSAGE_CREATED, Author.SYSTEM.value, None),
        (EventType.CONVERSATION_UPDATED, None, True),
    ]


async def test_a_bot_turn_due_when_the_contact_opts_out_sends_nothing(world: World) -> None:
    class Counting(RulesProvider):
        calls = 0

        async def reply(self, request: TurnRequest) -> BotReply:
            Counting.calls += 1
            return await super().reply(request)

    world.use_provider(Counting())
    await world.contact_writes("Oi")  # schedules a bot turn
    await world.contact_writes("stop")
    await world.contact_writes("tudo bem?")  # unanswered when the turn runs
    await world.run_jobs()
    assert world.gateway.texts(CHAT) == [OPT_OUT_CONFIRMATION]
    assert Counting.calls == 0, "the model is not even asked"
    assert (await world.conversation()).status is ConversationStatus.BOT


async def test_a_contact_who_opts_out_while_the_model_thinks_gets_no_answer(
    world: World,
) -> None:
    class OptOutMidTurn:
        async def reply(self, request: TurnRequest) -> BotReply:
            await world.contact_writes("Sair")
            return BotReply(text="Posso ajudar?", action=BotAction.HANDOFF)

    world.use_provider(OptOutMidTurn())
    await world.contact_writes("Qual o horário de vocês?")  # a greeting would not ask it
    await world.run_jobs()
    assert world.gateway.texts(CHAT) == [OPT_OUT_CONFIRMATION], "no reply, no transition"
    conversation = await world.conversation()
    assert (conversation.status, conversation.bot_turns) == (ConversationStatus.BOT, 0)


async def test_messages_queued_before_the_opt_out_are_not_delivered(world: World) -> None:
    await world.contact_writes("Oi")
    before = await world.queue_directly(Outgoing("sobre a consulta", Author.AGENT))
    await world.contact_writes("sair")
    await world.run_jobs()

    assert world.gateway.texts(CHAT) == [OPT_OUT_CONFIRMATION]
    async with world.uow_factory() as uow:
        failed = await uow.messages.get("a", before.id)
    alerts = await world.queries.monitoring.recent_alerts("a", 10)
    assert failed is not None
    assert (failed.status, failed.error) == (MessageStatus.FAILED, OPTED_OUT)
    assert alerts == [], "not a dead letter"
    assert EventType.ALERT not in {e.type for e in world.bus.published}


async def test_delivery_withholds_a_system_message_queued_after_the_opt_out_by_any_code(
    world: World,
) -> None:
    await world.contact_writes("sair")
    await world.run_jobs()
    world.clock.advance(1)
    survey = await world.queue_directly(Outgoing("Como foi o atendimento?", Author.SYSTEM))
    await world.run_jobs()
    assert world.gateway.texts(CHAT) == [OPT_OUT_CONFIRMATION]
    async with world.uow_factory() as uow:
        withheld = await uow.messages.get("a", survey.id)
    assert withheld is not None and withheld.error == OPTED_OUT


async def test_an_agent_may_answer_only_what_the_contact_wrote_after_opting_out(
    world: World,
) -> None:
    await world.contact_writes("SAIR")
    refused = await world.agent_replies("Podemos ajudar?")
    assert isinstance(refused, Failure)
    assert refused.failure().code == "contact_opted_out"
    conversation = await world.conversation()
    assert (conversation.status, conversation.assignee_id) == (ConversationStatus.BOT, None)
    await world.contact_writes("Tudo bem?", from_phone=True)  # not the contact's word
    assert isinstance(await world.agent_replies("Podemos ajudar?"), Failure)

    await world.contact_writes("Preciso da receita")
    answered = await world.agent_replies("Claro, enviamos hoje")
    assert isinstance(answered, Success)
    second = await world.agent_replies("Mais alguma coisa?")
    assert isinstance(second, Success), "any reply while the contact's message is the newest"
    await world.run_jobs()
    assert world.gateway.texts(CHAT) == [
        OPT_OUT_CONFIRMATION,
        "Claro, enviamos hoje",
        "Mais alguma coisa?",
    ]


async def test_voltar_opts_back_in_and_the_bot_answers_again(world: World) -> None:
    await world.contact_writes("sair")
    await world.contact_writes("Voltar")
    await world.run_jobs()
    assert world.gateway.texts(CHAT) == [OPT_OUT_CONFIRMATION, OPT_IN_CONFIRMATION]
    contact = await world.contact()
    assert (contact.opted_out_at, contact.opt_out_source) == (None, None)

    await world.contact_writes("Oi")
    await world.run_jobs()
    assert len(world.gateway.texts(CHAT)) > 2, "the bot answers again"
    entries = await world.queries.audit.entries("a", AuditQuery())
    assert [e.action for _, e in entries] == [
        AuditAction.CONTACT_OPTED_IN,
        AuditAction.CONTACT_OPTED_OUT,
    ]


async def test_voltar_from_a_contact_who_did_not_opt_out_is_an_ordinary_message(
    world: World,
) -> None:
    await world.contact_writes("voltar")
    await world.run_jobs()
    texts = world.gateway.texts(CHAT)
    assert texts and OPT_IN_CONFIRMATION not in texts
    assert not (await world.contact()).opted_out
