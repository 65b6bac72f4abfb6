"""The knowledge base contract's fixture on a migrated SQL database, and what only SQL promises:
one query finds a question's candidates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.contract.persistence.builders import an_association
from tests.support.hypothesis_profiles import examples

from wa_crm.adapters.memory.knowledge import InMemoryKnowledgeBase
from wa_crm.adapters.sql import SqlUnitOfWork
from wa_crm.adapters.sql.engine import read_only_engine
from wa_crm.adapters.sql.knowledge_base import SqlKnowledgeBase
from wa_crm.ports.knowledge import KnowledgeBase
from wa_crm.ports.system import SecretCipher

from .suite import (
    ASSOCIATION,
    OTHER_ASSOCIATION,
    KnowledgeBaseContract,
    a_document,
    save_corpus,
    summary,
)

VOCABULARY = [
    *("entrega", "entregas", "Associação", "associacoes", "óleo", "oleo", "receita"),
    *("médica", "sede", "Pix", "de", "a", "o", "terça"),
]
words = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=25).map(" ".join)


async def sql_knowledge(
    engine: AsyncEngine, cipher: SecretCipher
) -> AsyncIterator[SqlKnowledgeBase]:
    async with SqlUnitOfWork(engine, cipher) as uow:
        for number, association_id in enumerate([ASSOCIATION, OTHER_ASSOCIATION]):
            await uow.associations.add(
                an_association(id=association_id, slug=f"knowledge-{number}")
            )
        await uow.commit()
    read_engine = read_only_engine(engine)
    yield SqlKnowledgeBase(engine, read_engine)
    await read_engine.dispose()


class SqlKnowledgeBaseContract(KnowledgeBaseContract):
    @pytest.fixture
    def engine(self) -> AsyncEngine:
        raise NotImplementedError

    @pytest.fixture
    async def knowledge(
        self, engine: AsyncEngine, cipher: SecretCipher
    ) -> AsyncIterator[KnowledgeBase]:
        async for knowledge in sql_knowledge(engine, cipher):
            yield knowledge

    async def test_a_search_is_one_query_on_the_read_only_engine(
        self, knowledge: KnowledgeBase, engine: AsyncEngine
    ) -> None:
        assert isinstance(knowledge, SqlKnowledgeBase)
        await save_corpus(knowledge)
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        read_engine = knowledge._read_engine
        event.listen(read_engine.sync_engine, "before_cursor_execute", count)
        try:
            found = await knowledge.search(ASSOCIATION, "entregas na sede", 5, [0.1, 0.2])
        finally:
            event.remove(read_engine.sync_engine, "before_cursor_execute", count)
        assert found and len(statements) == 1

    @settings(
        max_examples=examples(15),
        deadline=None,
        # the fixture's store is emptied by the test; the one method runs for two adapters
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(texts=st.lists(words, min_size=1, max_size=8), question=words)
    async def test_any_corpus_ranks_as_in_memory(
        self, knowledge: KnowledgeBase, texts: list[str], question: str
    ) -> None:
        for document in await knowledge.documents(ASSOCIATION):
            await knowledge.remove(ASSOCIATION, document.id)
        reference = InMemoryKnowledgeBase()
        for number, text in enumerate(texts):
            document = a_document(f"d{number}", "Documento", text)
            await knowledge.save(document, [text])
            await reference.save(document, [text])
        expected = summary(await reference.search(ASSOCIATION, question, 3))
        assert summary(await knowledge.search(ASSOCIATION, question, 3)) == expected
