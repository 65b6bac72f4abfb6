"""Conversations and their messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute, upsert_insert
from wa_crm.adapters.sql.tables import conversations, messages
from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.message import AWAITING_ID_STATUSES, Direction, Message, MessageStatus


class SqlConversationRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, conversation: Conversation) -> None:
        row = mappers.conversation_to_row(conversation) | {"updated_at": _now()}
        await execute(self._connection, insert(conversations).values(row))

    async def update(self, conversation: Conversation) -> None:
        row = mappers.conversation_to_row(conversation) | {"updated_at": _now()}
        statement = update(conversations).where(conversations.c.id == conversation.id).values(row)
        await execute(self._connection, statement)

    async def get(self, association_id: str, conversation_id: str) -> Conversation | None:
        found = await self._all(association_id, conversations.c.id == conversation_id)
        return found[0] if found else None

    async def find_open(
        self, association_id: str, contact_id: str, channel: Channel
    ) -> Conversation | None:
        found = await self._all(
            association_id,
            (conversations.c.contact_id == contact_id)
            & (conversations.c.channel == channel.value)
            & (conversations.c.status != ConversationStatus.RESOLVED.value),
        )
        return found[0] if found else None

    async def list_for_contact(
        self, association_id: str, contact_id: str
    ) -> Sequence[Conversation]:
        return await self._all(association_id, conversations.c.contact_id == contact_id)

    async def _all(self, association_id: str, condition: ColumnElement[bool]) -> list[Conversation]:
        statement = (
            select(conversations)
            .where(conversations.c.association_id == association_id, condition)
            .order_by(conversations.c.created_at.desc(), conversations.c.id.desc())
        )
        result = await execute(self._connection, statement)
        return [mappers.conversation_from_row(row) for row in result.mappings()]


class SqlMessageRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, message: Message) -> None:
        await execute(self._connection, insert(messages).values(mappers.message_to_row(message)))

    async def add_if_absent(self, message: Message) -> bool:
        statement = (
            upsert_insert(self._connection, messages)
            .values(mappers.message_to_row(message))
            .on_conflict_do_nothing()
            .returning(messages.c.id)
        )
        result = await execute(self._connection, statement)
        return result.first() is not None

    async def update(self, message: Message) -> None:
        statement = (
            update(messages)
            .where(messages.c.id == message.id)
            .values(mappers.message_to_row(message))
        )
        await execute(self._connection, statement)

    async def get(self, association_id: str, message_id: str) -> Message | None:
        found = await self._all(association_id, messages.c.id == message_id, limit=1)
        return found[0] if found else None

    async def get_by_external_id(self, association_id: str, external_id: str) -> Message | None:
        found = await self._all(association_id, messages.c.external_id == external_id, limit=1)
        return found[0] if found else None

    async def list_for_conversation(
        self, association_id: str, conversation_id: str, *, before: datetime | None, limit: int
    ) -> Sequence[Message]:
        condition = messages.c.conversation_id == conversation_id
        if before is not None:
            condition &= messages.c.created_at < before
        return await self._all(association_id, condition, limit=limit)

    async def next_queued(self, association_id: str, conversation_id: str) -> Message | None:
        statement = (
            select(messages)
            .where(
                messages.c.association_id == association_id,
                messages.c.conversation_id == conversation_id,
                messages.c.direction == Direction.OUT.value,
                messages.c.status == MessageStatus.QUEUED.value,
            )
            .order_by(messages.c.created_at, messages.c.id)
            .limit(1)
        )
        row = (await execute(self._connection, statement)).mappings().first()
        return mappers.message_from_row(row) if row else None

    async def list_awaiting_external_id(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Message]:
        statement = (
            select(messages)
            .where(
                messages.c.association_id == association_id,
                messages.c.conversation_id == conversation_id,
                messages.c.direction == Direction.OUT.value,
                messages.c.external_id.is_(None),
                messages.c.status.in_([status.value for status in AWAITING_ID_STATUSES]),
            )
            .order_by(messages.c.created_at, messages.c.id)
        )
        result = await execute(self._connection, statement)
        return [mappers.message_from_row(row) for row in result.mappings()]

    async def _all(
        self, association_id: str, condition: ColumnElement[bool], limit: int
    ) -> list[Message]:
        statement = (
            select(messages)
            .where(messages.c.association_id == association_id, condition)
            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
            .limit(limit)
        )
        result = await execute(self._connection, statement)
        return [mappers.message_from_row(row) for row in result.mappings()]


def _now() -> datetime:
    """``updated_at`` is bookkeeping for operators, not domain time, so the wall clock is fine."""
    return datetime.now(UTC)
