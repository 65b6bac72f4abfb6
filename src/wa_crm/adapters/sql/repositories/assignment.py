"""Automatic assignment: the association lock, agents' presence, open conversations per agent.

Statements are built once with bind parameters (see ``execution``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Integer, Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import agent_presence, conversations
from wa_crm.domain.model.assignment import Presence
from wa_crm.domain.model.conversation import Conversation, ConversationStatus

_LEFT = (
    update(agent_presence)
    .where(
        agent_presence.c.association_id == bindparam("key_association_id"),
        agent_presence.c.agent_id == bindparam("key_agent_id"),
    )
    .values(left_at=bindparam("at"))
)
_PRESENCE = select(agent_presence).where(
    agent_presence.c.association_id == bindparam("association_id")
)

_OPEN_WITH_AGENTS = (
    conversations.c.association_id == bindparam("association_id"),
    conversations.c.status.in_([ConversationStatus.PENDING.value, ConversationStatus.HUMAN.value]),
)
_OPEN_COUNTS = (
    select(conversations.c.assignee_id, func.count().label("open"))
    .where(*_OPEN_WITH_AGENTS, conversations.c.assignee_id.is_not(None))
    .group_by(conversations.c.assignee_id)
)
_OLDEST_FIRST = (conversations.c.created_at, conversations.c.id)
_WAITING = (
    select(conversations)
    .where(
        conversations.c.association_id == bindparam("association_id"),
        conversations.c.status == ConversationStatus.PENDING.value,
        conversations.c.assignee_id.is_(None),
    )
    .order_by(*_OLDEST_FIRST)
    .limit(bindparam("limit", type_=Integer))
    .with_for_update()
)
_HELD_BY = (
    select(conversations)
    .where(*_OPEN_WITH_AGENTS, conversations.c.assignee_id == bindparam("agent_id"))
    .order_by(*_OLDEST_FIRST)
    .with_for_update()
)


@per_dialect
def _seen(dialect: str) -> Executable:
    insert = upsert_insert(dialect, agent_presence)
    return insert.on_conflict_do_update(
        index_elements=[agent_presence.c.association_id, agent_presence.c.agent_id],
        set_={"last_seen_at": insert.excluded.last_seen_at, "left_at": None},
    )


@per_dialect
def _assigned(dialect: str) -> Executable:
    insert = upsert_insert(dialect, agent_presence)
    return insert.on_conflict_do_update(
        index_elements=[agent_presence.c.association_id, agent_presence.c.agent_id],
        set_={"last_assigned_at": insert.excluded.last_assigned_at},
    )


class SqlAssignmentRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def seen(self, association_id: str, agent_id: str, at: datetime) -> None:
        row = {"association_id": association_id, "agent_id": agent_id, "last_seen_at": at}
        await execute(self._connection, _seen(self._connection), row)

    async def left(self, association_id: str, agent_id: str, at: datetime) -> None:
        parameters = {"key_association_id": association_id, "key_agent_id": agent_id, "at": at}
        await execute(self._connection, _LEFT, parameters)

    async def assigned(self, association_id: str, agent_id: str, at: datetime) -> None:
        row = {"association_id": association_id, "agent_id": agent_id, "last_assigned_at": at}
        await execute(self._connection, _assigned(self._connection), row)

    async def presence(self, association_id: str) -> Sequence[Presence]:
        result = await execute(self._connection, _PRESENCE, {"association_id": association_id})
        return [
            Presence(row.agent_id, row.last_seen_at, row.left_at, row.last_assigned_at)
            for row in result
        ]

    async def open_counts(self, association_id: str) -> dict[str, int]:
        result = await execute(self._connection, _OPEN_COUNTS, {"association_id": association_id})
        return {row.assignee_id: row.open for row in result}

    async def waiting(self, association_id: str, limit: int) -> Sequence[Conversation]:
        return await self._all(_WAITING, {"association_id": association_id, "limit": limit})

    async def held_by(self, association_id: str, agent_id: str) -> Sequence[Conversation]:
        parameters = {"association_id": association_id, "agent_id": agent_id}
        return await self._all(_HELD_BY, parameters)

    async def _all(self, statement: Select[Any], parameters: dict[str, Any]) -> list[Conversation]:
        result = await execute(self._connection, statement, parameters)
        return [mappers.conversation_from_row(row) for row in result.mappings()]
