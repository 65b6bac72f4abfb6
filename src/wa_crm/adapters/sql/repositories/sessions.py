"""Send slots (rate limits shared by every worker) and the session status history."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Executable, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import send_slots, session_events
from wa_crm.domain.model.events import FactLog, SessionStatusChanged
from wa_crm.ports.queries import SessionStatusChange

_RECORD = insert(session_events)
_SLOT = select(send_slots.c.next_at).where(send_slots.c.key == bindparam("key"))
_MOVE_SLOT = update(send_slots).where(send_slots.c.key == bindparam("key_id"))
_FORGET_SLOT = delete(send_slots).where(send_slots.c.key == bindparam("key"))


@per_dialect
def _ensure_slot(dialect: str) -> Executable:
    return upsert_insert(dialect, send_slots).on_conflict_do_nothing()


@per_dialect
def _locked_slot(dialect: str) -> Executable:
    return _SLOT.with_for_update() if dialect == "postgresql" else _SLOT


_LATEST = (
    select(session_events.c.status, session_events.c.at)
    .where(session_events.c.association_id == bindparam("association_id"))
    .order_by(session_events.c.at.desc(), session_events.c.id.desc())
    .limit(1)
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

    async def forget(self, key: str) -> None:
        await execute(self._connection, _FORGET_SLOT, {"key": key})


class SqlSessionEventRepository:
    def __init__(self, connection: AsyncConnection, facts: FactLog) -> None:
        self._connection = connection
        self._facts = facts

    async def record(
        self, association_id: str, status: str, at: datetime, *, session: str
    ) -> str | None:
        previous = await self.latest(association_id)
        await execute(
            self._connection,
            _RECORD,
            {"association_id": association_id, "status": status, "at": at},
        )
        self._facts.add(SessionStatusChanged(association_id, session, status))
        return previous.status if previous else None

    async def latest(self, association_id: str) -> SessionStatusChange | None:
        result = await execute(self._connection, _LATEST, {"association_id": association_id})
        row = result.first()
        return None if row is None else SessionStatusChange(row.status, row.at)
