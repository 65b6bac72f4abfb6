"""Canned replies and private notes in memory."""

from __future__ import annotations

import copy
from collections.abc import Hashable, Sequence

from wa_crm.adapters.memory.store import Workspace, insert, replace
from wa_crm.domain.model.canned_reply import CannedReply
from wa_crm.domain.model.note import Note


def _shortcut_of(reply: CannedReply) -> Hashable:
    return (reply.association_id, reply.shortcut)


def _ascii_lower(text: str) -> str:
    """SQL ``lower`` on SQLite folds ASCII letters only: the same here."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


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

    async def search(self, association_id: str, text: str, limit: int) -> Sequence[CannedReply]:
        needle = _ascii_lower(text.strip())
        found = [
            reply
            for reply in self._rows.values()
            if reply.association_id == association_id
            and any(
                needle in _ascii_lower(part) for part in (reply.shortcut, reply.title, reply.text)
            )
        ]
        return sorted(found, key=lambda reply: reply.shortcut)[:limit]

    @property
    def _rows(self) -> dict[str, CannedReply]:
        return self._workspace.tables.canned_replies


class InMemoryNoteRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def add(self, note: Note) -> None:
        insert(self._workspace.tables.notes, note.id, note)

    async def list_for_conversation(
        self, association_id: str, conversation_id: str, limit: int
    ) -> Sequence[Note]:
        found = sorted(
            (
                note
                for note in self._workspace.tables.notes.values()
                if note.association_id == association_id and note.conversation_id == conversation_id
            ),
            key=lambda note: (note.created_at, note.id),
        )
        return copy.deepcopy(found[-limit:])
