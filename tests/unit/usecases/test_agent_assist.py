"""The agents' assistant: a draft from the conversation and the knowledge base that is never
sent, a summary saved as the agent's note, personal data masked for the model, and clear
refusals without a model or when it fails."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from returns.pipeline import is_successful
from tests.support.live_events import publishing_to

from wa_crm.adapters.ai import RulesProvider, ScriptedProvider
from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from wa_crm.domain.model.association import Association, BotSettings, Locale, WhatsAppSettings
from wa_crm.domain.model.errors import AIUnavailable, AssistUnavailable, UnknownConversation
from wa_crm.domain.model.knowledge import Passage
from wa_crm.domain.model.message import MessageType
from wa_crm.domain.model.people import Agent, AgentRole
from wa_crm.domain.model.whatsapp_events import InboundMessage, IncomingEvent
from wa_crm.domain.usecases.inbound.ingest import IngestWhatsAppEvent
from wa_crm.domain.usecases.inbox.assist import AgentAssist
from wa_crm.domain.usecases.inbox.notes import Notes
from wa_crm.domain.usecases.knowledge.search import SearchKnowledge
from wa_crm.ports.ai import AIProviderError, AIProviderErrorKind, BotReply, Speaker, TurnTask
from wa_crm.ports.unit_of_work import UnitOfWorkFactory
from wa_crm.testing.clock import FakeClock, SequentialIds

CHAT = "5511988887777@c.us"
CPF = "123.456.789-09"
STATUTE = Passage("d1", "Estatuto", "A mensalidade vence no dia 10.", 0.9)
WEAK = Passage("d2", "Atas", "Reunião de março.", 0.2)


@dataclass
class FoundPassages:
    """A knowledge base that answers every question with the same passages."""

    passages: list[Passage]
    questions: list[tuple[str, Sequence[float] | None]] = field(default_factory=list)

    async def search(
        self,
        association_id: str,
        question: str,
        limit: int,
        embedding: Sequence[float] | None = None,
    ) -> list[Passage]:
        self.questions.append((question, embedding))
        return self.passages[:limit]


@dataclass
class FailingEmbedder:
    texts: list[str] = field(default_factory=list)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts.extend(texts)
        raise AIProviderError(AIProviderErrorKind.TIMEOUT, "slow")


@dataclass
class World:
    uow_factory: UnitOfWorkFactory
    clock: FakeClock
    ids: SequentialIds
    model: ScriptedProvider
    knowledge: FoundPassages
    conversation_id: str = ""

    def assist(self, embedder: FailingEmbedder | None = None) -> AgentAssist:
        notes = Notes(self.uow_factory, self.clock, self.ids)
        providers = {"openai": self.model, "rules": RulesProvider()}
        search = SearchKnowledge(self.knowledge, embedder)  # type: ignore[arg-type]
        return AgentAssist(self.uow_factory, providers, search, notes)


async def world(provider: str = "openai", locale: Locale = Locale.PT_BR) -> World:
    clock, ids = FakeClock(), SequentialIds()
    store = InMemoryStore()
    uow_factory = functools.partial(
        InMemoryUnitOfWork, store, publishing_to(InMemoryEventBus(clock))
    )
    bot = BotSettings(provider=provider, system_prompt="Você atende a associação.")
    async with uow_factory() as uow:
        await uow.associations.add(
            Association(
                "a",
                "a",
                "A",
                clock.now(),
                whatsapp=WhatsAppSettings(session="s"),
                bot=bot,
                locale=locale,
            )
        )
        await uow.agents.add(
            Agent("ana", "a", "ana@x.org", "Ana", AgentRole.AGENT, "-", clock.now())
        )
        await uow.commit()
    ingest = IngestWhatsAppEvent(uow_factory, clock, ids)
    for n, said in enumerate(["Oi", f"Meu CPF é {CPF}", "Quando vence a mensalidade?"]):
        inbound = InboundMessage(f"false_x_{n}", CHAT, False, MessageType.TEXT, said, clock.now())
        await ingest(IncomingEvent("a", f"evt_{n}", inbound))
        clock.advance(1)
    async with uow_factory() as uow:
        contact = await uow.contacts.find_by_chat_id("a", CHAT)
        assert contact is not None
        conversation = (await uow.conversations.list_for_contact("a", contact.id))[0]
    knowledge = FoundPassages([STATUTE, WEAK])
    return World(uow_factory, clock, ids, ScriptedProvider(), knowledge, conversation.id)


async def notes_of(w: World) -> list[str]:
    listed = await Notes(w.uow_factory, w.clock, w.ids).list("a", w.conversation_id)
    return [note.text for note, _ in listed.unwrap()]


async def test_a_draft_comes_from_the_conversation_and_the_relevant_passages() -> None:
    w = await world()
    w.model.push(BotReply(text=" Vence no dia 10, CPF [CPF_1]. ", sources=("Estatuto", "Atas")))

    result = await w.assist().suggest_reply("a", w.conversation_id)

    assert w.assist().offers(BotSettings(provider="openai"))
    suggestion = result.unwrap()
    assert suggestion.text == f"Vence no dia 10, CPF {CPF}."
    assert suggestion.sources == ("Estatuto",)  # Atas was not relevant, so never given
    request = w.model.requests[0]
    assert request.task is TurnTask.SUGGEST_REPLY
    assert request.passages == (STATUTE,)
    assert [turn.speaker for turn in request.history] == [Speaker.CONTACT] * 3
    assert request.history[1].text == "Meu CPF é [CPF_1]"
    assert CPF not in repr(request)
    asked = [question for question, _ in w.knowledge.questions]
    assert asked == ["Oi", "Meu CPF é [CPF_1]", "Quando vence a mensalidade?"]
    assert await notes_of(w) == []


async def test_a_failing_embedder_leaves_the_search_to_text_and_never_sees_the_cpf() -> None:
    w = await world()
    w.model.push(BotReply(text="Dia 10."))
    embedder = FailingEmbedder()

    result = await w.assist(embedder=embedder).suggest_reply("a", w.conversation_id)

    assert result.unwrap().text == "Dia 10."
    assert embedder.texts[1] == "Meu CPF é [CPF_1]"
    assert [embedding for _, embedding in w.knowledge.questions] == [None, None, None]


async def test_a_summary_is_saved_as_the_agents_note_without_passages() -> None:
    w = await world()
    w.model.push(BotReply(text="Contato [CPF_1] quer saber do vencimento."))

    result = await w.assist().summarize("a", w.conversation_id, "ana")

    note, author = result.unwrap()
    assert author == "Ana" and note.agent_id == "ana"
    assert note.text == f"Resumo do assistente:\nContato {CPF} quer saber do vencimento."
    assert await notes_of(w) == [note.text]
    assert w.model.requests[0].task is TurnTask.SUMMARIZE
    assert w.model.requests[0].passages == ()
    assert w.knowledge.questions == []


async def test_the_summary_heading_follows_the_associations_language() -> None:
    w = await world(locale=Locale.EN)
    w.model.push(BotReply(text="Wants the due date."))
    note, _ = (await w.assist().summarize("a", w.conversation_id, "ana")).unwrap()
    assert note.text == "Assistant's summary:\nWants the due date."


@pytest.mark.parametrize("provider", ["rules", "anthropic"])  # anthropic: no key on this server
async def test_without_a_model_the_assistant_refuses_clearly(provider: str) -> None:
    w = await world(provider)

    draft = await w.assist().suggest_reply("a", w.conversation_id)
    summary = await w.assist().summarize("a", w.conversation_id, "ana")

    assert not w.assist().offers(BotSettings(provider=provider))
    for result in (draft, summary):
        assert isinstance(result.failure(), AssistUnavailable)
        assert "modelo de IA" in result.failure().message
    assert w.model.requests == [] and await notes_of(w) == []


@pytest.mark.parametrize(
    "answer",
    [AIProviderError(AIProviderErrorKind.SERVER_ERROR, "500"), BotReply(text="  ")],
    ids=["error", "empty"],
)
async def test_a_failing_model_gives_a_clear_refusal_and_no_note(
    answer: BotReply | AIProviderError,
) -> None:
    w = await world()
    w.model.push(answer, answer)

    draft = await w.assist().suggest_reply("a", w.conversation_id)
    summary = await w.assist().summarize("a", w.conversation_id, "ana")

    for result in (draft, summary):
        assert isinstance(result.failure(), AIUnavailable)
        assert "tente de novo" in result.failure().message
    assert await notes_of(w) == []


async def test_another_associations_conversation_is_unknown() -> None:
    w = await world()
    result = await w.assist().suggest_reply("b", w.conversation_id)
    assert not is_successful(result) and isinstance(result.failure(), UnknownConversation)
    assert w.model.requests == []
