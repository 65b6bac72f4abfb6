"""Send slots (rate limits shared by every worker) and the session status history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Executable, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import send_slots, session_events
from wa_crm.ports.unit_of_work import SessionStatusChange

_RECORD = insert(session_events)
_SLOT = select(send_slots.c.next_at).where(send_slots.c.key == bindparam("key"))
_MOVE_SLOT = update(send_slots).where(send_slots.c.key == bindparam("key_id"))


@per_dialect
def _ensure_slot(dialect: str) -> Executable:
    return upsert_insert(dialect, send_slots).on_conflict_do_nothing()


@per_dialect
def _locked_slot(dialect: str) -> Executable:
    return _SLOT.with_for_update() if dialect == "postgresql" else _SLOT


_HISTORY = (
    select(session_events.c.status, session_events.c.at)
    .where(session_events.c.association_id == bindparam("association_id"))
    .order_by(session_events.c.at.desc(), session_events.c.id.desc())
    .limit(bindparam("limit"))
)


class SqlSendSlotRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def reserve(self, key: str, now: datetime, interval: timedelta) -> datetime:
        """Concurrent workers queue on the key's row: PostgreSQL locks it (``FOR UPDATE``) and
        SQLite has one writer, so no two reservations see the same next time."""
        connection = self._connection
        await execute(connection, _ensure_slot(connection), {"key": key, "next_at": now})
        stored: datetime = (
            await execute(connection, _locked_slot(connection), {"key": key})
        ).scalar_one()
        slot = max(stored, now)
        await execute(connection, _MOVE_SLOT, {"key_id": key, "next_at": slot + interval})
        return slot


class SqlSessionEventRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record(self, association_id: str, status: str, at: datetime) -> str | None:
        previous = await self.history(association_id, 1)
        await execute(
            self._connection,
            _RECORD,
            {"association_id": association_id, "status": status, "at": at},
        )
        return previous[0].status if previous else None

    async def history(self, association_id: str, limit: int) -> Sequence[SessionStatusChange]:
        result = await execute(
            self._connection, _HISTORY, {"association_id": association_id, "limit": limit}
        )
        return [SessionStatusChange(row.status, row.at) for row in result]
