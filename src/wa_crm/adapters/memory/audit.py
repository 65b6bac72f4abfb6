"""The audit log in memory: a list that is only appended to; an entry's id is its position + 1."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from wa_crm.adapters.memory.store import Workspace
from wa_crm.domain.model.audit import AuditEntry
from wa_crm.ports.unit_of_work import AuditQuery


class InMemoryAuditRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def add(self, entry: AuditEntry) -> None:
        self._workspace.tables.audit.append(copy.deepcopy(entry))

    async def list(
        self, association_id: str, query: AuditQuery
    ) -> Sequence[tuple[int, AuditEntry]]:
        log = self._workspace.tables.audit
        newest = query.before_id - 1 if query.before_id is not None else len(log)
        found: list[tuple[int, AuditEntry]] = []
        for position in range(min(newest, len(log)) - 1, -1, -1):
            entry = log[position]
            if (
                entry.association_id == association_id
                and (query.start is None or entry.at >= query.start)
                and (query.end is None or entry.at < query.end)
                and (query.actor is None or entry.actor == query.actor)
            ):
                found.append((position + 1, copy.deepcopy(entry)))
                if len(found) == query.limit:
                    break
        return found
