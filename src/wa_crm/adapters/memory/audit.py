"""The audit log in memory: a list that is only appended to (read by ``queries.audit``)."""

from __future__ import annotations

import copy

from wa_crm.adapters.memory.store import Workspace
from wa_crm.domain.model.audit import AuditEntry


class InMemoryAuditRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def add(self, entry: AuditEntry) -> None:
        self._workspace.tables.audit.append(copy.deepcopy(entry))
