"""The demo seeds its association's documents (``make run``): all of them once, however many
times it starts, and the assistant answers the question the demo's instructions suggest from
the delivery calendar, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.support.waha_payloads import WaMessage, message_event
from tests.support.webhook_driver import Waha

from wa_crm.container import Container
from wa_crm.domain.model.message import Direction
from wa_crm.entrypoints.demo import DemoAccounts, welcome
from wa_crm.entrypoints.demo_knowledge import demo_documents, seed_demo_knowledge
from wa_crm.testing.clock import FakeClock

SUGGESTED = "quando é a entrega do óleo?"
DELIVERY_CALENDAR = "Calendário de entregas do óleo"


async def test_a_second_start_adds_no_document(waha: Waha, container: Container) -> None:
    slug = waha.association.slug

    first = await seed_demo_knowledge(container, slug)
    second = await seed_demo_knowledge(container, slug)

    stored = await container.knowledge_documents().listed(waha.association.id)
    assert (first, second) == (len(demo_documents()), 0)
    assert sorted(document.title for document in stored) == sorted(
        document.title for document in demo_documents()
    )
    assert all(document.chunks >= 3 for document in stored)


async def test_the_assistant_answers_the_suggested_question_from_the_delivery_calendar(
    waha: Waha, container: Container, clock: FakeClock
) -> None:
    await seed_demo_knowledge(container, waha.association.slug)

    await waha.deliver(message_event(WaMessage(body=SUGGESTED)))
    clock.advance(60)  # past the debounce
    await container.job_runner().run_due()

    conversation = await waha.conversation(WaMessage().chat_id)
    said = [
        message.body or ""
        for message in await waha.conversation_messages(conversation.id)
        if message.direction is Direction.OUT
    ]
    assert any(DELIVERY_CALENDAR in body for body in said), said
    assert SUGGESTED in welcome(DemoAccounts(), "http://service", "http://waha")


def test_every_document_has_a_title_and_sections() -> None:
    documents = demo_documents()

    assert 5 <= len(documents) <= 7
    assert all(document.title and document.text.count("\n## ") >= 2 for document in documents)
