"""Acks that came before their message's WhatsApp id was stored, in memory."""

from __future__ import annotations

from datetime import datetime

from wa_crm.adapters.memory.store import Workspace
from wa_crm.domain.model.message import MessageStatus, can_advance, early_ack_key


class InMemoryPendingAckRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def keep(
        self, association_id: str, external_id: str, status: MessageStatus, at: datetime
    ) -> None:
        pending = self._workspace.tables.pending_acks
        key = (association_id, early_ack_key(external_id))
        kept = pending.get(key)
        if kept is None or can_advance(kept[0], status):
            pending[key] = (status, at)

    async def take(self, association_id: str, external_id: str) -> MessageStatus | None:
        key = (association_id, early_ack_key(external_id))
        kept = self._workspace.tables.pending_acks.pop(key, None)
        return kept[0] if kept else None

    async def forget_before(self, before: datetime, limit: int) -> int:
        pending = self._workspace.tables.pending_acks
        expired = sorted((at, key) for key, (_, at) in pending.items() if at < before)[:limit]
        for _, key in expired:
            del pending[key]
        return len(expired)
