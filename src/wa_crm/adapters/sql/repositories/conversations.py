"""Conversations and their messages.

Statements are built once with bind parameters (see ``execution``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Executable, Integer, Select, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.repositories import message_deletion, message_terms
from wa_crm.adapters.sql.tables import (
    conversations,
    handoffs,
    message_reactions,
    messages,
)
from wa_crm.adapters.sql.types import UtcDateTime
from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.events import FactLog
from wa_crm.domain.model.message import (
    AWAITING_ID_STATUSES,
    Direction,
    Message,
    MessageStatus,
    Reaction,
)

_ADD_CONVERSATION = insert(conversations)
_UPDATE_CONVERSATION = update(conversations).where(conversations.c.id == bindparam("key_id"))
_CONVERSATIONS = (
    select(conversations)
    .where(conversations.c.association_id == bindparam("association_id"))
    .order_by(conversations.c.created_at.desc(), conversations.c.id.desc())
)
_CONVERSATIONS_OF_CONTACT = _CONVERSATIONS.where(
    conversations.c.contact_id == bindparam("contact_id")
)
# ``get`` and ``find_open`` start read-modify-write units of work (a message arrives, an agent
# acts), so on PostgreSQL they lock the row: concurrent units then wait and read what the first
# one wrote instead of overwriting it (a lost ``unread_count``, an undone status change).
# SQLite compiles FOR UPDATE to nothing; its unit of work already holds the one write lock.
_CONVERSATION_BY_ID = _CONVERSATIONS.where(conversations.c.id == bindparam("id")).with_for_update()
_OPEN_CONVERSATION = _CONVERSATIONS_OF_CONTACT.where(
    conversations.c.channel == bindparam("channel"),
    conversations.c.status != ConversationStatus.RESOLVED.value,
).with_for_update()

# The periodic passes of ``usecases/inbox/conversation_clocks``: read without locks, the few
# rows they change are read again with ``get``.
_ACTIVITY = func.coalesce(conversations.c.last_message_at, conversations.c.created_at)
_IDLE_WITH_BOT = (
    select(conversations)
    .where(
        conversations.c.association_id == bindparam("association_id"),
        conversations.c.status == ConversationStatus.BOT.value,
        conversations.c.snoozed_until.is_(None),
        bindparam("before", type_=UtcDateTime) > _ACTIVITY,
    )
    .order_by(_ACTIVITY, conversations.c.id)
    .limit(bindparam("limit", type_=Integer))
)
_UNANSWERED_SINCE = (
    select(func.min(handoffs.c.at))
    .where(handoffs.c.conversation_id == conversations.c.id, handoffs.c.answered_at.is_(None))
    .scalar_subquery()
)
_WAITING = (
    select(conversations, _UNANSWERED_SINCE.label("unanswered_since"))
    .where(
        conversations.c.association_id == bindparam("association_id"),
        conversations.c.status == ConversationStatus.PENDING.value,
        conversations.c.snoozed_until.is_(None),
        conversations.c.sla_breached_at.is_(None),
    )
    .subquery()
)
_AWAITING_ANSWER = (
    select(_WAITING)
    .where(_WAITING.c.unanswered_since <= bindparam("since", type_=UtcDateTime))
    .order_by(_WAITING.c.unanswered_since, _WAITING.c.id)
    .limit(bindparam("limit", type_=Integer))
)

_ADD_MESSAGE = insert(messages)
_UPDATE_MESSAGE = update(messages).where(messages.c.id == bindparam("key_id"))
_NEWEST_MESSAGES = (
    select(messages)
    .where(messages.c.association_id == bindparam("association_id"))
    .order_by(messages.c.created_at.desc(), messages.c.id.desc())
)
_MESSAGE_BY_ID = _NEWEST_MESSAGES.where(messages.c.id == bindparam("id")).limit(1)
_MESSAGE_BY_EXTERNAL_ID = _NEWEST_MESSAGES.where(
    messages.c.external_id == bindparam("external_id")
).limit(1)
_IN_CONVERSATION = messages.c.conversation_id == bindparam("conversation_id")
_HISTORY = _NEWEST_MESSAGES.where(_IN_CONVERSATION).limit(bindparam("limit", type_=Integer))
_HISTORY_BEFORE = _HISTORY.where(messages.c.created_at < bindparam("before"))
_ALL_OF_CONVERSATION = (
    select(messages)
    .where(messages.c.association_id == bindparam("association_id"), _IN_CONVERSATION)
    .order_by(messages.c.created_at, messages.c.id)
)
_OLDEST_OUTBOUND = (
    select(messages)
    .where(
        messages.c.association_id == bindparam("association_id"),
        _IN_CONVERSATION,
        messages.c.direction == Direction.OUT.value,
    )
    .order_by(messages.c.created_at, messages.c.id)
)
_NEXT_QUEUED = _OLDEST_OUTBOUND.where(messages.c.status == MessageStatus.QUEUED.value).limit(1)
_AWAITING_EXTERNAL_ID = _OLDEST_OUTBOUND.where(
    messages.c.external_id.is_(None),
    messages.c.status.in_([status.value for status in AWAITING_ID_STATUSES]),
)


_REACTIONS_OF = select(message_reactions).where(
    message_reactions.c.association_id == bindparam("association_id"),
    message_reactions.c.message_id.in_(bindparam("message_ids", expanding=True)),
    message_reactions.c.emoji != "",
)


@per_dialect
def _react(dialect: str) -> Executable:
    """Insert, or replace the side's reaction unless the stored one is newer."""
    insert = upsert_insert(dialect, message_reactions)
    return insert.on_conflict_do_update(
        index_elements=[message_reactions.c.message_id, message_reactions.c.from_me],
        set_={"emoji": insert.excluded.emoji, "reacted_at": insert.excluded.reacted_at},
        where=message_reactions.c.reacted_at <= insert.excluded.reacted_at,
    ).returning(message_reactions.c.message_id)


