"""The bot turn as the association's assistant (architecture.md section 4, item 5): greetings
answered without a model, health guardrails before any model, emergencies, passages of the
association's documents in the request, questions the documents could not answer, voice notes,
and one turn never saying two contradictory things."""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Sequence

import pytest
from returns.result import Success
from tests.support.live_events import publishing_to

from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.memory import (
    InMemoryMediaStore,
    InMemoryStore,
    InMemoryUnitOfWork,
    InMemoryWhatsAppGateway,
)
from wa_crm.adapters.memory.knowledge import InMemoryKnowledgeBase
from wa_crm.adapters.system.metrics import Metrics
from wa_crm.domain.model.association import (
    Association,
    BotSettings,
    Locale,
    UnansweredAction,
    UntranscribedVoiceNotes,
    WhatsAppSettings,
)
from wa_crm.domain.model.conversation import Conversation, ConversationStatus, HandoffReason
from wa_crm.domain.model.job_commands import BotTurn, Deliver, JobCommand
from wa_crm.domain.model.knowledge import DocumentKind, KnowledgeDocument
from wa_crm.domain.model.message import Media, MessageType
from wa_crm.domain.model.people import Patient, PatientStatus
from wa_crm.domain.model.whatsapp_events import InboundMessage, IncomingEvent
from wa_crm.domain.usecases.bot.bot_turn import RunBotTurn
from wa_crm.domain.usecases.inbound.ingest import IngestWhatsAppEvent
from wa_crm.domain.usecases.monitoring.session_outages import SessionOutages
from wa_crm.domain.usecases.outbound.delivery import DeliverConversationMessages
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.domain.usecases.runtime.runner import JobHandler, JobRunner
from wa_crm.ports.ai import (
    MEDICAL_QUESTION,
    NO_ANSWER,
    AIProviderError,
    AIProviderErrorKind,
    BotAction,
    BotReply,
    TurnRequest,
)
from wa_crm.testing.clock import FakeClock, SequentialIds

CHAT = "5511977776666@c.us"
FAST = WhatsAppSettings(
    "http://waha", "key", "default", "", messages_per_second=1000, chat_gap_seconds=0
)
BOT = BotSettings(debounce_seconds=1, typing_seconds=0)
DELIVERY = KnowledgeDocument(
    "doc-1",
    "a",
    "Calendário de entregas",
    "",
    DocumentKind.DOCUMENT,
    FakeClock().now(),
    FakeClock().now(),
)
DELIVERY_TEXT = "A entrega do óleo acontece toda segunda quinzena do mês, às terças-feiras."


class ScriptedModel:
    """Answers with the reply it is given and keeps every request."""

    def __init__(self, reply: BotReply) -> None:
        self.answer = reply
        self.requests: list[TurnRequest] = []

    async def reply(self, request: TurnRequest) -> BotReply:
        self.requests.append(request)
        return self.answer


class FailingEmbedder:
    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise AIProviderError(AIProviderErrorKind.TIMEOUT, "slow")


