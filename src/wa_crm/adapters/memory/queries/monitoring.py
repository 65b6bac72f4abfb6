"""The monitoring pages' reads over the committed in-memory tables."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from wa_crm.adapters.memory.store import InMemoryStore
from wa_crm.domain.model.jobs import Job, JobStatus
from wa_crm.domain.model.message import Message
from wa_crm.domain.model.statistics import Alert
from wa_crm.ports.queries import SessionStatusChange


class InMemoryMonitoringQueries:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def recent_alerts(self, association_id: str, limit: int) -> Sequence[Alert]:
        """Newest first; of two alerts at the same time, the one added last."""
        found = [
            (alert.at, position, alert)
            for position, (owner, alert) in enumerate(self._store.tables.alerts)
            if owner == association_id
        ]
        found.sort(key=lambda entry: entry[:2], reverse=True)
        return [alert for _, _, alert in found[:limit]]

    async def refused_webhooks(self, scope: str, since: datetime) -> dict[str, int]:
        start = since.replace(second=0, microsecond=0)
        found: Counter[str] = Counter()
        for (owner, minute, reason), count in self._store.tables.webhook_refusals.items():
            if owner == scope and minute >= start:
                found[reason] += count
        return dict(found)

    async def failed_messages(self, association_id: str, limit: int) -> Sequence[Message]:
        found = [
            message
            for message in self._store.tables.messages.values()
            if message.association_id == association_id and message.is_dead_letter
        ]
        found.sort(key=lambda message: (message.created_at, message.id), reverse=True)
        return copy.deepcopy(found[:limit])

    async def dead_jobs(self, association_id: str | None, limit: int) -> Sequence[Job]:
        """Most recently dead first."""
        dead = [
            row
            for row in self._store.tables.jobs.values()
            if row.job.status is JobStatus.DEAD
            and (association_id is None or row.job.association_id == association_id)
        ]
        dead.sort(key=lambda row: (row.updated_at, row.job.id), reverse=True)
        return [copy.deepcopy(row.job) for row in dead[:limit]]

    async def job_counts(self) -> dict[str, int]:
        """Every status is present, zero included, so gauges drop to 0 rather than vanish."""
        counts = dict.fromkeys((status.value for status in JobStatus), 0)
        for row in self._store.tables.jobs.values():
            counts[row.job.status.value] += 1
        return counts

    async def session_history(
        self, association_id: str, limit: int
    ) -> Sequence[SessionStatusChange]:
        events = self._store.tables.session_events
        return [event for owner, event in reversed(events) if owner == association_id][:limit]
