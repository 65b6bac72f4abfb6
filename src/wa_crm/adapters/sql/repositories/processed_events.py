"""Webhook events already processed, so that WAHA's retries have no second effect."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Executable, Integer, bindparam, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import processed_events

_OLDEST_BEFORE = (  # in the order of ix_processed_events_processed_at
    select(processed_events.c.association_id, processed_events.c.event_id)
    .where(processed_events.c.processed_at < bindparam("before"))
    .order_by(processed_events.c.processed_at)
    .limit(bindparam("limit", type_=Integer))
)
_FORGET = delete(processed_events).where(
    tuple_(processed_events.c.association_id, processed_events.c.event_id).in_(_OLDEST_BEFORE)
)


@per_dialect
def _remember(dialect: str) -> Executable:
    """Built once per dialect (see ``execution``); returns a row only when it inserted one."""
    insert = upsert_insert(dialect, processed_events)
    return insert.on_conflict_do_nothing().returning(processed_events.c.event_id)


class SqlProcessedEventRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def remember(self, association_id: str, event_id: str, at: datetime) -> bool:
        row = {"association_id": association_id, "event_id": event_id, "processed_at": at}
        result = await execute(self._connection, _remember(self._connection), row)
        return result.first() is not None

    async def forget_before(self, before: datetime, limit: int) -> int:
        result = await execute(self._connection, _FORGET, {"before": before, "limit": limit})
        return result.rowcount
