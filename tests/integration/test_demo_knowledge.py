"""The demo seeds its association's documents (``make run``): all of them once, however many
times it starts, and the assistant's search finds the delivery calendar for the question the
demo's instructions suggest."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from wa_crm.container import Container, build_container, close_resources
from wa_crm.domain.usecases.access.setup import NewAssociation
from wa_crm.entrypoints.demo import DemoAccounts, welcome
from wa_crm.entrypoints.demo_knowledge import demo_documents, seed_demo_knowledge
from wa_crm.settings import Settings

SUGGESTED = "quando é a entrega do óleo?"


@pytest.fixture
async def container(sqlite_url: str) -> AsyncIterator[Container]:
    container = build_container(Settings(database_url=sqlite_url, workers=0, secret_key="x" * 32))
    (await container.create_association()(NewAssociation("demo", "Associação Demo"))).unwrap()
    yield container
    await close_resources(container)


async def demo_association_id(container: Container) -> str:
    async with container.uow_factory()() as uow:
        association = await uow.associations.get_by_slug("demo")
    assert association is not None
    return association.id


async def test_a_second_start_adds_no_document(container: Container) -> None:
    first = await seed_demo_knowledge(container, "demo")
    second = await seed_demo_knowledge(container, "demo")

    stored = await container.knowledge_documents().listed(await demo_association_id(container))
    assert (first, second) == (len(demo_documents()), 0)
    assert sorted(document.title for document in stored) == sorted(
        document.title for document in demo_documents()
    )
    assert all(document.chunks >= 3 for document in stored)


async def test_the_suggested_question_finds_the_delivery_calendar(container: Container) -> None:
    await seed_demo_knowledge(container, "demo")

    passages = (
        await container.search_knowledge()(await demo_association_id(container), SUGGESTED, 3)
    ).unwrap()

    assert passages[0].title == "Calendário de entregas do óleo"
    assert SUGGESTED in welcome(DemoAccounts(), "http://s", "http://w")


def test_every_document_has_a_title_and_sections() -> None:
    documents = demo_documents()

    assert 5 <= len(documents) <= 7
    assert all(document.title and document.text.count("\n## ") >= 2 for document in documents)
