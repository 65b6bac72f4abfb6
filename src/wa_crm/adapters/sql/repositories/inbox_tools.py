"""Canned replies and private notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute
from wa_crm.adapters.sql.tables import canned_replies, conversation_notes
from wa_crm.domain.model.canned_reply import CannedReply
from wa_crm.domain.model.events import FactLog
from wa_crm.domain.model.note import Note

_IN_ASSOCIATION = canned_replies.c.association_id == bindparam("association_id")
_ADD_REPLY = insert(canned_replies)
_UPDATE_REPLY = update(canned_replies).where(canned_replies.c.id == bindparam("key_id"))
_DELETE_REPLY = delete(canned_replies).where(
    _IN_ASSOCIATION, canned_replies.c.id == bindparam("id")
)
_REPLY_BY_ID = select(canned_replies).where(_IN_ASSOCIATION, canned_replies.c.id == bindparam("id"))

_ADD_NOTE = insert(conversation_notes)
_NOTES_OF_CONVERSATION = (
    conversation_notes.c.association_id == bindparam("association_id"),
    conversation_notes.c.conversation_id == bindparam("conversation_id"),
)
_ALL_NOTES = (
    select(conversation_notes)
    .where(*_NOTES_OF_CONVERSATION)
    .order_by(conversation_notes.c.created_at, conversation_notes.c.id)
)
_DELETE_NOTES = delete(conversation_notes).where(*_NOTES_OF_CONVERSATION)
_NEWEST_NOTES = (
    select(conversation_notes)
    .where(*_NOTES_OF_CONVERSATION)
    .order_by(conversation_notes.c.created_at.desc(), conversation_notes.c.id.desc())
    .limit(bindparam("limit", type_=Integer))
)


def _reply_row(reply: CannedReply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "association_id": reply.association_id,
        "shortcut": reply.shortcut,
        "title": reply.title,
        "text": reply.text,
        "created_at": reply.created_at,
        "updated_at": reply.updated_at,
    }


class SqlCannedReplyRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, reply: CannedReply) -> None:
        await execute(self._connection, _ADD_REPLY, _reply_row(reply))

    async def update(self, reply: CannedReply) -> None:
        await execute(self._connection, _UPDATE_REPLY, _reply_row(reply) | {"key_id": reply.id})

    async def delete(self, association_id: str, reply_id: str) -> bool:
        parameters = {"association_id": association_id, "id": reply_id}
        result = await execute(self._connection, _DELETE_REPLY, parameters)
        return result.rowcount > 0

    async def get(self, association_id: str, reply_id: str) -> CannedReply | None:
        parameters = {"association_id": association_id, "id": reply_id}
        found = await self._all(_REPLY_BY_ID, parameters)
        return found[0] if found else None

    async def _all(self, statement: Any, parameters: dict[str, Any]) -> list[CannedReply]:
        result = await execute(self._connection, statement, parameters)
        return [CannedReply(**row) for row in result.mappings()]


class SqlNoteRepository:
    def __init__(self, connection: AsyncConnection, facts: FactLog) -> None:
        self._connection = connection
        self._facts = facts

    async def add(self, note: Note) -> None:
        row = {
            "id": note.id,
            "association_id": note.association_id,
            "conversation_id": note.conversation_id,
            "agent_id": note.agent_id,
            "text": note.text,
            "created_at": note.created_at,
        }
        await execute(self._connection, _ADD_NOTE, row)
        self._facts.take_from(note)

    async def list_for_conversation(
        self, association_id: str, conversation_id: str, limit: int
    ) -> Sequence[Note]:
        parameters = {
            "association_id": association_id,
            "conversation_id": conversation_id,
            "limit": limit,
        }
        result = await execute(self._connection, _NEWEST_NOTES, parameters)
        return [Note(**row) for row in reversed(result.mappings().all())]

    async def all_of_conversation(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Note]:
        parameters = {"association_id": association_id, "conversation_id": conversation_id}
        result = await execute(self._connection, _ALL_NOTES, parameters)
        return [Note(**row) for row in result.mappings()]

    async def delete_of_conversation(self, association_id: str, conversation_id: str) -> int:
        parameters = {"association_id": association_id, "conversation_id": conversation_id}
        result = await execute(self._connection, _DELETE_NOTES, parameters)
        return result.rowcount
