"""Send slots (rate limits) and session status history, in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from wa_crm.adapters.memory.store import Workspace
from wa_crm.ports.unit_of_work import SessionStatusChange


class InMemorySendSlotRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def reserve(self, key: str, now: datetime, interval: timedelta) -> datetime:
        slots = self._workspace.tables.send_slots
        slot = max(slots.get(key, now), now)
        slots[key] = slot + interval
        return slot


class InMemorySessionEventRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def record(self, association_id: str, status: str, at: datetime) -> str | None:
        events = self._workspace.tables.session_events
        previous = next((e.status for a, e in reversed(events) if a == association_id), None)
        events.append((association_id, SessionStatusChange(status, at)))
        return previous

    async def history(self, association_id: str, limit: int) -> Sequence[SessionStatusChange]:
        events = self._workspace.tables.session_events
        return [event for a, event in reversed(events) if a == association_id][:limit]
