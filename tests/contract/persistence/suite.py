"""The persistence contract suites; an adapter's tests subclass each with a ``uow_factory``.

Third-party adapters can reuse them the same way.
"""

from __future__ import annotations

from .base import PersistenceContract, UowFactory
from .suite_assignment import AssignmentContract
from .suite_associations import AgentContract, AssociationContract
from .suite_audit import AuditContract, SqlAuditContract
from .suite_conversations import ConversationContract, MessageContract
from .suite_delivery import DeliveryStateContract
from .suite_imports import ImportContract
from .suite_inbox import InboxContract
from .suite_inbox_tools import InboxToolsContract
from .suite_jobs import JobContract, ProcessedEventContract
from .suite_pending_acks import PendingAckContract
from .suite_people import ContactContract, PatientContract
from .suite_privacy import PrivacyContract
from .suite_queries import QueriesContract, SqlQueriesContract
from .suite_sql import SqlStorageContract
from .suite_statistics import StatisticsContract
from .suite_unit_of_work import UnitOfWorkContract

__all__ = [
    "AgentContract",
    "AssignmentContract",
    "AssociationContract",
    "AuditContract",
    "ContactContract",
    "ConversationContract",
    "DeliveryStateContract",
    "ImportContract",
    "InboxContract",
    "InboxToolsContract",
    "JobContract",
    "MessageContract",
    "PatientContract",
    "PendingAckContract",
    "PersistenceContract",
    "PrivacyContract",
    "ProcessedEventContract",
    "QueriesContract",
    "SqlAuditContract",
    "SqlQueriesContract",
    "SqlStorageContract",
    "StatisticsContract",
    "UnitOfWorkContract",
    "UowFactory",
]
