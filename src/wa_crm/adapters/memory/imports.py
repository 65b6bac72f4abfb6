"""Registry imports in memory."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from wa_crm.adapters.memory.store import Workspace, insert, replace
from wa_crm.domain.model.imports import Import


class InMemoryImportRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def add(self, job: Import) -> None:
        insert(self._rows, job.id, job)

    async def update(self, job: Import) -> None:
        replace(self._rows, job.id, job)

    async def get(self, association_id: str, import_id: str) -> Import | None:
        found = self._rows.get(import_id)
        if found is None or found.association_id != association_id:
            return None
        return copy.deepcopy(found)

    async def recent(self, association_id: str, limit: int) -> Sequence[Import]:
        found = [job for job in self._rows.values() if job.association_id == association_id]
        found.sort(key=lambda job: (job.created_at, job.id), reverse=True)
        return copy.deepcopy(found[:limit])

    @property
    def _rows(self) -> dict[str, Import]:
        return self._workspace.tables.imports
