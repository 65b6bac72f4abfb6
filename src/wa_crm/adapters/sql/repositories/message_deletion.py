"""Deleting messages (retention, erasure) into their anonymous rollups.

Messages are deleted with ``DELETE ... RETURNING``, and the rollups are made from the rows the
statement returns: a message deleted by two units at once (a purge and an erasure) is deleted,
and counted, by exactly one of them. Statements are built once with bind parameters (see
``execution``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Integer, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import message_rollups, messages
from wa_crm.domain.model.message import Message
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


@per_dialect
def _add_rollups(dialect: str) -> Executable:
    """Add the counts to the row of their hour and conversation, creating it if need be."""
    insert = upsert_insert(dialect, message_rollups)
    return insert.on_conflict_do_update(
        index_elements=["association_id", "hour", "conversation_id"],
        set_={name: message_rollups.c[name] + insert.excluded[name] for name in _COUNTS},
    )


async def purge_before(
    connection: AsyncConnection, association_id: str, before: datetime, limit: int
) -> list[Message]:
    parameters = {"association_id": association_id, "before": before, "limit": limit}
    return await _delete(connection, _PURGE, parameters)


async def delete_of_conversation(
    connection: AsyncConnection, association_id: str, conversation_id: str
) -> list[Message]:
    parameters = {"association_id": association_id, "conversation_id": conversation_id}
    return await _delete(connection, _DELETE_CONVERSATION, parameters)


async def _delete(
    connection: AsyncConnection, statement: Executable, parameters: dict[str, Any]
) -> list[Message]:
    result = await execute(connection, statement, parameters)
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
        await execute(connection, _add_rollups(connection), rows)
    return deleted
