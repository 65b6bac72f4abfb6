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
from wa_crm.adapters.memory.labels import InMemoryLabelRepository
from wa_crm.adapters.memory.monitoring import InMemoryAlertRepository, InMemoryHandoffRepository
from wa_crm.adapters.memory.patients import InMemoryPatientRepository
from wa_crm.adapters.memory.pending_acks import InMemoryPendingAckRepository
from wa_crm.adapters.memory.processed_events import InMemoryProcessedEventRepository
from wa_crm.adapters.memory.sessions import (
    InMemorySendSlotRepository,
    InMemorySessionEventRepository,
)
from wa_crm.adapters.memory.store import InMemoryStore, Workspace
from wa_crm.domain.model.events import FactLog
from wa_crm.ports.events import FactPublisher
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


class InMemoryUnitOfWork:
    """One transaction on an ``InMemoryStore``; units on the same store run one at a time.

    Opening a second unit in the task that holds one raises instead of waiting forever.
    After ``commit()`` the unit stays usable and stages further changes afresh. The facts of
    what it committed go to ``publish`` when the block ends (none without one).
    """

    def __init__(self, store: InMemoryStore, publish: FactPublisher | None = None) -> None:
        self._store = store
        self._workspace = Workspace()
        self._facts = FactLog()
        self._publish = publish
        # Typed as the ports: the UnitOfWork protocol's attributes are settable, hence invariant.
        self.associations: AssociationRepository = InMemoryAssociationRepository(self._workspace)
        self.agents: AgentRepository = InMemoryAgentRepository(self._workspace)
        self.patients: PatientRepository = InMemoryPatientRepository(self._workspace)
        self.imports: ImportRepository = InMemoryImportRepository(self._workspace)
        self.contacts: ContactRepository = InMemoryContactRepository(self._workspace)
        self.conversations: ConversationRepository = InMemoryConversationRepository(
            self._workspace, self._facts
        )
        self.messages: MessageRepository = InMemoryMessageRepository(self._workspace, self._facts)
        self.jobs: JobRepository = InMemoryJobRepository(self._workspace)
        self.processed_events: ProcessedEventRepository = InMemoryProcessedEventRepository(
            self._workspace
        )
        self.pending_acks: PendingAckRepository = InMemoryPendingAckRepository(self._workspace)
        self.send_slots: SendSlotRepository = InMemorySendSlotRepository(self._workspace)
        self.session_events: SessionEventRepository = InMemorySessionEventRepository(
            self._workspace, self._facts
        )
        self.handoffs: HandoffRepository = InMemoryHandoffRepository(self._workspace)
        self.alerts: AlertRepository = InMemoryAlertRepository(self._workspace, self._facts)
        self.canned_replies: CannedReplyRepository = InMemoryCannedReplyRepository(self._workspace)
        self.labels: LabelRepository = InMemoryLabelRepository(self._workspace)
        self.notes: NoteRepository = InMemoryNoteRepository(self._workspace, self._facts)
        self.assignment: AssignmentRepository = InMemoryAssignmentRepository(self._workspace)
        self.audit: AuditRepository = InMemoryAuditRepository(self._workspace)

    async def __aenter__(self) -> Self:
        await self._store.acquire()
        self._workspace.stage(self._store.tables)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._workspace.close()
        self._store.release()
        committed = self._facts.take_committed()
        if self._publish is not None and committed:
            await self._publish(committed)

    async def commit(self) -> None:
        self._store.tables = self._workspace.tables
        self._workspace.stage(self._store.tables)
        self._facts.committed()

    async def rollback(self) -> None:
        self._workspace.stage(self._store.tables)
        self._facts.rolled_back()