@per_dialect
def _add_message_if_absent(dialect: str) -> Executable:
    return upsert_insert(dialect, messages).on_conflict_do_nothing().returning(messages.c.id)


class SqlConversationRepository:
    def __init__(self, connection: AsyncConnection, facts: FactLog) -> None:
        self._connection = connection
        self._facts = facts

    async def add(self, conversation: Conversation) -> None:
        row = mappers.conversation_to_row(conversation) | {"updated_at": _now()}
        await execute(self._connection, _ADD_CONVERSATION, row)
        self._facts.take_from(conversation)

    async def update(self, conversation: Conversation) -> None:
        row = mappers.conversation_to_row(conversation)
        row |= {"updated_at": _now(), "key_id": conversation.id}
        await execute(self._connection, _UPDATE_CONVERSATION, row)
        self._facts.take_from(conversation)

    async def get(self, association_id: str, conversation_id: str) -> Conversation | None:
        parameters = {"association_id": association_id, "id": conversation_id}
        found = await self._all(_CONVERSATION_BY_ID, parameters)
        return found[0] if found else None

    async def find_open(
        self, association_id: str, contact_id: str, channel: Channel
    ) -> Conversation | None:
        parameters = {
            "association_id": association_id,
            "contact_id": contact_id,
            "channel": channel.value,
        }
        found = await self._all(_OPEN_CONVERSATION, parameters)
        return found[0] if found else None

    async def list_for_contact(
        self, association_id: str, contact_id: str
    ) -> Sequence[Conversation]:
        parameters = {"association_id": association_id, "contact_id": contact_id}
        return await self._all(_CONVERSATIONS_OF_CONTACT, parameters)

    async def idle_with_bot(
        self, association_id: str, before: datetime, limit: int
    ) -> Sequence[Conversation]:
        parameters = {"association_id": association_id, "before": before, "limit": limit}
        return await self._all(_IDLE_WITH_BOT, parameters)

    async def awaiting_answer(
        self, association_id: str, since: datetime, limit: int
    ) -> Sequence[tuple[Conversation, datetime]]:
        parameters = {"association_id": association_id, "since": since, "limit": limit}
        result = await execute(self._connection, _AWAITING_ANSWER, parameters)
        return [
            (mappers.conversation_from_row(row), row["unanswered_since"])
            for row in result.mappings()
        ]

    async def _all(self, statement: Select[Any], parameters: dict[str, Any]) -> list[Conversation]:
        result = await execute(self._connection, statement, parameters)
        return [mappers.conversation_from_row(row) for row in result.mappings()]


