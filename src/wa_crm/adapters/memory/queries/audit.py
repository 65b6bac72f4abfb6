"""The audit log page's reads over the committed in-memory tables; an entry's id is its
position + 1."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from wa_crm.adapters.memory.store import InMemoryStore
from wa_crm.domain.model.audit import AuditEntry
from wa_crm.ports.queries import AuditQuery


class InMemoryAuditQueries:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def entries(
        self, association_id: str, query: AuditQuery
    ) -> Sequence[tuple[int, AuditEntry]]:
        log = self._store.tables.audit
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

    async def agent_names(self, association_id: str) -> dict[str, str]:
        return {
            agent.id: agent.name
            for agent in self._store.tables.agents.values()
            if agent.association_id == association_id
        }
