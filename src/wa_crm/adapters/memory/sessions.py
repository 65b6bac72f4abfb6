"""Send slots (rate limits) and session status history, in memory."""

from __future__ import annotations

from datetime import datetime, timedelta

from wa_crm.adapters.memory.store import Workspace
from wa_crm.domain.model.events import FactLog, SessionStatusChanged
from wa_crm.ports.queries import SessionStatusChange


class InMemorySendSlotRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def reserve(self, key: str, now: datetime, interval: timedelta) -> datetime:
        slots = self._workspace.tables.send_slots
        slot = max(slots.get(key, now), now)
        slots[key] = slot + interval
        return slot

    async def forget(self, key: str) -> None:
        self._workspace.tables.send_slots.pop(key, None)


class InMemorySessionEventRepository:
    def __init__(self, workspace: Workspace, facts: FactLog) -> None:
        self._workspace = workspace
        self._facts = facts

    async def record(
        self, association_id: str, status: str, at: datetime, *, session: str
    ) -> str | None:
        events = self._workspace.tables.session_events
        previous = next((e.status for a, e in reversed(events) if a == association_id), None)
        events.append((association_id, SessionStatusChange(status, at)))
        self._facts.add(SessionStatusChanged(association_id, session, status))
        return previous

    async def latest(self, association_id: str) -> SessionStatusChange | None:
        events = self._workspace.tables.session_events
        return next((event for owner, event in reversed(events) if owner == association_id), None)
