"""The in-memory unit of work: changes are staged on a private copy and swapped in on commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from wa_crm.adapters.memory.assignment import InMemoryAssignmentRepository
from wa_crm.adapters.memory.associations import (
    InMemoryAgentRepository,
    InMemoryAssociationRepository,
)
from wa_crm.adapters.memory.audit import InMemoryAuditRepository
from wa_crm.adapters.memory.contacts import InMemoryContactRepository
from wa_crm.adapters.memory.conversations import (
    InMemoryConversationRepository,
    InMemoryMessageRepository,
)
from wa_crm.adapters.memory.imports import InMemoryImportRepository
from wa_crm.adapters.memory.inbox_tools import (
    InMemoryCannedReplyRepository,
    InMemoryNoteRepository,
)
from wa_crm.adapters.memory.jobs import InMemoryJobRepository
from wa_crm.adapters.memory.monitoring import InMemoryAlertRepository, InMemoryHandoffRepository
from wa_crm.adapters.memory.patients import InMemoryPatientRepository
from wa_crm.adapters.memory.pending_acks import InMemoryPendingAckRepository
from wa_crm.adapters.memory.privacy import InMemoryPrivacyRepository
from wa_crm.adapters.memory.processed_events import InMemoryProcessedEventRepository
from wa_crm.adapters.memory.sessions import (
    InMemorySendSlotRepository,
    InMemorySessionEventRepository,
)
from wa_crm.adapters.memory.statistics import InMemoryStatisticsRepository
from wa_crm.adapters.memory.store import InMemoryStore, Workspace
from wa_crm.domain.model.events import DomainEvent
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
    MessageRepository,
    NoteRepository,
    PatientRepository,
    PendingAckRepository,
    PrivacyRepository,
    ProcessedEventRepository,
    SendSlotRepository,
    SessionEventRepository,
    StatisticsRepository,
)


class InMemoryUnitOfWork:
    """One transaction on an ``InMemoryStore``; units on the same store run one at a time.

    Opening a second unit in the task that holds one raises instead of waiting forever.
    After ``commit()`` the unit stays usable and stages further changes afresh.
    """

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._workspace = Workspace()
        self._recorded: list[DomainEvent] = []
        self._committed: list[DomainEvent] = []
        # Typed as the ports: the UnitOfWork protocol's attributes are settable, hence invariant.
        self.associations: AssociationRepository = InMemoryAssociationRepository(self._workspace)
        self.agents: AgentRepository = InMemoryAgentRepository(self._workspace)
        self.patients: PatientRepository = InMemoryPatientRepository(self._workspace)
        self.imports: ImportRepository = InMemoryImportRepository(self._workspace)
        self.contacts: ContactRepository = InMemoryContactRepository(self._workspace)
        self.conversations: ConversationRepository = InMemoryConversationRepository(self._workspace)
        self.messages: MessageRepository = InMemoryMessageRepository(self._workspace)
        self.jobs: JobRepository = InMemoryJobRepository(self._workspace)
        self.processed_events: ProcessedEventRepository = InMemoryProcessedEventRepository(
            self._workspace
        )
        self.pending_acks: PendingAckRepository = InMemoryPendingAckRepository(self._workspace)
        self.send_slots: SendSlotRepository = InMemorySendSlotRepository(self._workspace)
        self.session_events: SessionEventRepository = InMemorySessionEventRepository(
            self._workspace
        )
        self.handoffs: HandoffRepository = InMemoryHandoffRepository(self._workspace)
        self.alerts: AlertRepository = InMemoryAlertRepository(self._workspace)
        self.canned_replies: CannedReplyRepository = InMemoryCannedReplyRepository(self._workspace)
        self.notes: NoteRepository = InMemoryNoteRepository(self._workspace)
        self.assignment: AssignmentRepository = InMemoryAssignmentRepository(self._workspace)
        self.statistics: StatisticsRepository = InMemoryStatisticsRepository(self._workspace)
        self.audit: AuditRepository = InMemoryAuditRepository(self._workspace)
        self.privacy: PrivacyRepository = InMemoryPrivacyRepository(self._workspace)

    async def __aenter__(self) -> Self:
        await self._store.acquire()
        self._recorded = []
        self._workspace.stage(self._store.tables)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._workspace.close()
        self._recorded = []
        self._store.release()

    async def commit(self) -> None:
        self._store.tables = self._workspace.tables
        self._workspace.stage(self._store.tables)
        self._committed.extend(self._recorded)
        self._recorded = []

    async def rollback(self) -> None:
        self._workspace.stage(self._store.tables)
        self._recorded = []

    def record(self, *events: DomainEvent) -> None:
        self._recorded.extend(events)

    def committed_events(self) -> list[DomainEvent]:
        events, self._committed = self._committed, []
        return events