class World:
    def __init__(self, bot: BotSettings = BOT, *, transcriber: bool = False) -> None:
        self.clock, self.ids = FakeClock(), SequentialIds()
        self.store = InMemoryStore()
        self.uow_factory = functools.partial(
            InMemoryUnitOfWork, self.store, publishing_to(InMemoryEventBus(self.clock))
        )
        self.gateway = InMemoryWhatsAppGateway()
        self.knowledge = InMemoryKnowledgeBase()
        self.model = ScriptedModel(BotReply("Resposta do modelo."))
        self.bot = bot
        self.turn = RunBotTurn(
            self.uow_factory,
            self.clock,
            self.ids,
            {"rules": self.model},
            GatewayBreakers(self.clock),
            self.knowledge,
            transcriber_available=transcriber,
        )
        self.inbound = itertools.count(1)

    async def seed(self, *, member: bool = False, locale: Locale = Locale.PT_BR) -> None:
        association = Association(
            "a", "a", "A", self.clock.now(), whatsapp=FAST, bot=self.bot, locale=locale
        )
        async with self.uow_factory() as uow:
            await uow.associations.add(association)
            if member:
                await uow.patients.upsert(
                    Patient("p1", "a", "Maria Silva", ("+5511977776666",), PatientStatus.ACTIVE)
                )
            await uow.commit()
        await self.knowledge.save(DELIVERY, [DELIVERY_TEXT])

    async def writes(self, *texts: str) -> None:
        for text in texts:
            await self._receive(MessageType.TEXT, text)

    async def sends_voice_note(self, transcript: str | None) -> None:
        message_id = await self._receive(
            MessageType.AUDIO, "", Media("http://waha/file.ogg", "audio/ogg")
        )
        if transcript is not None:
            async with self.uow_factory() as uow:
                message = await uow.messages.get("a", message_id)
                assert message is not None
                message.transcribe(transcript)
                await uow.messages.update(message)
                await uow.commit()

    async def _receive(self, kind: MessageType, body: str, media: Media | None = None) -> str:
        self.clock.advance(0.1)
        external_id = f"false_{CHAT}_IN{next(self.inbound)}"
        event = InboundMessage(external_id, CHAT, False, kind, body, self.clock.now(), media=media)
        result = await IngestWhatsAppEvent(self.uow_factory, self.clock, self.ids)(
            IncomingEvent("a", f"evt-{external_id}", event)
        )
        assert isinstance(result, Success)
        async with self.uow_factory() as uow:
            found = await uow.messages.get_by_external_id("a", external_id)
        assert found is not None
        return found.id

    async def run_turn(self) -> None:
        deliver = DeliverConversationMessages(
            self.uow_factory,
            self.gateway,
            InMemoryMediaStore(),
            self.clock,
            GatewayBreakers(self.clock),
            Metrics(),
            SessionOutages(self.gateway, self.clock),
        )
        handlers: dict[type[JobCommand], JobHandler] = {BotTurn: self.turn, Deliver: deliver}
        runner = JobRunner(self.uow_factory, self.clock, handlers, "w")
        self.clock.advance(5)
        while await runner.run_due():
            pass

    def sent(self) -> list[str]:
        return self.gateway.texts(CHAT)

    async def conversation(self) -> Conversation:
        async with self.uow_factory() as uow:
            contact = await uow.contacts.find_by_chat_id("a", CHAT)
            assert contact is not None
            return (await uow.conversations.list_for_contact("a", contact.id))[0]


@pytest.fixture
async def world() -> World:
    created = World()
    await created.seed()
    return created


async def test_greetings_alone_get_the_greeting_then_a_short_offer_of_help() -> None:
    world = World()
    await world.seed(member=True)
    await world.writes("Olá, boa tarde")
    await world.run_turn()
    await world.writes("oi, tudo bem? 🙂")
    await world.run_turn()
    assert world.sent() == ["Olá, Maria! Como podemos ajudar?", "Em que posso ajudar?"]
    assert world.model.requests == [], "no model is asked to say hello"
    conversation = await world.conversation()
    assert conversation.status is ConversationStatus.BOT
    assert conversation.bot_turns == 0, "greetings do not count toward the maximum"


async def test_thanks_get_a_youre_welcome_without_a_model() -> None:
    world = World()
    await world.seed(member=True)
    await world.writes("quando é a entrega do óleo?")
    await world.run_turn()
    await world.writes("ok, obrigada!")
    await world.run_turn()
    assert world.sent()[-1] == "Por nada! Se precisar de algo, é só escrever."
    assert len(world.model.requests) == 1, "thanks are not a question for the documents"
    assert (await world.conversation()).status is ConversationStatus.BOT
    assert await world.knowledge.unanswered("a", 10) == []


