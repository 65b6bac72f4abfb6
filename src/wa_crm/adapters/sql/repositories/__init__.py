"""SQL repositories, one module per aggregate family, all bound to one connection."""

from __future__ import annotations

from wa_crm.adapters.sql.repositories.associations import (
    SqlAgentRepository,
    SqlAssociationRepository,
)
from wa_crm.adapters.sql.repositories.audit import SqlAuditRepository
from wa_crm.adapters.sql.repositories.contacts import SqlContactRepository
from wa_crm.adapters.sql.repositories.conversations import (
    SqlConversationRepository,
    SqlMessageRepository,
)
from wa_crm.adapters.sql.repositories.jobs import SqlJobRepository
from wa_crm.adapters.sql.repositories.monitoring import SqlAlertRepository, SqlHandoffRepository
from wa_crm.adapters.sql.repositories.patients import SqlPatientRepository
from wa_crm.adapters.sql.repositories.processed_events import SqlProcessedEventRepository

__all__ = [
    "SqlAgentRepository",
    "SqlAlertRepository",
    "SqlAssociationRepository",
    "SqlAuditRepository",
    "SqlContactRepository",
    "SqlConversationRepository",
    "SqlHandoffRepository",
    "SqlJobRepository",
    "SqlMessageRepository",
    "SqlPatientRepository",
    "SqlProcessedEventRepository",
]
