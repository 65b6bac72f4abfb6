"""Acks that came before their message's WhatsApp id was stored, in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from wa_crm.adapters.memory.store import Workspace
from wa_crm.domain.model.message import MessageStatus, can_advance


class InMemoryPendingAckRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def keep(
        self, association_id: str, external_id: str, status: MessageStatus, at: datetime
    ) -> None:
        pending = self._workspace.tables.pending_acks
        kept = pending.get((association_id, external_id))
        if kept is None or can_advance(kept[0], status):
            pending[(association_id, external_id)] = (status, at)

    async def take(self, association_id: str, external_id: str) -> MessageStatus | None:
        kept = self._workspace.tables.pending_acks.pop((association_id, external_id), None)
        return kept[0] if kept else None

    async def forget_chats(self, association_id: str, chat_ids: Sequence[str]) -> int:
        pending = self._workspace.tables.pending_acks
        erased = [
            key
            for key in pending
            if key[0] == association_id and any(f"_{chat}_" in key[1] for chat in chat_ids)
        ]
        for key in erased:
            del pending[key]
        return len(erased)

    async def forget_before(self, before: datetime, limit: int) -> int:
        pending = self._workspace.tables.pending_acks
        expired = sorted((at, key) for key, (_, at) in pending.items() if at < before)[:limit]
        for _, key in expired:
            del pending[key]
        return len(expired)