async def test_a_greeting_lead_is_greeted_and_asked_the_interviews_next_question(
    world: World,
) -> None:
    first_question = BOT.lead_questions[0].question
    await world.writes("Olá, boa tarde")
    await world.run_turn()
    await world.writes("oi")
    await world.run_turn()
    assert world.sent() == ["Olá! Bem-vindo(a).", first_question, first_question]
    assert world.model.requests == []


async def test_an_english_association_offers_help_in_english() -> None:
    english = World(dataclasses.replace(BOT, lead_questions=()))
    await english.seed(locale=Locale.EN)
    await english.writes("hello")
    await english.run_turn()
    await english.writes("good morning!")
    await english.run_turn()
    assert english.sent() == [BOT.greeting_lead, "How can I help?"]


async def test_the_model_gets_the_question_without_greetings_and_the_relevant_passages(
    world: World,
) -> None:
    await world.writes("Olá, boa tarde!", "Quando é a entrega do óleo?")
    await world.run_turn()
    assert world.sent() == ["Olá! Bem-vindo(a).", "Resposta do modelo."]
    (request,) = world.model.requests
    assert [p.title for p in request.passages] == ["Calendário de entregas"]
    assert request.passages[0].text == DELIVERY_TEXT


async def test_an_embedder_that_fails_leaves_the_full_text_search(world: World) -> None:
    world.turn = dataclasses.replace(world.turn, embedder=FailingEmbedder())
    await world.writes("quando é a entrega do óleo?")
    await world.run_turn()
    assert [p.title for p in world.model.requests[0].passages] == ["Calendário de entregas"]


async def test_an_unrelated_question_gets_no_passages(world: World) -> None:
    await world.writes("qual a cor da bandeira do Japão?")
    await world.run_turn()
    assert world.model.requests[0].passages == ()


@pytest.mark.parametrize("question", ["Qual a dosagem do óleo?", "posso tomar junto com dipirona?"])
async def test_a_medical_question_goes_to_a_person_with_only_the_associations_message(
    world: World, question: str
) -> None:
    await world.writes("Oi, boa noite", question)
    await world.run_turn()
    assert world.sent() == [BOT.medical_message], "no greeting, no transition message"
    assert world.model.requests == []
    conversation = await world.conversation()
    assert conversation.status is ConversationStatus.PENDING
    assert conversation.handoff_reason is HandoffReason.MEDICAL_QUESTION
    assert conversation.handoff_note is not None
    assert conversation.handoff_note.summary == question
    assert not conversation.urgent


async def test_the_association_adds_its_own_medical_terms() -> None:
    world = World(dataclasses.replace(BOT, medical_terms=("canabidiolemia",)))
    await world.seed()
    await world.writes("Como está minha canabidiolemia?")
    await world.run_turn()
    assert world.sent() == [BOT.medical_message]


async def test_an_emergency_gets_the_numbers_even_with_the_bot_turned_off_meanwhile(
    world: World,
) -> None:
    await world.writes("oi")
    await world.run_turn()
    async with world.uow_factory() as uow:
        association = await uow.associations.get("a")
        assert association is not None
        turned_off = dataclasses.replace(association.bot, enabled=False)
        await uow.associations.update(dataclasses.replace(association, bot=turned_off))
        await uow.commit()
    await world.writes("Socorro, meu filho está convulsionando!")
    await world.run_turn()
    assert world.sent()[-1] == BOT.emergency_message
    assert BOT.transition_message not in world.sent()
    assert "192" in BOT.emergency_message and "188" in BOT.emergency_message
    conversation = await world.conversation()
    assert conversation.status is ConversationStatus.PENDING
    assert conversation.handoff_reason is HandoffReason.EMERGENCY
    assert conversation.urgent
    [(association_id, alert)] = world.store.tables.alerts
    assert (association_id, alert.kind) == ("a", "emergency")
    assert conversation.resolve(world.clock.now()) == Success(None)
    assert not conversation.urgent, "urgent until resolved"


