"""Bot turns with an external model (the OpenAI and Anthropic fake servers over HTTP): personal
data never reaches the model, and placeholders the model echoes reach the contact restored."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator

import pytest
from tests.support.live_events import publishing_to

from wa_crm.adapters.ai import AnthropicProvider, OpenAIProvider
from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from wa_crm.adapters.memory.knowledge import InMemoryKnowledgeBase
from wa_crm.adapters.system.ids import TimeOrderedIdGenerator
from wa_crm.domain.model.association import Association, BotSettings, WhatsAppSettings
from wa_crm.domain.model.conversation import ConversationStatus, HandoffReason
from wa_crm.domain.model.job_commands import BotTurn
from wa_crm.domain.model.message import Author, MessageType
from wa_crm.domain.model.whatsapp_events import InboundMessage, IncomingEvent
from wa_crm.domain.usecases.bot.bot_turn import RunBotTurn
from wa_crm.domain.usecases.inbound.ingest import IngestWhatsAppEvent
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.ports.ai import AIProvider
from wa_crm.testing import serve_app
from wa_crm.testing.clock import FakeClock
from wa_crm.testing.fake_ai_servers import (
    HttpError,
    Text,
    ToolCall,
    create_fake_anthropic_app,
    create_fake_openai_app,
)

CHAT = "5511988887777@c.us"
SECRETS = ["123.456.789-09", "maria.silva@example.com", "+55 81 98888-7777"]
SAID = f"Meu CPF é {SECRETS[0]}, e-mail {SECRETS[1]} e telefone {SECRETS[2]}."


@pytest.fixture(params=["openai", "anthropic"])
async def model(request: pytest.FixtureRequest) -> AsyncIterator[tuple[AIProvider, object]]:
    app = create_fake_openai_app() if request.param == "openai" else create_fake_anthropic_app()
    async with serve_app(app) as url:
        provider: AIProvider = (
            OpenAIProvider(url, "key", "gpt-test")
            if request.param == "openai"
            else AnthropicProvider("key", "claude-test", base_url=url)
        )
        yield provider, app.state.fake
        await provider.aclose()  # type: ignore[attr-defined]


async def one_turn(provider: AIProvider) -> tuple[list[str], object]:
    clock, ids = FakeClock(), TimeOrderedIdGenerator()
    bus = InMemoryEventBus(clock)
    uow_factory = functools.partial(InMemoryUnitOfWork, InMemoryStore(), publishing_to(bus))
    bot = BotSettings(provider="external", system_prompt="Você atende a associação.")
    async with uow_factory() as uow:
        await uow.associations.add(
            Association("a", "a", "A", clock.now(), whatsapp=WhatsAppSettings(session="s"), bot=bot)
        )
        await uow.commit()
    inbound = InboundMessage("false_x_1", CHAT, False, MessageType.TEXT, SAID, clock.now())
    await IngestWhatsAppEvent(uow_factory, clock, ids)(IncomingEvent("a", "evt_1", inbound))
    clock.advance(bot.debounce_seconds)
    turn = RunBotTurn(
        uow_factory,
        clock,
        ids,
        {"external": provider},
        GatewayBreakers(clock),
        InMemoryKnowledgeBase(),
    )
    await JobRunner(uow_factory, clock, {BotTurn: turn}, "w").run_due()
    async with uow_factory() as uow:
        contact = await uow.contacts.find_by_chat_id("a", CHAT)
        assert contact is not None
        conversation = (await uow.conversations.list_for_contact("a", contact.id))[0]
        messages = await uow.messages.list_for_conversation(
            "a", conversation.id, before=None, limit=50
        )
    bot_texts = [m.body for m in reversed(messages) if m.author is Author.BOT]
    return bot_texts, conversation


async def test_personal_data_never_reaches_the_model_and_echoes_are_restored(model) -> None:
    provider, fake = model
    fake.push(Text("Anotei o CPF [CPF_1] e vou escrever para [EMAIL_1]."))
    bot_texts, _ = await one_turn(provider)
    sent_to_model = " ".join(request.raw.decode() for request in fake.requests)
    for secret in SECRETS:
        assert secret not in sent_to_model
        assert secret.split("@")[0] not in sent_to_model
    assert "[CPF_1]" in sent_to_model and "[EMAIL_1]" in sent_to_model
    assert bot_texts[-1] == f"Anotei o CPF {SECRETS[0]} e vou escrever para {SECRETS[1]}."


async def test_the_model_asks_for_a_person(model) -> None:
    provider, fake = model
    fake.push(ToolCall("handoff", {"reason": "dúvida médica", "summary": "Dose de [CPF_1]?"}))
    _, conversation = await one_turn(provider)
    assert conversation.status is ConversationStatus.PENDING
    assert conversation.handoff_reason is HandoffReason.AI_REQUEST
    assert conversation.handoff_note.summary == f"Dose de {SECRETS[0]}?"


async def test_a_failing_model_hands_off_as_ai_unavailable(model) -> None:
    provider, fake = model
    fake.push(HttpError(500))
    _, conversation = await one_turn(provider)
    assert conversation.status is ConversationStatus.PENDING
    assert conversation.handoff_reason is HandoffReason.AI_UNAVAILABLE
    assert SAID.splitlines()[0][:40] in conversation.handoff_note.summary
