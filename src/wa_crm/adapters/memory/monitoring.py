"""Handoffs kept for statistics, and the monitoring page's alerts, in memory."""

from __future__ import annotations

from datetime import datetime, timedelta

from wa_crm.adapters.memory.store import StoredHandoff, Workspace
from wa_crm.domain.model.events import AlertRaised, FactLog
from wa_crm.domain.model.statistics import Alert


class InMemoryHandoffRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def record(
        self, association_id: str, conversation_id: str, reason: str, at: datetime
    ) -> None:
        handoff = StoredHandoff(association_id, conversation_id, reason, at)
        self._workspace.tables.handoffs.append(handoff)

    async def mark_answered(self, conversation_id: str, at: datetime) -> None:
        for handoff in self._workspace.tables.handoffs:
            if (
                handoff.conversation_id == conversation_id
                and handoff.answered_at is None
                and handoff.at <= at
            ):
                handoff.answered_at = at


REFUSALS_KEPT = timedelta(days=1)


class InMemoryAlertRepository:
    def __init__(self, workspace: Workspace, facts: FactLog) -> None:
        self._workspace = workspace
        self._facts = facts

    async def add(self, association_id: str, alert: Alert) -> None:
        self._workspace.tables.alerts.append((association_id, alert))
        self._facts.add(AlertRaised(association_id, alert))

    async def count_refused_webhook(self, scope: str, reason: str, at: datetime) -> None:
        counts = self._workspace.tables.webhook_refusals
        minute = at.replace(second=0, microsecond=0)
        for key in [key for key in counts if key[1] < minute - REFUSALS_KEPT]:
            del counts[key]
        counts[(scope, minute, reason)] = counts.get((scope, minute, reason), 0) + 1