@pytest.mark.parametrize(
    ("reason", "message", "handoff"),
    [
        ("emergency", BOT.emergency_message, HandoffReason.EMERGENCY),
        (MEDICAL_QUESTION, BOT.medical_message, HandoffReason.MEDICAL_QUESTION),
    ],
)
async def test_a_models_own_guardrail_reason_is_honoured_the_same_way(
    world: World, reason: str, message: str, handoff: HandoffReason
) -> None:
    world.model.answer = BotReply("texto ignorado", BotAction.HANDOFF, reason=reason)
    await world.writes("me ajuda com uma coisa séria")
    await world.run_turn()
    assert world.sent() == [message]
    conversation = await world.conversation()
    assert conversation.handoff_reason is handoff
    assert conversation.urgent is (handoff is HandoffReason.EMERGENCY)


async def test_no_answer_in_the_documents_says_so_records_the_question_and_hands_off(
    world: World,
) -> None:
    world.model.answer = BotReply("", BotAction.HANDOFF, reason=NO_ANSWER)
    await world.writes("Olá, boa tarde", "Vocês aceitam cartão?")
    await world.run_turn()
    assert world.sent() == [BOT.no_answer_message]
    conversation = await world.conversation()
    assert conversation.handoff_reason is HandoffReason.NO_ANSWER
    assert conversation.handoff_note is not None
    assert conversation.handoff_note.summary == "Vocês aceitam cartão?"
    [question] = await world.knowledge.unanswered("a", 10)
    assert (question.text, question.conversation_id) == ("Vocês aceitam cartão?", conversation.id)


async def test_an_association_that_only_takes_note_keeps_the_conversation_with_the_bot() -> None:
    world = World(dataclasses.replace(BOT, unanswered_action=UnansweredAction.NOTE))
    await world.seed()
    world.model.answer = BotReply("", BotAction.HANDOFF, reason=NO_ANSWER)
    await world.writes("Vocês aceitam cartão?")
    await world.run_turn()
    assert world.sent() == ["Olá! Bem-vindo(a).", BOT.no_answer_message]
    assert (await world.conversation()).status is ConversationStatus.BOT
    assert [q.text for q in await world.knowledge.unanswered("a", 10)] == ["Vocês aceitam cartão?"]


async def test_a_leads_unanswered_question_is_recorded_while_the_interview_goes_on(
    world: World,
) -> None:
    world.model.answer = BotReply("Vou anotar sua pergunta. Qual é o seu nome?", reason=NO_ANSWER)
    await world.writes("Vocês aceitam cartão?")
    await world.run_turn()
    assert world.sent() == ["Olá! Bem-vindo(a).", "Vou anotar sua pergunta. Qual é o seu nome?"]
    assert (await world.conversation()).status is ConversationStatus.BOT
    assert len(await world.knowledge.unanswered("a", 10)) == 1


async def test_a_handoff_keyword_note_has_no_greeting_and_the_turn_no_greeting_prefix(
    world: World,
) -> None:
    await world.writes("Olá, boa tarde", "quero falar com um atendente")
    await world.run_turn()
    assert world.sent() == [BOT.transition_message]
    note = (await world.conversation()).handoff_note
    assert note is not None and note.summary == "quero falar com um atendente"


async def test_a_models_summary_wins_in_the_handoff_note(world: World) -> None:
    world.model.answer = BotReply(
        "Um momento.", BotAction.HANDOFF, summary="Quer doar à associação"
    )
    await world.writes("Boa tarde! Como faço uma doação?")
    await world.run_turn()
    assert world.sent() == ["Um momento.", BOT.transition_message]
    note = (await world.conversation()).handoff_note
    assert note is not None and note.summary == "Quer doar à associação"


