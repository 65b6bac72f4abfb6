"""The persistence contracts against the in-memory adapter."""

from __future__ import annotations

import pytest

from wa_crm.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from wa_crm.adapters.memory.queries import in_memory_queries
from wa_crm.ports.queries import Queries

from .base import PublishedFacts
from .suite import (
    AgentContract,
    AssignmentContract,
    AssociationContract,
    AuditContract,
    ContactContract,
    ConversationContract,
    DeliveryStateContract,
    ImportContract,
    InboxContract,
    InboxToolsContract,
    JobContract,
    MessageContract,
    PatientContract,
    PendingAckContract,
    PrivacyContract,
    ProcessedEventContract,
    QueriesContract,
    StatisticsContract,
    UnitOfWorkContract,
    UowFactory,
)
from .suite_conversation_clocks import ConversationClockContract
from .suite_labels import LabelContract


class InMemoryAdapter:
    @pytest.fixture
    def store(self) -> InMemoryStore:
        return InMemoryStore()

    @pytest.fixture
    def uow_factory(self, store: InMemoryStore, published: PublishedFacts) -> UowFactory:
        return lambda: InMemoryUnitOfWork(store, published)

    @pytest.fixture
    def queries(self, store: InMemoryStore) -> Queries:
        return in_memory_queries(store)


class TestInMemoryUnitOfWork(InMemoryAdapter, UnitOfWorkContract):
    async def test_a_nested_unit_in_one_task_fails_fast(self, uow_factory: UowFactory) -> None:
        async with uow_factory():
            with pytest.raises(RuntimeError, match="already open in this task"):
                async with uow_factory():
                    pass

    async def test_repositories_refuse_work_outside_the_block(
        self, uow_factory: UowFactory
    ) -> None:
        uow = uow_factory()
        with pytest.raises(RuntimeError, match="inside `async with`"):
            await uow.jobs.get("x")


class TestInMemoryAssociations(InMemoryAdapter, AssociationContract): ...


class TestInMemoryAgents(InMemoryAdapter, AgentContract): ...


class TestInMemoryPatients(InMemoryAdapter, PatientContract): ...


class TestInMemoryContacts(InMemoryAdapter, ContactContract): ...


class TestInMemoryConversations(InMemoryAdapter, ConversationContract): ...


class TestInMemoryConversationClocks(InMemoryAdapter, ConversationClockContract): ...


class TestInMemoryMessages(InMemoryAdapter, MessageContract): ...


class TestInMemoryJobs(InMemoryAdapter, JobContract): ...


class TestInMemoryProcessedEvents(InMemoryAdapter, ProcessedEventContract): ...


class TestInMemoryPendingAcks(InMemoryAdapter, PendingAckContract): ...


class TestInMemoryDeliveryState(InMemoryAdapter, DeliveryStateContract): ...


class TestInMemoryInbox(InMemoryAdapter, InboxContract): ...


class TestInMemoryStatistics(InMemoryAdapter, StatisticsContract): ...


class TestInMemoryAudit(InMemoryAdapter, AuditContract): ...


class TestInMemoryPrivacy(InMemoryAdapter, PrivacyContract): ...


class TestInMemoryAssignment(InMemoryAdapter, AssignmentContract): ...


class TestInMemoryInboxTools(InMemoryAdapter, InboxToolsContract): ...


class TestInMemoryImports(InMemoryAdapter, ImportContract): ...


class TestInMemoryQueries(InMemoryAdapter, QueriesContract): ...


class TestInMemoryLabels(InMemoryAdapter, LabelContract): ...
