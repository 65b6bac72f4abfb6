"""The monitoring pages and the metrics: alerts, refused webhooks, dead letters and dead jobs,
the job queue's depth, and the WhatsApp session's status history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Integer, bindparam, func, select

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.queries.read_only import ReadOnlyQueries
from wa_crm.adapters.sql.tables import (
    NOT_WITHHELD,
    alerts,
    jobs,
    messages,
    session_events,
    webhook_refusals,
)
from wa_crm.adapters.sql.types import UtcDateTime
from wa_crm.domain.model.jobs import Job, JobStatus
from wa_crm.domain.model.message import Direction, Message, MessageStatus
from wa_crm.domain.model.statistics import Alert
from wa_crm.ports.queries import SessionStatusChange

_LIMIT = bindparam("limit", type_=Integer)
_RECENT_ALERTS = (
    select(alerts.c.kind, alerts.c.message, alerts.c.at)
    .where(alerts.c.association_id == bindparam("association_id"))
    .order_by(alerts.c.at.desc(), alerts.c.id.desc())
    .limit(_LIMIT)
)
_REFUSALS_SINCE = (
    select(webhook_refusals.c.reason, func.sum(webhook_refusals.c.count).label("total"))
    .where(
        webhook_refusals.c.scope == bindparam("scope"),
        webhook_refusals.c.minute >= bindparam("since", type_=UtcDateTime),
    )
    .group_by(webhook_refusals.c.reason)
)
_FAILED_MESSAGES = (
    select(messages)
    .where(
        messages.c.association_id == bindparam("association_id"),
        messages.c.direction == Direction.OUT.value,
        messages.c.status == MessageStatus.FAILED.value,
        NOT_WITHHELD,
    )
    .order_by(messages.c.created_at.desc(), messages.c.id.desc())
    .limit(_LIMIT)
)
_DEAD_JOBS = (
    select(jobs)
    .where(jobs.c.status == JobStatus.DEAD.value)
    .order_by(jobs.c.updated_at.desc(), jobs.c.id.desc())
    .limit(_LIMIT)
)
_DEAD_JOBS_OF_ASSOCIATION = _DEAD_JOBS.where(jobs.c.association_id == bindparam("association_id"))
_JOB_COUNTS = select(jobs.c.status, func.count().label("n")).group_by(jobs.c.status)
_SESSION_HISTORY = (
    select(session_events.c.status, session_events.c.at)
    .where(session_events.c.association_id == bindparam("association_id"))
    .order_by(session_events.c.at.desc(), session_events.c.id.desc())
    .limit(_LIMIT)
)


class SqlMonitoringQueries(ReadOnlyQueries):
    async def recent_alerts(self, association_id: str, limit: int) -> Sequence[Alert]:
        parameters = {"association_id": association_id, "limit": limit}
        return [
            Alert(row.kind, row.message, row.at)
            for row in await self._rows(_RECENT_ALERTS, parameters)
        ]

    async def refused_webhooks(self, scope: str, since: datetime) -> dict[str, int]:
        start = since.replace(second=0, microsecond=0)
        rows = await self._rows(_REFUSALS_SINCE, {"scope": scope, "since": start})
        return {row.reason: int(row.total) for row in rows}

    async def failed_messages(self, association_id: str, limit: int) -> Sequence[Message]:
        parameters = {"association_id": association_id, "limit": limit}
        rows = await self._mappings(_FAILED_MESSAGES, parameters)
        return [mappers.message_from_row(row) for row in rows]

    async def dead_jobs(self, association_id: str | None, limit: int) -> Sequence[Job]:
        """Most recently dead first."""
        if association_id is None:
            rows = await self._mappings(_DEAD_JOBS, {"limit": limit})
        else:
            parameters = {"association_id": association_id, "limit": limit}
            rows = await self._mappings(_DEAD_JOBS_OF_ASSOCIATION, parameters)
        return [mappers.job_from_row(row) for row in rows]

    async def job_counts(self) -> dict[str, int]:
        """Every status is present, zero included, so gauges drop to 0 rather than vanish."""
        counts = dict.fromkeys((status.value for status in JobStatus), 0)
        counts.update({row.status: row.n for row in await self._rows(_JOB_COUNTS)})
        return counts

    async def session_history(
        self, association_id: str, limit: int
    ) -> Sequence[SessionStatusChange]:
        parameters = {"association_id": association_id, "limit": limit}
        rows = await self._rows(_SESSION_HISTORY, parameters)
        return [SessionStatusChange(row.status, row.at) for row in rows]
