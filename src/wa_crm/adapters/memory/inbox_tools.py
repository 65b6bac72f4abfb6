"""Canned replies and private notes in memory."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Hashable, Sequence

from wa_crm.adapters.memory.store import Workspace, insert, replace
from wa_crm.domain.model.canned_reply import CannedReply
from wa_crm.domain.model.events import FactLog
from wa_crm.domain.model.note import Note


def _shortcut_of(reply: CannedReply) -> Hashable:
    return (reply.association_id, reply.shortcut)


class InMemoryCannedReplyRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def add(self, reply: CannedReply) -> None:
        insert(self._rows, reply.id, reply, (_shortcut_of,))

    async def update(self, reply: CannedReply) -> None:
        replace(self._rows, reply.id, reply, (_shortcut_of,))

    async def delete(self, association_id: str, reply_id: str) -> bool:
        found = self._rows.get(reply_id)
        if found is None or found.association_id != association_id:
            return False
        del self._rows[reply_id]
        return True

    async def get(self, association_id: str, reply_id: str) -> CannedReply | None:
        found = self._rows.get(reply_id)
        return found if found is not None and found.association_id == association_id else None

    @property
    def _rows(self) -> dict[str, CannedReply]:
        return self._workspace.tables.canned_replies


class InMemoryNoteRepository:
    def __init__(self, workspace: Workspace, facts: FactLog) -> None:
        self._workspace = workspace
        self._facts = facts

    async def add(self, note: Note) -> None:
        stored = dataclasses.replace(note)  # without the facts it raised: they are the caller's
        insert(self._workspace.tables.notes, note.id, stored)
        self._facts.take_from(note)

    async def list_for_conversation(
        self, association_id: str, conversation_id: str, limit: int
    ) -> Sequence[Note]:
        return copy.deepcopy(self._oldest_first(association_id, conversation_id)[-limit:])

    async def all_of_conversation(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Note]:
        return copy.deepcopy(self._oldest_first(association_id, conversation_id))

    async def delete_of_conversation(self, association_id: str, conversation_id: str) -> int:
        doomed = self._oldest_first(association_id, conversation_id)
        for note in doomed:
            del self._workspace.tables.notes[note.id]
        return len(doomed)

    def _oldest_first(self, association_id: str, conversation_id: str) -> list[Note]:
        return sorted(
            (
                note
                for note in self._workspace.tables.notes.values()
                if note.association_id == association_id and note.conversation_id == conversation_id
            ),
            key=lambda note: (note.created_at, note.id),
        )
