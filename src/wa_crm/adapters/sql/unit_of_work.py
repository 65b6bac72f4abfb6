"""The SQL unit of work: one connection and one transaction per ``async with`` block."""

from __future__ import annotations

import asyncio
import weakref
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from wa_crm.adapters.sql.repositories import (
    SqlAgentRepository,
    SqlAlertRepository,
    SqlAssociationRepository,
    SqlAuditRepository,
    SqlContactRepository,
    SqlConversationRepository,
    SqlHandoffRepository,
    SqlJobRepository,
    SqlMessageRepository,
    SqlPatientRepository,
    SqlProcessedEventRepository,
)
from wa_crm.adapters.sql.repositories.assignment import SqlAssignmentRepository
from wa_crm.adapters.sql.repositories.imports import SqlImportRepository
from wa_crm.adapters.sql.repositories.inbox_tools import (
    SqlCannedReplyRepository,
    SqlNoteRepository,
)
from wa_crm.adapters.sql.repositories.labels import SqlLabelRepository
from wa_crm.adapters.sql.repositories.pending_acks import SqlPendingAckRepository
from wa_crm.adapters.sql.repositories.sessions import (
    SqlSendSlotRepository,
    SqlSessionEventRepository,
)
from wa_crm.domain.model.events import FactLog
from wa_crm.ports.events import FactPublisher
from wa_crm.ports.system import SecretCipher
from wa_crm.ports.unit_of_work import (
    AgentRepository,
    AlertRepository,
    AssignmentRepository,
    AssociationRepository,
    AuditRepository,
    CannedReplyRepository,
    ContactRepository,
    ConversationRepository,
    HandoffRepository,
    ImportRepository,
    JobRepository,
    LabelRepository,
    MessageRepository,
    NoteRepository,
    PatientRepository,
    PendingAckRepository,
    ProcessedEventRepository,
    SendSlotRepository,
    SessionEventRepository,
)

_sqlite_writers: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock] = weakref.WeakKeyDictionary()


def _writer_lock(engine: AsyncEngine) -> asyncio.Lock | None:
    """SQLite has one writer and every unit begins with ``BEGIN IMMEDIATE``. Units of this
    process queue on an asyncio lock instead of in SQLite's busy handler, which sleeps in steps
    of up to 100 ms and made tail latency under concurrent webhooks seconds long."""
    if engine.dialect.name != "sqlite":
        return None
    lock = _sqlite_writers.get(engine)
    if lock is None:
        lock = _sqlite_writers[engine] = asyncio.Lock()
    return lock


class SqlUnitOfWork:
    """Repositories exist only inside the block; the transaction begins with the first statement.

    After ``commit()`` the unit stays usable: the next statement begins a new transaction. The
    facts of what it committed go to ``publish`` when the block ends, after the connection and
    SQLite's writer lock are released (none without one).
    """

    # Typed as the ports: the UnitOfWork protocol's attributes are settable, hence invariant.
    associations: AssociationRepository
    agents: AgentRepository
    patients: PatientRepository
    imports: ImportRepository
    contacts: ContactRepository
    conversations: ConversationRepository
    messages: MessageRepository
    jobs: JobRepository
    processed_events: ProcessedEventRepository
    pending_acks: PendingAckRepository
    send_slots: SendSlotRepository
    session_events: SessionEventRepository
    handoffs: HandoffRepository
    alerts: AlertRepository
    canned_replies: CannedReplyRepository
    labels: LabelRepository
    notes: NoteRepository
    assignment: AssignmentRepository
    audit: AuditRepository

    def __init__(
        self, engine: AsyncEngine, cipher: SecretCipher, publish: FactPublisher | None = None
    ) -> None:
        self._engine = engine
        self._cipher = cipher
        self._connection: AsyncConnection | None = None
        self._lock: asyncio.Lock | None = None
        self._facts = FactLog()
        self._publish = publish

    async def __aenter__(self) -> Self:
        self._lock = _writer_lock(self._engine)
        if self._lock is not None:
            await self._lock.acquire()
        try:
            connection = await self._engine.connect()
        except BaseException:
            self._release()
            raise
        self._connection = connection
        self.associations = SqlAssociationRepository(connection, self._cipher)
        self.agents = SqlAgentRepository(connection)
        self.patients = SqlPatientRepository(connection)
        self.imports = SqlImportRepository(connection)
        self.contacts = SqlContactRepository(connection)
        self.conversations = SqlConversationRepository(connection, self._facts)
        self.messages = SqlMessageRepository(connection, self._facts)
        self.jobs = SqlJobRepository(connection)
        self.processed_events = SqlProcessedEventRepository(connection)
        self.pending_acks = SqlPendingAckRepository(connection)
        self.send_slots = SqlSendSlotRepository(connection)
        self.session_events = SqlSessionEventRepository(connection, self._facts)
        self.handoffs = SqlHandoffRepository(connection)
        self.alerts = SqlAlertRepository(connection, self._facts)
        self.canned_replies = SqlCannedReplyRepository(connection)
        self.labels = SqlLabelRepository(connection)
        self.notes = SqlNoteRepository(connection, self._facts)
        self.assignment = SqlAssignmentRepository(connection)
        self.audit = SqlAuditRepository(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._require_connection(), None
        try:
            await connection.rollback()
        finally:
            await connection.close()
            self._release()
        committed = self._facts.take_committed()
        if self._publish is not None and committed:
            await self._publish(committed)

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    async def commit(self) -> None:
        await self._require_connection().commit()
        self._facts.committed()

    async def rollback(self) -> None:
        await self._require_connection().rollback()
        self._facts.rolled_back()

    def _require_connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._connection
