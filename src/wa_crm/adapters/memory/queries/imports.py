"""The list of CSV imports, over the committed in-memory tables."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from wa_crm.adapters.memory.store import InMemoryStore
from wa_crm.domain.model.imports import Import


class InMemoryImportQueries:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def recent(self, association_id: str, limit: int) -> Sequence[Import]:
        found = [
            job
            for job in self._store.tables.imports.values()
            if job.association_id == association_id
        ]
        found.sort(key=lambda job: (job.created_at, job.id), reverse=True)
        return copy.deepcopy(found[:limit])
