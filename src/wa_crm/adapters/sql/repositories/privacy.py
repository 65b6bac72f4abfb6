"""Retention, export and erasure: deleting messages into their anonymous rollups, and what an
erasure removes besides them.

Messages are deleted with ``DELETE ... RETURNING``, and the rollups are made from the rows the
statement returns: a message deleted by two units at once (a purge and an erasure) is deleted,
and counted, by exactly one of them. Statements are built once with bind parameters (see
``execution``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Integer, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import (
    conversation_notes,
    message_rollups,
    messages,
    orders,
    patient_phones,
    patients,
    send_slots,
)
from wa_crm.domain.model.message import Message
from wa_crm.domain.model.note import Note
from wa_crm.domain.model.statistics import roll_up

_COUNTS = ("inbound", "outbound", "bot", "agent", "failed")
_IN_ASSOCIATION = messages.c.association_id == bindparam("association_id")
_OF_CONVERSATION = messages.c.conversation_id == bindparam("conversation_id")

_EXPIRED_IDS = (
    select(messages.c.id)
    .where(_IN_ASSOCIATION, messages.c.created_at < bindparam("before"))
    .order_by(messages.c.created_at, messages.c.id)
    .limit(bindparam("limit", type_=Integer))
)
_PURGE = delete(messages).where(messages.c.id.in_(_EXPIRED_IDS)).returning(*messages.c)
_DELETE_CONVERSATION = (
    delete(messages).where(_IN_ASSOCIATION, _OF_CONVERSATION).returning(*messages.c)
)
_MESSAGES_OF = (
    select(messages)
    .where(_IN_ASSOCIATION, _OF_CONVERSATION)
    .order_by(messages.c.created_at, messages.c.id)
)
_NOTES_OF_CONVERSATION = (
    conversation_notes.c.association_id == bindparam("association_id"),
    conversation_notes.c.conversation_id == bindparam("conversation_id"),
)
_NOTES_OF = (
    select(conversation_notes)
    .where(*_NOTES_OF_CONVERSATION)
    .order_by(conversation_notes.c.created_at, conversation_notes.c.id)
)
_DELETE_NOTES = delete(conversation_notes).where(*_NOTES_OF_CONVERSATION)

# Children first: the phones' foreign key would refuse the patient's deletion otherwise.
_DELETE_PATIENT = [
    delete(table).where(
        table.c.association_id == bindparam("association_id"),
        patient_id == bindparam("patient_id"),
    )
    for table, patient_id in (
        (orders, orders.c.patient_id),
        (patient_phones, patient_phones.c.patient_id),
        (patients, patients.c.id),
    )
]
_FORGET_SLOT = delete(send_slots).where(send_slots.c.key == bindparam("slot_key"))


@per_dialect
def _add_rollups(dialect: str) -> Executable:
    """Add the counts to the row of their hour and conversation, creating it if need be."""
    insert = upsert_insert(dialect, message_rollups)
    return insert.on_conflict_do_update(
        index_elements=["association_id", "hour", "conversation_id"],
        set_={name: message_rollups.c[name] + insert.excluded[name] for name in _COUNTS},
    )


class SqlPrivacyRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def purge_messages(
        self, association_id: str, before: datetime, limit: int
    ) -> Sequence[Message]:
        parameters = {"association_id": association_id, "before": before, "limit": limit}
        return await self._delete(_PURGE, parameters)

    async def delete_messages(self, association_id: str, conversation_id: str) -> Sequence[Message]:
        parameters = {"association_id": association_id, "conversation_id": conversation_id}
        return await self._delete(_DELETE_CONVERSATION, parameters)

    async def messages_of(self, association_id: str, conversation_id: str) -> Sequence[Message]:
        parameters = {"association_id": association_id, "conversation_id": conversation_id}
        result = await execute(self._connection, _MESSAGES_OF, parameters)
        return [mappers.message_from_row(row) for row in result.mappings()]

    async def notes_of(self, association_id: str, conversation_id: str) -> Sequence[Note]:
        parameters = {"association_id": association_id, "conversation_id": conversation_id}
        result = await execute(self._connection, _NOTES_OF, parameters)
        return [Note(**row) for row in result.mappings()]

    async def delete_notes(self, association_id: str, conversation_id: str) -> int:
        parameters = {"association_id": association_id, "conversation_id": conversation_id}
        result = await execute(self._connection, _DELETE_NOTES, parameters)
        return result.rowcount

    async def delete_patient(self, association_id: str, patient_id: str) -> None:
        parameters = {"association_id": association_id, "patient_id": patient_id}
        for statement in _DELETE_PATIENT:
            await execute(self._connection, statement, parameters)

    async def forget_send_slot(self, key: str) -> None:
        await execute(self._connection, _FORGET_SLOT, {"slot_key": key})

    async def _delete(self, statement: Executable, parameters: dict[str, Any]) -> list[Message]:
        result = await execute(self._connection, statement, parameters)
        deleted = sorted(
            (mappers.message_from_row(row) for row in result.mappings()),
            key=lambda message: (message.created_at, message.id),
        )
        if deleted:
            rows = [
                {
                    "association_id": deleted[0].association_id,
                    "hour": rollup.hour,
                    "conversation_id": rollup.conversation_id,
                    **{name: getattr(rollup, name) for name in _COUNTS},
                }
                for rollup in roll_up(deleted)
            ]
            await execute(self._connection, _add_rollups(self._connection), rows)
        return deleted