async def test_a_voice_note_being_transcribed_is_waited_for_then_read() -> None:
    world = World(transcriber=True)
    await world.seed()
    await world.sends_voice_note(None)
    await world.run_turn()
    assert world.sent() == [] and world.model.requests == []
    conversation = await world.conversation()
    async with world.uow_factory() as uow:
        [message] = await uow.messages.list_for_conversation(
            "a", conversation.id, before=None, limit=5
        )
        message.transcribe("quando é a entrega do óleo?")
        await uow.messages.update(message)
        await uow.commit()
    await world.turn(BotTurn("a", conversation.id), None)  # type: ignore[arg-type]
    (request,) = world.model.requests
    assert request.history[-1].text == "quando é a entrega do óleo?"
    assert [p.title for p in request.passages] == ["Calendário de entregas"]


@pytest.mark.parametrize("transcriber", [False, True])
async def test_a_voice_note_that_cannot_be_heard_asks_the_contact_to_write(
    transcriber: bool,
) -> None:
    world = World(transcriber=transcriber)
    await world.seed()
    await world.sends_voice_note(None if not transcriber else "")
    await world.run_turn()
    assert world.sent() == ["Olá! Bem-vindo(a).", BOT.voice_note_message]
    assert (await world.conversation()).status is ConversationStatus.BOT


async def test_an_association_may_hand_unheard_voice_notes_to_people() -> None:
    bot = dataclasses.replace(BOT, untranscribed_voice_notes=UntranscribedVoiceNotes.HANDOFF)
    world = World(bot)
    await world.seed()
    await world.sends_voice_note(None)
    await world.run_turn()
    assert world.sent() == [BOT.transition_message]
    assert (await world.conversation()).handoff_reason is HandoffReason.VOICE_NOTE


async def test_other_media_still_hands_off_as_unsupported(world: World) -> None:
    await world._receive(MessageType.IMAGE, "", Media("http://waha/p.jpg", "image/jpeg"))
    await world.run_turn()
    assert (await world.conversation()).handoff_reason is HandoffReason.UNSUPPORTED_MEDIA


async def test_an_emergency_waiting_for_agents_still_gets_the_numbers_once() -> None:
    world = World(dataclasses.replace(BOT, enabled=False))
    await world.seed()
    await world.writes("meu pai desmaiou agora")
    await world.writes("ele desmaiou de novo")
    await world.run_turn()
    assert world.sent() == [BOT.emergency_message], "once, with the bot turned off"
    conversation = await world.conversation()
    assert conversation.status is ConversationStatus.PENDING
    assert conversation.handoff_reason is HandoffReason.BOT_DISABLED
    assert conversation.urgent
    assert [alert.kind for _, alert in world.store.tables.alerts] == ["emergency"]


async def test_an_emergency_in_an_agents_conversation_is_marked_and_alerted_only(
    world: World,
) -> None:
    await world.writes("Qual o horário de vocês?")
    await world.run_turn()
    conversation_id = (await world.conversation()).id
    async with world.uow_factory() as uow:
        conversation = await uow.conversations.get("a", conversation_id)
        assert conversation is not None
        assert conversation.claim("ana") == Success(None)
        await uow.conversations.update(conversation)
        await uow.commit()
    before = world.sent()
    await world.writes("estou com dor no peito")
    await world.run_turn()
    assert world.sent() == before, "a person is already talking with the contact"
    assert (await world.conversation()).urgent
    assert [alert.kind for _, alert in world.store.tables.alerts] == ["emergency"]


async def test_an_emergency_from_a_contact_who_opted_out_alerts_the_agents_and_sends_nothing(
    world: World,
) -> None:
    await world.writes("SAIR")
    await world.run_turn()
    before = world.sent()
    await world.writes("meu pai desmaiou agora")
    await world.run_turn()
    assert world.sent() == before, "no message to a contact who opted out"
    assert (await world.conversation()).urgent
    assert [alert.kind for _, alert in world.store.tables.alerts] == ["emergency"]


async def test_a_message_without_an_emergency_changes_nothing_for_the_agents() -> None:
    world = World(dataclasses.replace(BOT, enabled=False))
    await world.seed()
    await world.writes("Qual a dosagem?")
    await world.run_turn()
    assert world.sent() == []
    assert not (await world.conversation()).urgent
    assert world.store.tables.alerts == []
