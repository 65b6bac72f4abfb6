"""Handoffs kept for statistics, and the alerts shown on the monitoring page."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Executable, bindparam, delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import alerts, handoffs, webhook_refusals
from wa_crm.adapters.sql.types import UtcDateTime
from wa_crm.domain.model.events import AlertRaised, FactLog
from wa_crm.domain.model.statistics import Alert

_RECORD_HANDOFF = insert(handoffs)
_ANSWER_AT = bindparam("answer_at", type_=UtcDateTime)
# The partial index on unanswered handoffs finds the rows; an answer never precedes a handoff.
_ANSWER_HANDOFFS = (
    update(handoffs)
    .where(
        handoffs.c.conversation_id == bindparam("handoff_conversation_id"),
        handoffs.c.answered_at.is_(None),
        handoffs.c.at <= _ANSWER_AT,
    )
    .values(answered_at=_ANSWER_AT)
)

_ADD_ALERT = insert(alerts)


REFUSALS_KEPT = timedelta(days=1)
_FORGET_REFUSALS = delete(webhook_refusals).where(
    webhook_refusals.c.minute < bindparam("before", type_=UtcDateTime)
)


@per_dialect
def _count_refusal(dialect: str) -> Executable:
    insert = upsert_insert(dialect, webhook_refusals)
    return insert.on_conflict_do_update(
        index_elements=[
            webhook_refusals.c.scope,
            webhook_refusals.c.minute,
            webhook_refusals.c.reason,
        ],
        set_={"count": webhook_refusals.c.count + 1},
    )


class SqlHandoffRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(
        self, association_id: str, conversation_id: str, reason: str, at: datetime
    ) -> None:
        row = {
            "association_id": association_id,
            "conversation_id": conversation_id,
            "reason": reason,
            "at": at,
        }
        await execute(self._connection, _RECORD_HANDOFF, row)

    async def mark_answered(self, conversation_id: str, at: datetime) -> None:
        parameters = {"handoff_conversation_id": conversation_id, "answer_at": at}
        await execute(self._connection, _ANSWER_HANDOFFS, parameters)


class SqlAlertRepository:
    def __init__(self, connection: AsyncConnection, facts: FactLog) -> None:
        self._connection = connection
        self._facts = facts

    async def add(self, association_id: str, alert: Alert) -> None:
        row = {
            "association_id": association_id,
            "kind": alert.kind,
            "message": alert.message,
            "at": alert.at,
        }
        await execute(self._connection, _ADD_ALERT, row)
        self._facts.add(AlertRaised(association_id, alert))

    async def count_refused_webhook(self, scope: str, reason: str, at: datetime) -> None:
        minute = at.replace(second=0, microsecond=0)
        await execute(self._connection, _FORGET_REFUSALS, {"before": minute - REFUSALS_KEPT})
        row = {"scope": scope, "minute": minute, "reason": reason, "count": 1}
        await execute(self._connection, _count_refusal(self._connection), row)
