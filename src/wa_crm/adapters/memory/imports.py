"""Registry imports in memory."""

from __future__ import annotations

import copy

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

    @property
    def _rows(self) -> dict[str, Import]:
        return self._workspace.tables.imports
