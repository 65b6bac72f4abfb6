"""A patient talks to the association's assistant through WhatsApp (the WAHA simulator) and is
handed to the agents: the service over real HTTP, the rules provider, SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.e2e.harness import Service, running_service

from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.model.conversation import ConversationStatus, HandoffReason
from wa_crm.domain.model.people import ContactKind
from wa_crm.domain.usecases.inbox.agent_actions import AgentRequest

LEAD = "5511988887777@c.us"
MEMBER_WITHOUT_NINTH_DIGIT = "551199998888@c.us"  # the registry has +55 11 99999-8888
BOT = BotSettings(debounce_seconds=0.3, typing_seconds=0)
WELCOME = "Olá! Bem-vindo(a)."
"""The lead greeting without its question, when an answer or a question follows it."""
PATIENTS = "id,full_name,phone,status\np-1,Maria Silva,+55 11 99999-8888,active\n"


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    async with running_service(sqlite_url, tmp_path / "media", BOT, quick_sends=True) as running:
        await running.container.import_patients()("e2e", PATIENTS)
        yield running


async def test_a_lead_is_interviewed_until_the_objective_completes(service: Service) -> None:
    questions = [q.question for q in BOT.lead_questions]
    await service.patient_writes(LEAD, "Oi, boa tarde", push_name="Lia")
    texts = await service.wait_for_texts(lambda t: len(t) >= 2, LEAD)
    assert texts == [WELCOME, questions[0]]

    for answer, expected in [("Lia Souza", questions[1]), ("Recife", questions[2])]:
        await service.patient_writes(LEAD, answer)
        texts = await service.wait_for_texts(lambda t, e=expected: t[-1] == e, LEAD)

    await service.patient_writes(LEAD, "Quero saber como me associar")
    texts = await service.wait_for_texts(lambda t: BOT.transition_message in t, LEAD)
    await asyncio.sleep(0.5)  # nothing else may follow
    texts = await service.texts(LEAD)
    assert texts[-2:] == [BOT.objective_complete_message, BOT.transition_message]
    assert texts.count(BOT.transition_message) == 1

    conversation = await service.conversation_of(LEAD)
    assert conversation.status is ConversationStatus.PENDING
    assert conversation.handoff_reason is HandoffReason.OBJECTIVE_COMPLETE
    assert conversation.handoff_note.fields == {
        "name": "Lia Souza",
        "city": "Recife",
        "interest": "Quero saber como me associar",
    }
    contact = await service.contact_of(LEAD)
    assert contact.kind is ContactKind.LEAD and contact.fields["city"] == "Recife"

    await service.patient_writes(LEAD, "Alô?")  # pending: the bot stays silent
    await asyncio.sleep(0.8)
    assert await service.texts(LEAD) == texts


async def test_a_member_asking_for_a_person_is_handed_off_at_once(service: Service) -> None:
    await service.patient_writes(MEMBER_WITHOUT_NINTH_DIGIT, "Quero falar com um ATENDENTE")
    texts = await service.wait_for_texts(lambda t: len(t) >= 1, MEMBER_WITHOUT_NINTH_DIGIT)
    await asyncio.sleep(0.5)
    assert await service.texts(MEMBER_WITHOUT_NINTH_DIGIT) == [BOT.transition_message]
    contact = await service.contact_of(MEMBER_WITHOUT_NINTH_DIGIT)
    assert (contact.kind, contact.patient_id) == (ContactKind.MEMBER, "p-1")
    conversation = await service.conversation_of(MEMBER_WITHOUT_NINTH_DIGIT)
    assert conversation.status is ConversationStatus.PENDING
    assert conversation.handoff_reason is HandoffReason.KEYWORD
    assert "ATENDENTE" in conversation.handoff_note.summary
    assert texts == [BOT.transition_message]


async def test_messages_within_the_debounce_window_get_one_answer(service: Service) -> None:
    for text in ("Oi", "tudo bem?", "queria uma informação"):
        await service.patient_writes(LEAD, text)
    await service.wait_for_texts(lambda t: len(t) >= 2, LEAD)
    await asyncio.sleep(0.8)
    assert await service.texts(LEAD) == [WELCOME, BOT.lead_questions[0].question]


async def test_a_member_is_greeted_by_name_and_told_about_orders(service: Service) -> None:
    async with service.container.uow_factory()() as uow:
        from datetime import date
        from decimal import Decimal

        from wa_crm.domain.model.people import Order

        await uow.patients.add_order(
            service.association.id,
            "p-1",
            Order("o-7", date(2026, 11, 2), "Óleo 30ml", Decimal("289.90"), "enviado"),
        )
        await uow.commit()
    await service.patient_writes(MEMBER_WITHOUT_NINTH_DIGIT, "Cadê meu pedido?")
    texts = await service.wait_for_texts(lambda t: len(t) >= 2, MEMBER_WITHOUT_NINTH_DIGIT)
    assert texts[0] == "Olá, Maria!"  # an answer follows: no "how can we help?"
    assert "o-7" in texts[1] and "enviado" in texts[1]


async def test_an_agent_takes_over_and_the_bot_stays_silent(service: Service) -> None:
    await service.patient_writes(LEAD, "Oi")
    await service.wait_for_texts(lambda t: len(t) >= 2, LEAD)
    conversation = await service.conversation_of(LEAD)
    request = AgentRequest(service.association.id, conversation.id, service.agent_id)
    actions = service.container.agent_actions()
    (await actions.reply(request, "Olá! Sou a Ana, posso ajudar?")).unwrap()
    await service.wait_for_texts(lambda t: t[-1] == "Olá! Sou a Ana, posso ajudar?", LEAD)
    await service.patient_writes(LEAD, "Lia")
    await asyncio.sleep(0.8)
    assert (await service.texts(LEAD))[-1] == "Olá! Sou a Ana, posso ajudar?"
    assert (await service.conversation_of(LEAD)).status is ConversationStatus.HUMAN
    (await actions.release(request)).unwrap()
    await service.patient_writes(LEAD, "Lia Souza")
    texts = await service.wait_for_texts(lambda t: len(t) == 4, LEAD)
    assert texts[-1] == BOT.lead_questions[0].question, "back with the bot, greeted only once"
    assert texts.count(WELCOME) == 1
