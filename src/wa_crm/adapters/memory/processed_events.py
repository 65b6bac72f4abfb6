"""Webhook events already processed, in memory."""

from __future__ import annotations

from datetime import datetime

from wa_crm.adapters.memory.store import Workspace


class InMemoryProcessedEventRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def remember(self, association_id: str, event_id: str, at: datetime) -> bool:
        seen = self._workspace.tables.processed_events
        if (association_id, event_id) in seen:
            return False
        seen[(association_id, event_id)] = at
        return True

    async def forget_before(self, before: datetime, limit: int) -> int:
        seen = self._workspace.tables.processed_events
        expired = sorted((at, key) for key, at in seen.items() if at < before)[:limit]
        for _, key in expired:
            del seen[key]
        return len(expired)
