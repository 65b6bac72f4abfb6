"""Retention, export and erasure in memory: messages deleted into their anonymous rollups."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import datetime

from wa_crm.adapters.memory.store import Workspace
from wa_crm.domain.model.message import Message
from wa_crm.domain.model.note import Note
from wa_crm.domain.model.statistics import roll_up


class InMemoryPrivacyRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def purge_messages(
        self, association_id: str, before: datetime, limit: int
    ) -> Sequence[Message]:
        expired = self._select(association_id, lambda message: message.created_at < before)
        return self._delete(expired[:limit])

    async def delete_messages(self, association_id: str, conversation_id: str) -> Sequence[Message]:
        return self._delete(self._of_conversation(association_id, conversation_id))

    async def messages_of(self, association_id: str, conversation_id: str) -> Sequence[Message]:
        return copy.deepcopy(self._of_conversation(association_id, conversation_id))

    async def notes_of(self, association_id: str, conversation_id: str) -> Sequence[Note]:
        found = [
            note
            for note in self._workspace.tables.notes.values()
            if (note.association_id, note.conversation_id) == (association_id, conversation_id)
        ]
        return sorted(found, key=lambda note: (note.created_at, note.id))

    async def delete_notes(self, association_id: str, conversation_id: str) -> int:
        notes = self._workspace.tables.notes
        doomed = [note.id for note in await self.notes_of(association_id, conversation_id)]
        for note_id in doomed:
            del notes[note_id]
        return len(doomed)

    async def delete_patient(self, association_id: str, patient_id: str) -> None:
        tables = self._workspace.tables
        tables.patients.pop((association_id, patient_id), None)
        tables.orders = {
            key: stored
            for key, stored in tables.orders.items()
            if key[0] != association_id or stored.patient_id != patient_id
        }

    async def forget_send_slot(self, key: str) -> None:
        self._workspace.tables.send_slots.pop(key, None)

    def _of_conversation(self, association_id: str, conversation_id: str) -> list[Message]:
        return self._select(
            association_id, lambda message: message.conversation_id == conversation_id
        )

    def _select(self, association_id: str, match: Callable[[Message], bool]) -> list[Message]:
        """Oldest first."""
        found = [
            message
            for message in self._workspace.tables.messages.values()
            if message.association_id == association_id and match(message)
        ]
        return sorted(found, key=lambda message: (message.created_at, message.id))

    def _delete(self, doomed: list[Message]) -> list[Message]:
        tables = self._workspace.tables
        for message in doomed:
            del tables.messages[message.id]
        for rollup in roll_up(doomed):
            key = (doomed[0].association_id, rollup.hour, rollup.conversation_id)
            stored = tables.message_rollups.get(key)
            tables.message_rollups[key] = rollup if stored is None else stored + rollup
        return doomed
