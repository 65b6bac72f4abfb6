"""Patient dialogues with the association's assistant, end to end: the WAHA simulator calls
the service's webhook over HTTP, the bot turn runs as a job with the rules provider and the
demo association's documents, and the simulator receives what the assistant says.

Each dialogue is a row of one table: what the contact writes, turn by turn (messages of one
turn are sent together, inside the debounce), every message the assistant sends back (exactly,
or a pattern for the quoted passages), and the conversation at the end: status, handoff reason,
the handoff note's summary and the urgent mark. One service and simulator serve the module;
every dialogue has its own phone number, so any of them runs alone.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from tests.e2e.harness import Service, running_service

from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.model.conversation import ConversationStatus, HandoffReason
from wa_crm.domain.model.message import Direction
from wa_crm.entrypoints.demo_knowledge import seed_demo_knowledge

pytestmark = pytest.mark.asyncio(loop_scope="module")

BOT = BotSettings(debounce_seconds=0.25, typing_seconds=0)
WELCOME = "Olá! Bem-vindo(a)."
"""The lead greeting without its question, when an answer or a question follows it."""
NAME, CITY, INTEREST = (question.question for question in BOT.lead_questions)
PATIENTS = (
    "id,full_name,phone,status,city,condition\n"
    "p-1,Maria Aparecida Silva,+55 11 99999-8801,active,São Paulo,fibromialgia\n"
    "p-2,João Batista Souza,+55 11 99999-8802,active,Recife,epilepsia\n"
    "p-3,Ana Paula Lima,+55 11 99999-8803,active,Belo Horizonte,ansiedade\n"
    "p-4,Carla Mendes,+55 11 99999-8804,active,Contagem,dor crônica\n"
    "p-5,Pedro Henrique Alves,+55 11 99999-8805,active,Betim,insônia\n"
    "p-6,Rita de Cássia Rocha,+55 11 99999-8806,active,Niterói,autismo\n"
    "p-7,Lucas Ferreira,+55 11 99999-8807,active,Curitiba,Parkinson\n"
    "p-8,Marcos Vinícius Dias,+55 11 99999-8808,active,Salvador,epilepsia\n"
    "p-9,Beatriz Nogueira,+55 11 99999-8809,active,Natal,fibromialgia\n"
)
ORDERS = (
    "patient_id,order_id,date,items,total,status\n"
    "p-1,o-1001,2026-09-12,Óleo CBD 3% 30ml,289.90,delivered\n"
    "p-1,o-1042,2026-11-02,Óleo CBD 3% 30ml x2,559.80,shipped\n"
)
DELIVERIES = "Calendário de entregas do óleo"
PLACES = "Onde atendemos"
JOINING = "Como se associar"
PAYMENTS = "Contribuição e pagamentos"


def member(n: int) -> str:
    return f"55119999988{n:02d}@c.us"


def lead(n: int) -> str:
    return f"55219888877{n:02d}@c.us"


def answer_from(title: str, *then: str) -> re.Pattern[str]:
    """A reply quoting a document: its sentences, a blank line, "Fonte: <title>", and what
    follows (the lead interview's next question)."""
    after = "".join(f"\n\n{re.escape(text)}" for text in then)
    return re.compile(rf"(?s)[^\n].*\S\n\nFonte: {re.escape(title)}{after}")


Expected = str | re.Pattern[str]


@dataclass(frozen=True)
class Dialogue:
    name: str
    chat_id: str
    turns: tuple[tuple[tuple[str, ...], tuple[Expected, ...]], ...]
    status: ConversationStatus
    reason: HandoffReason | None = None
    summary: str | None = None
    urgent: bool = False
    said_in_full: tuple[str, ...] = field(default=())
    """Words the quoted answers must hold (the passage that answers, not any passage)."""


DIALOGUES = [
    Dialogue(
        "a member says hello, asks where her order is and thanks",
        member(1),
        (
            (("Oi",), ("Olá, Maria! Como podemos ajudar?",)),
            (
                ("Cadê meu pedido?",),
                (
                    "Seu último pedido (o-1042, de 02/11/2026) foi enviado. "
                    "Itens: Óleo CBD 3% 30ml x2. Total: R$ 559,80.",
                ),
            ),
            (("Obrigada! 🙏",), ("Por nada! Se precisar de algo, é só escrever.",)),
        ),
        ConversationStatus.BOT,
    ),
    Dialogue(
        "a member greets, then asks when the oil is delivered",
        member(2),
        (
            (
                ("Olá, boa tarde!", "quando é a entrega do óleo?"),
                ("Olá, João!", answer_from(DELIVERIES)),
            ),
        ),
        ConversationStatus.BOT,
        said_in_full=("toda terça-feira, das 9h às 17h", "toda quarta-feira"),
    ),
    Dialogue(
        "a member greets twice: the greeting once, then an offer of help",
        member(3),
        (
            (("Bom dia",), ("Olá, Ana! Como podemos ajudar?",)),
            (("tudo bem? 🙂",), ("Em que posso ajudar?",)),
        ),
        ConversationStatus.BOT,
    ),
    Dialogue(
        "a member asks how to pay",
        member(9),
        (
            (
                ("Posso pagar com PIX ou boleto?",),
                ("Olá, Beatriz!", answer_from(PAYMENTS)),
            ),
        ),
        ConversationStatus.BOT,
        said_in_full=("PIX",),
    ),
    Dialogue(
        "a member asks about dosage",
        member(4),
        ((("Oi, boa noite", "Qual a dosagem do óleo pra dormir?"), (BOT.medical_message,)),),
        ConversationStatus.PENDING,
        HandoffReason.MEDICAL_QUESTION,
        "Qual a dosagem do óleo pra dormir?",
    ),
    Dialogue(
        "a member asks about mixing the oil with another medicine",
        member(5),
        ((("Posso tomar junto com o rivotril?",), (BOT.medical_message,)),),
        ConversationStatus.PENDING,
        HandoffReason.MEDICAL_QUESTION,
        "Posso tomar junto com o rivotril?",
    ),
    Dialogue(
        "a member's child has a seizure",
        member(6),
        ((("Socorro, minha filha está convulsionando!",), (BOT.emergency_message,)),),
        ConversationStatus.PENDING,
        HandoffReason.EMERGENCY,
        "Socorro, minha filha está convulsionando!",
        urgent=True,
    ),
    Dialogue(
        "a member asks what the documents do not say",
        member(7),
        ((("Olá, boa tarde", "Vocês vendem camisetas da associação?"), (BOT.no_answer_message,)),),
        ConversationStatus.PENDING,
        HandoffReason.NO_ANSWER,
        "Vocês vendem camisetas da associação?",
    ),
    Dialogue(
        "a member asks for a person",
        member(8),
        ((("quero falar com um atendente",), (BOT.transition_message,)),),
        ConversationStatus.PENDING,
        HandoffReason.KEYWORD,
        "quero falar com um atendente",
    ),
    Dialogue(
        "a lead says hello and the interview starts",
        lead(1),
        ((("Oi, boa tarde",), (WELCOME, NAME)),),
        ConversationStatus.BOT,
    ),
    Dialogue(
        "a lead asks whether BH is served before the interview goes on",
        lead(2),
        (
            (("Vocês atendem em BH?",), (WELCOME, answer_from(PLACES, NAME))),
            (("Lia Souza",), (CITY,)),
        ),
        ConversationStatus.BOT,
        said_in_full=("Belo Horizonte",),
    ),
    Dialogue(
        "a lead answers the whole interview",
        lead(3),
        (
            (("Olá",), (WELCOME, NAME)),
            (("Bruno Costa",), (CITY,)),
            (("Contagem",), (INTEREST,)),
            (("Quero me associar",), (BOT.objective_complete_message, BOT.transition_message)),
        ),
        ConversationStatus.PENDING,
        HandoffReason.OBJECTIVE_COMPLETE,
        "name: Bruno Costa / city: Contagem / interest: Quero me associar",
    ),
    Dialogue(
        "a lead asks how to join",
        lead(4),
        ((("Como faço para me associar?",), (WELCOME, answer_from(JOINING, NAME))),),
        ConversationStatus.BOT,
        said_in_full=("associ",),
    ),
    Dialogue(
        "a lead asks what the documents do not say; the interview goes on",
        lead(5),
        (
            (
                ("Vocês têm estacionamento para bicicletas?",),
                (WELCOME, f"Vou anotar sua pergunta para a equipe.\n\n{NAME}"),
            ),
        ),
        ConversationStatus.BOT,
    ),
    Dialogue(
        "a lead asks about side effects",
        lead(6),
        ((("O óleo tem efeito colateral?",), (BOT.medical_message,)),),
        ConversationStatus.PENDING,
        HandoffReason.MEDICAL_QUESTION,
        "O óleo tem efeito colateral?",
    ),
    Dialogue(
        "a lead cannot breathe",
        lead(7),
        ((("Oi", "não consigo respirar direito"), (BOT.emergency_message,)),),
        ConversationStatus.PENDING,
        HandoffReason.EMERGENCY,
        "não consigo respirar direito",
        urgent=True,
    ),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Service]:
    folder = tmp_path_factory.mktemp("dialogues")
    shutil.copyfile(sqlite_template, folder / "wa_crm.db")
    url = f"sqlite+aiosqlite:///{folder / 'wa_crm.db'}"
    async with running_service(url, folder / "media", BOT, quick_sends=True) as running:
        (await running.container.import_patients()("e2e", PATIENTS)).unwrap()
        (await running.container.import_orders()("e2e", ORDERS)).unwrap()
        await seed_demo_knowledge(running.container, "e2e")
        yield running


def _matches(expected: Expected, text: str) -> bool:
    if isinstance(expected, re.Pattern):
        return expected.fullmatch(text) is not None
    return expected == text


async def _stored_replies(service: Service, chat_id: str) -> list[str]:
    """What the service queued for the contact in the conversation: every message of a turn is
    written with its decision, so nothing else can come without a new message."""
    conversation = await service.conversation_of(chat_id)
    async with service.container.uow_factory()() as uow:
        messages = await uow.messages.list_for_conversation(
            service.association.id, conversation.id, before=None, limit=100
        )
    return [m.body for m in reversed(messages) if m.direction is Direction.OUT]


@pytest.mark.parametrize("dialogue", DIALOGUES, ids=[d.name for d in DIALOGUES])
async def test_the_assistant_answers_as_the_association_wants(
    service: Service, dialogue: Dialogue
) -> None:
    already = len(await service.texts(dialogue.chat_id))
    expected: list[Expected] = []
    for messages, replies in dialogue.turns:
        for text in messages:
            await service.patient_writes(dialogue.chat_id, text, push_name="Contato")
        expected += replies
        count = already + len(expected)
        texts = await service.wait_for_texts(lambda t, n=count: len(t) >= n, dialogue.chat_id)
        said = texts[already:]
        assert len(said) == len(expected), said
        mismatched = [(e, s) for e, s in zip(expected, said, strict=True) if not _matches(e, s)]
        assert mismatched == [], said
    stored = await _stored_replies(service, dialogue.chat_id)
    assert stored[len(stored) - len(expected) :] == said, "nothing more was queued"
    for words in dialogue.said_in_full:
        assert any(words.casefold() in text.casefold() for text in said), said

    conversation = await service.conversation_of(dialogue.chat_id)
    assert conversation.status is dialogue.status
    assert conversation.handoff_reason is dialogue.reason
    if dialogue.summary is not None:
        assert conversation.handoff_note is not None
        assert conversation.handoff_note.summary == dialogue.summary
    assert conversation.urgent is dialogue.urgent
