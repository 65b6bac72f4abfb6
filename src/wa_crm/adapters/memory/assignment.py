"""Automatic assignment's view of the store: presence records and open conversations."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from wa_crm.adapters.memory.store import Workspace
from wa_crm.domain.model.assignment import Presence
from wa_crm.domain.model.conversation import Conversation, ConversationStatus


class InMemoryAssignmentRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def seen(self, association_id: str, agent_id: str, at: datetime) -> None:
        row = self._row(association_id, agent_id)
        self._rows[association_id, agent_id] = replace(row, last_seen_at=at, left_at=None)

    async def left(self, association_id: str, agent_id: str, at: datetime) -> None:
        if (association_id, agent_id) in self._rows:
            row = self._row(association_id, agent_id)
            self._rows[association_id, agent_id] = replace(row, left_at=at)

    async def assigned(self, association_id: str, agent_id: str, at: datetime) -> None:
        row = self._row(association_id, agent_id)
        self._rows[association_id, agent_id] = replace(row, last_assigned_at=at)

    async def presence(self, association_id: str) -> Sequence[Presence]:
        return [row for (owner, _), row in self._rows.items() if owner == association_id]

    async def open_counts(self, association_id: str) -> dict[str, int]:
        holders = [c.holder for c in self._open(association_id, lambda c: True)]
        return dict(Counter(holder for holder in holders if holder is not None))

    async def waiting(self, association_id: str, limit: int) -> Sequence[Conversation]:
        return self._open(
            association_id,
            lambda c: c.status is ConversationStatus.PENDING and c.assignee_id is None,
        )[:limit]

    async def held_by(self, association_id: str, agent_id: str) -> Sequence[Conversation]:
        return self._open(association_id, lambda c: c.holder == agent_id)

    @property
    def _rows(self) -> dict[tuple[str, str], Presence]:
        return self._workspace.tables.presence

    def _row(self, association_id: str, agent_id: str) -> Presence:
        return self._rows.get((association_id, agent_id), Presence(agent_id))

    def _open(
        self, association_id: str, match: Callable[[Conversation], bool]
    ) -> list[Conversation]:
        found = [
            conversation
            for conversation in self._workspace.tables.conversations.values()
            if conversation.association_id == association_id and match(conversation)
        ]
        found.sort(key=lambda conversation: (conversation.created_at, conversation.id))
        return copy.deepcopy(found)
