"""The persistence contracts against SQLite, a fresh migrated file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from wa_crm.adapters.sql import SqlUnitOfWork, create_engine, upgrade
from wa_crm.adapters.sql.engine import read_only_engine
from wa_crm.adapters.sql.queries import sql_queries
from wa_crm.ports.queries import Queries
from wa_crm.ports.system import SecretCipher

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


class SqliteAdapter:
    @pytest.fixture
    def engine(self, sqlite_engine: AsyncEngine) -> AsyncEngine:
        return sqlite_engine

    @pytest.fixture
    def uow_factory(
        self, sqlite_engine: AsyncEngine, cipher: SecretCipher, published: PublishedFacts
    ) -> UowFactory:
        return lambda: SqlUnitOfWork(sqlite_engine, cipher, published)

    @pytest.fixture
    async def read_engine(self, sqlite_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
        """The query adapters' engine on the same database."""
        read_engine = read_only_engine(sqlite_engine)
        yield read_engine
        await read_engine.dispose()

    @pytest.fixture
    def queries(self, read_engine: AsyncEngine) -> Queries:
        return sql_queries(read_engine)

    @pytest.fixture
    def blank_url(self, tmp_path: Path) -> str:
        return f"sqlite+aiosqlite:///{tmp_path}/blank.db"


class TestSqliteStorage(SqliteAdapter, SqlStorageContract):
    async def test_connections_use_wal_foreign_keys_and_a_busy_timeout(
        self, engine: AsyncEngine
    ) -> None:
        async with engine.connect() as connection:
            pragmas = [
                (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
        assert pragmas == ["wal", 1, 30_000]

    async def test_upgrade_creates_the_folder_and_accepts_a_plain_url(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path}/not/yet/there.db"
        await upgrade(url)
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                tables = await connection.execute(text("SELECT count(*) FROM sqlite_master"))
                assert tables.scalar_one() > 10
        finally:
            await engine.dispose()


class TestSqliteUnitOfWork(SqliteAdapter, UnitOfWorkContract): ...


class TestSqliteAssociations(SqliteAdapter, AssociationContract): ...


class TestSqliteAgents(SqliteAdapter, AgentContract): ...


class TestSqlitePatients(SqliteAdapter, PatientContract): ...


class TestSqliteContacts(SqliteAdapter, ContactContract): ...


class TestSqliteConversations(SqliteAdapter, ConversationContract): ...


class TestSqliteConversationClocks(SqliteAdapter, ConversationClockContract): ...


class TestSqliteMessages(SqliteAdapter, MessageContract): ...


class TestSqliteJobs(SqliteAdapter, JobContract): ...


class TestSqliteProcessedEvents(SqliteAdapter, ProcessedEventContract): ...


class TestSqlitePendingAcks(SqliteAdapter, PendingAckContract): ...


class TestSqliteDeliveryState(SqliteAdapter, DeliveryStateContract): ...


class TestSqliteInbox(SqliteAdapter, InboxContract): ...


class TestSqliteStatistics(SqliteAdapter, StatisticsContract): ...


class TestSqliteAudit(SqliteAdapter, AuditContract): ...


class TestSqliteSqlAudit(SqliteAdapter, SqlAuditContract): ...


class TestSqlitePrivacy(SqliteAdapter, PrivacyContract): ...


class TestSqliteAssignment(SqliteAdapter, AssignmentContract): ...


class TestSqliteInboxTools(SqliteAdapter, InboxToolsContract): ...


class TestSqliteImports(SqliteAdapter, ImportContract): ...


class TestSqliteQueuedJobs(SqliteAdapter, QueuedJobContract): ...


class TestSqliteQueries(SqliteAdapter, QueriesContract): ...


class TestSqliteSqlQueries(SqliteAdapter, SqlQueriesContract): ...


class TestSqliteLabels(SqliteAdapter, LabelContract): ...
