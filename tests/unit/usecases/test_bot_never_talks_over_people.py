"""Hypothesis: for any interleaving of inbound messages, bot jobs, deliveries and agent actions,
the bot only speaks in `bot` conversations, a person's conversation never receives a bot
message, and every handoff sends the transition message exactly once."""

from __future__ import annotations

import asyncio
import functools
import itertools

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from tests.support.hypothesis_profiles import examples
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
from wa_crm.adapters.system.metrics import Metrics
from wa_crm.domain.model.association import Association, BotSettings, WhatsAppSettings
from wa_crm.domain.model.conversation import ConversationStatus
from wa_crm.domain.model.job_commands import BotTurn, Deliver
from wa_crm.domain.model.message import Author, MessageType
from wa_crm.domain.model.people import Agent, AgentRole
from wa_crm.domain.model.whatsapp_events import InboundMessage, IncomingEvent
from wa_crm.domain.usecases.bot.bot_turn import RunBotTurn
from wa_crm.domain.usecases.inbound.ingest import IngestWhatsAppEvent
from wa_crm.domain.usecases.inbound.media import MediaLimits
from wa_crm.domain.usecases.inbox.agent_actions import AgentActions, AgentRequest
from wa_crm.domain.usecases.monitoring.session_outages import SessionOutages
from wa_crm.domain.usecases.outbound.delivery import DeliverConversationMessages
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.testing.clock import FakeClock, SequentialIds

CHAT = "5511988887777@c.us"
BOT = BotSettings(debounce_seconds=1, typing_seconds=0, max_bot_turns=4)
SAYINGS = ["Oi", "Lia", "Recife", "quero me associar", "quero um atendente", "ok", "obrigado"]


class Conversations(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.ids = SequentialIds()
        bus = InMemoryEventBus(self.clock)
        self.uow_factory = functools.partial(
            InMemoryUnitOfWork, InMemoryStore(), publishing_to(bus)
        )
        self.gateway = InMemoryWhatsAppGateway()
        self.association = Association(
            "assoc",
            "assoc",
            "Assoc",
            self.clock.now(),
            whatsapp=WhatsAppSettings("http://waha", "key", "default", ""),
            bot=BOT,
        )
        self.agents = ("agent-1", "agent-2")
        self.run(self._seed())
        self.ingest = IngestWhatsAppEvent(self.uow_factory, self.clock, self.ids)
        self.actions = AgentActions(
            self.uow_factory,
            self.clock,
            self.ids,
            self.gateway,
            InMemoryMediaStore(),
            MediaLimits(),
        )
        self.bot_jobs = JobRunner(
            self.uow_factory,
            self.clock,
            {
                BotTurn: RunBotTurn(
                    self.uow_factory,
                    self.clock,
                    self.ids,
                    {"rules": RulesProvider()},
                    GatewayBreakers(self.clock),
                    InMemoryKnowledgeBase(),
                )
            },
            "bot-worker",
        )
        self.deliveries = JobRunner(
            self.uow_factory,
            self.clock,
            {
                Deliver: DeliverConversationMessages(
                    self.uow_factory,
                    self.gateway,
                    InMemoryMediaStore(),
                    self.clock,
                    GatewayBreakers(self.clock),
                    Metrics(),
                    SessionOutages(self.gateway, self.clock),
                )
            },
            "delivery-worker",
        )
        self.handoffs = 0
        self.inbound = itertools.count(1)

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.loop.close()

    async def _seed(self) -> None:
        async with self.uow_factory() as uow:
            await uow.associations.add(self.association)
            for agent_id in self.agents:
                await uow.agents.add(
                    Agent(
                        agent_id,
                        "assoc",
                        f"{agent_id}@x.org",
                        agent_id,
                        AgentRole.AGENT,
                        "-",
                        self.clock.now(),
                    )
                )
            await uow.commit()

    async def _conversation(self):  # type: ignore[no-untyped-def]
        async with self.uow_factory() as uow:
            contact = await uow.contacts.find_by_chat_id("assoc", CHAT)
            if contact is None:
                return None
            found = await uow.conversations.list_for_contact("assoc", contact.id)
        return found[0] if found else None

    async def _messages(self):  # type: ignore[no-untyped-def]
        """Every message of the contact, across the conversations a resolve closed."""
        async with self.uow_factory() as uow:
            contact = await uow.contacts.find_by_chat_id("assoc", CHAT)
            if contact is None:
                return []
            found = []
            for conversation in await uow.conversations.list_for_contact("assoc", contact.id):
                found += await uow.messages.list_for_conversation(
                    "assoc", conversation.id, before=None, limit=10_000
                )
        return found

    def _status(self) -> ConversationStatus | None:
        conversation = self.run(self._conversation())
        return conversation.status if conversation else None

    @rule(text=st.sampled_from(SAYINGS))
    def patient_writes(self, text: str) -> None:
        self.clock.advance(0.1)
        event = InboundMessage(
            external_id=f"false_{CHAT}_IN{next(self.inbound)}",
            chat_id=CHAT,
            from_me=False,
            type=MessageType.TEXT,
            body=text,
            timestamp=self.clock.now(),
        )
        self.run(self.ingest(IncomingEvent("assoc", f"evt_{text}_{self.clock.now()}", event)))

    @rule()
    def bot_jobs_run(self) -> None:
        before = self._status()
        bot_messages = self._count(Author.BOT)
        self.clock.advance(BOT.debounce_seconds)
        self.run(self.bot_jobs.run_due())
        after = self._status()
        if self._count(Author.BOT) > bot_messages:
            assert before is ConversationStatus.BOT, f"the bot spoke in a {before} conversation"
        if before is ConversationStatus.BOT and after is ConversationStatus.PENDING:
            self.handoffs += 1

    @rule()
    def deliveries_run(self) -> None:
        self.clock.advance(0.1)
        sent_before = len(self.gateway.messages())
        status = self._status()
        self.run(self.deliveries.run_due())
        new = self.gateway.messages()[sent_before:]
        if status is ConversationStatus.HUMAN:
            bot_texts = {m.body for m in self.run(self._messages()) if m.author is Author.BOT}
            system = {m.body for m in self.run(self._messages()) if m.author is Author.SYSTEM}
            assert not [s for s in new if s.text in bot_texts - system], "bot talked over a person"

    @rule(
        agent=st.sampled_from(["agent-1", "agent-2"]),
        action=st.sampled_from(["claim", "release", "resolve", "reply"]),
    )
    def agent_acts(self, agent: str, action: str) -> None:
        conversation = self.run(self._conversation())
        if conversation is None:
            return
        request = AgentRequest("assoc", conversation.id, agent)
        if action == "reply":
            self.run(self.actions.reply(request, f"Aqui é {agent}"))
        else:
            self.run(getattr(self.actions, action)(request))

    def _count(self, author: Author) -> int:
        return sum(1 for m in self.run(self._messages()) if m.author is author)

    @invariant()
    def one_transition_message_per_handoff(self) -> None:
        transitions = [
            m
            for m in self.run(self._messages())
            if m.author is Author.SYSTEM and m.body == BOT.transition_message
        ]
        assert len(transitions) == self.handoffs


TestConversations = Conversations.TestCase
TestConversations.settings = settings(
    max_examples=examples(150), stateful_step_count=20, deadline=None
)
TestConversations.pytestmark = [pytest.mark.slow]
