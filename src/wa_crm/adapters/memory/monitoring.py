"""Handoffs kept for statistics, and the monitoring page's alerts, in memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from wa_crm.adapters.memory.store import StoredHandoff, Workspace
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
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def add(self, association_id: str, alert: Alert) -> None:
        self._workspace.tables.alerts.append((association_id, alert))

    async def recent(self, association_id: str, limit: int) -> Sequence[Alert]:
        """Newest first; of two alerts at the same time, the one added last."""
        found = [
            (alert.at, position, alert)
            for position, (owner, alert) in enumerate(self._workspace.tables.alerts)
            if owner == association_id
        ]
        found.sort(key=lambda entry: entry[:2], reverse=True)
        return [alert for _, _, alert in found[:limit]]

    async def count_refused_webhook(self, scope: str, reason: str, at: datetime) -> None:
        counts = self._workspace.tables.webhook_refusals
        minute = at.replace(second=0, microsecond=0)
        for key in [key for key in counts if key[1] < minute - REFUSALS_KEPT]:
            del counts[key]
        counts[(scope, minute, reason)] = counts.get((scope, minute, reason), 0) + 1

    async def refused_webhooks(self, scope: str, since: datetime) -> dict[str, int]:
        start = since.replace(second=0, microsecond=0)
        found: Counter[str] = Counter()
        for (owner, minute, reason), count in self._workspace.tables.webhook_refusals.items():
            if owner == scope and minute >= start:
                found[reason] += count
        return dict(found)