class SqlMessageRepository:
    def __init__(self, connection: AsyncConnection, facts: FactLog) -> None:
        self._connection = connection
        self._facts = facts

    async def add(self, message: Message) -> None:
        await execute(self._connection, _ADD_MESSAGE, mappers.message_to_row(message))
        await message_terms.index_new(self._connection, message)
        self._facts.take_added(message)

    async def add_if_absent(self, message: Message) -> bool:
        statement = _add_message_if_absent(self._connection)
        result = await execute(self._connection, statement, mappers.message_to_row(message))
        added = result.first() is not None
        if added:
            await message_terms.index_new(self._connection, message)
            self._facts.take_added(message)
        return added

    async def update(self, message: Message) -> None:
        row = mappers.message_to_row(message) | {"key_id": message.id}
        await execute(self._connection, _UPDATE_MESSAGE, row)
        await message_terms.index_changed(self._connection, message)
        self._facts.take_from(message)

    async def get(self, association_id: str, message_id: str) -> Message | None:
        found = await self._all(
            _MESSAGE_BY_ID, {"association_id": association_id, "id": message_id}
        )
        return found[0] if found else None

    async def get_by_external_id(self, association_id: str, external_id: str) -> Message | None:
        parameters = {"association_id": association_id, "external_id": external_id}
        found = await self._all(_MESSAGE_BY_EXTERNAL_ID, parameters)
        return found[0] if found else None

    async def list_for_conversation(
        self, association_id: str, conversation_id: str, *, before: datetime | None, limit: int
    ) -> Sequence[Message]:
        parameters = {
            "association_id": association_id,
            "conversation_id": conversation_id,
            "limit": limit,
        }
        if before is None:
            return await self._all(_HISTORY, parameters)
        return await self._all(_HISTORY_BEFORE, parameters | {"before": before})

    async def next_queued(self, association_id: str, conversation_id: str) -> Message | None:
        parameters = {"association_id": association_id, "conversation_id": conversation_id}
        found = await self._all(_NEXT_QUEUED, parameters)
        return found[0] if found else None

    async def list_awaiting_external_id(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Message]:
        parameters = {"association_id": association_id, "conversation_id": conversation_id}
        return await self._all(_AWAITING_EXTERNAL_ID, parameters)

    async def react(self, association_id: str, message_id: str, reaction: Reaction) -> bool:
        row = {
            "message_id": message_id,
            "from_me": reaction.from_me,
            "association_id": association_id,
            "emoji": reaction.emoji,
            "reacted_at": reaction.at,
        }
        result = await execute(self._connection, _react(self._connection), row)
        return result.first() is not None

    async def all_of_conversation(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Message]:
        parameters = {"association_id": association_id, "conversation_id": conversation_id}
        return await self._all(_ALL_OF_CONVERSATION, parameters)

    async def purge_before(
        self, association_id: str, before: datetime, limit: int
    ) -> Sequence[Message]:
        return await message_deletion.purge_before(self._connection, association_id, before, limit)

    async def delete_of_conversation(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Message]:
        return await message_deletion.delete_of_conversation(
            self._connection, association_id, conversation_id
        )

    async def reactions_of(
        self, association_id: str, message_ids: Sequence[str]
    ) -> dict[str, list[Reaction]]:
        if not message_ids:
            return {}
        parameters = {"association_id": association_id, "message_ids": list(message_ids)}
        found: dict[str, list[Reaction]] = {}
        for row in await execute(self._connection, _REACTIONS_OF, parameters):
            reaction = Reaction(row.emoji, row.from_me, row.reacted_at)
            found.setdefault(row.message_id, []).append(reaction)
        return found

    async def _all(self, statement: Select[Any], parameters: dict[str, Any]) -> list[Message]:
        result = await execute(self._connection, statement, parameters)
        return [mappers.message_from_row(row) for row in result.mappings()]


def _now() -> datetime:
    """``updated_at`` is bookkeeping for operators, not domain time, so the wall clock is fine."""
    return datetime.now(UTC)
