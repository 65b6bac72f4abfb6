"""Webhook events already processed, so that WAHA's retries have no second effect."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute, upsert_insert
from wa_crm.adapters.sql.tables import processed_events


class SqlProcessedEventRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def remember(self, association_id: str, event_id: str, at: datetime) -> bool:
        statement = (
            upsert_insert(self._connection, processed_events)
            .values(association_id=association_id, event_id=event_id, processed_at=at)
            .on_conflict_do_nothing()
            .returning(processed_events.c.event_id)
        )
        result = await execute(self._connection, statement)
        return result.first() is not None
