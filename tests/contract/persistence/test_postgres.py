"""The persistence contracts against PostgreSQL, plus claimers racing from two processes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from wa_crm.adapters.sql import SqlUnitOfWork, create_engine
from wa_crm.adapters.sql.engine import read_only_engine
from wa_crm.adapters.sql.queries import sql_queries
from wa_crm.ports.queries import Queries
from wa_crm.ports.system import SecretCipher

from .base import PublishedFacts
from .builders import T0, a_job, at
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
    SqlAuditContract,
    SqlQueriesContract,
    SqlStorageContract,
    StatisticsContract,
    UnitOfWorkContract,
    UowFactory,
)
from .suite_conversation_clocks import ConversationClockContract
from .suite_labels import LabelContract
from .suite_queued_jobs import QueuedJobContract

pytestmark = pytest.mark.postgres


class PostgresAdapter:
    @pytest.fixture
    def engine(self, postgres_engine: AsyncEngine) -> AsyncEngine:
        return postgres_engine

    @pytest.fixture
    def uow_factory(
        self, postgres_engine: AsyncEngine, cipher: SecretCipher, published: PublishedFacts
    ) -> UowFactory:
        return lambda: SqlUnitOfWork(postgres_engine, cipher, published)

    @pytest.fixture
    async def read_engine(self, postgres_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
        """The query adapters' engine on the same database."""
        read_engine = read_only_engine(postgres_engine)
        yield read_engine
        await read_engine.dispose()

    @pytest.fixture
    def queries(self, read_engine: AsyncEngine) -> Queries:
        return sql_queries(read_engine)

    @pytest.fixture
    def blank_url(self, postgres_blank_url: str) -> str:
        return postgres_blank_url


class TestPostgresStorage(PostgresAdapter, SqlStorageContract): ...


class TestPostgresUnitOfWork(PostgresAdapter, UnitOfWorkContract): ...


class TestPostgresAssociations(PostgresAdapter, AssociationContract): ...


class TestPostgresAgents(PostgresAdapter, AgentContract): ...


class TestPostgresPatients(PostgresAdapter, PatientContract): ...


class TestPostgresContacts(PostgresAdapter, ContactContract): ...


class TestPostgresConversations(PostgresAdapter, ConversationContract): ...


class TestPostgresConversationClocks(PostgresAdapter, ConversationClockContract): ...


class TestPostgresMessages(PostgresAdapter, MessageContract): ...


class TestPostgresJobs(PostgresAdapter, JobContract): ...


class TestPostgresProcessedEvents(PostgresAdapter, ProcessedEventContract): ...


class TestPostgresPendingAcks(PostgresAdapter, PendingAckContract): ...


class TestPostgresWorkerProcesses:
    """Two engines are two connection pools, as two worker processes would have."""

    JOBS = 200

    @pytest.fixture
    async def second_engine(self, postgres_url: str) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(postgres_url)
        yield engine
        await engine.dispose()

    async def test_every_job_is_claimed_exactly_once(
        self, postgres_engine: AsyncEngine, second_engine: AsyncEngine, cipher: SecretCipher
    ) -> None:
        async with SqlUnitOfWork(postgres_engine, cipher) as uow:
            for n in range(self.JOBS):
                await uow.jobs.schedule(a_job(run_after=at(n % 13)), T0)
            await uow.commit()
        claims: Counter[str] = Counter()
        by_process: Counter[str] = Counter()

        async def worker(engine: AsyncEngine, name: str) -> None:
            now = at(60)
            while True:
                async with SqlUnitOfWork(engine, cipher) as uow:
                    claimed = await uow.jobs.claim_due(
                        now, name, now + timedelta(minutes=5), ["bot_turn"], limit=4
                    )
                    await asyncio.sleep(0.001)  # hold the row locks a moment
                    await uow.commit()
                if not claimed:
                    return
                claims.update(job.id for job in claimed)
                by_process[name[0]] += len(claimed)

        await asyncio.gather(
            *(
                worker(engine, f"{process}-{n}")
                for process, engine in (("a", postgres_engine), ("b", second_engine))
                for n in range(6)
            )
        )
        assert len(claims) == self.JOBS
        assert set(claims.values()) == {1}
        assert by_process["a"] and by_process["b"]  # both processes really competed


class TestPostgresDeliveryState(PostgresAdapter, DeliveryStateContract): ...


class TestPostgresInbox(PostgresAdapter, InboxContract): ...


class TestPostgresStatistics(PostgresAdapter, StatisticsContract): ...


class TestPostgresAudit(PostgresAdapter, AuditContract): ...


class TestPostgresSqlAudit(PostgresAdapter, SqlAuditContract): ...


class TestPostgresPrivacy(PostgresAdapter, PrivacyContract): ...


class TestPostgresAssignment(PostgresAdapter, AssignmentContract): ...


class TestPostgresInboxTools(PostgresAdapter, InboxToolsContract): ...


class TestPostgresImports(PostgresAdapter, ImportContract): ...


class TestPostgresQueuedJobs(PostgresAdapter, QueuedJobContract): ...


class TestPostgresQueries(PostgresAdapter, QueriesContract): ...


class TestPostgresSqlQueries(PostgresAdapter, SqlQueriesContract): ...


class TestPostgresLabels(PostgresAdapter, LabelContract): ...
