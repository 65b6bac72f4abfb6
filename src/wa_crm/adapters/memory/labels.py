"""The label catalog in memory."""

from __future__ import annotations

from wa_crm.adapters.memory.store import Workspace
from wa_crm.domain.model.label_catalog import Label, relabelled


class InMemoryLabelRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def get(self, association_id: str, name: str) -> Label | None:
        return self._workspace.tables.labels.get((association_id, name))

    async def add_if_absent(self, label: Label) -> bool:
        key = (label.association_id, label.name)
        if key in self._workspace.tables.labels:
            return False
        self._workspace.tables.labels[key] = label
        return True

    async def update(self, label: Label) -> None:
        key = (label.association_id, label.name)
        if key in self._workspace.tables.labels:
            self._workspace.tables.labels[key] = label

    async def delete(self, association_id: str, name: str) -> bool:
        return self._workspace.tables.labels.pop((association_id, name), None) is not None

    async def carried(self, association_id: str, name: str) -> int:
        return sum(
            1
            for conversation in self._workspace.tables.conversations.values()
            if conversation.association_id == association_id and name in conversation.labels
        )

    async def relabel(self, association_id: str, old: str, new: str | None) -> int:
        changed = 0
        for conversation in self._workspace.tables.conversations.values():
            if conversation.association_id == association_id and old in conversation.labels:
                conversation.labels = relabelled(conversation.labels, old, new)
                changed += 1
        return changed
