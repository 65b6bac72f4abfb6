"""Contacts in memory."""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Sequence

from wa_crm.adapters.memory.store import Workspace, insert, replace
from wa_crm.domain.model.people import Contact


def _chat(contact: Contact) -> Hashable:
    return (contact.association_id, contact.wa_chat_id)


class InMemoryContactRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def add(self, contact: Contact) -> None:
        insert(self._rows, contact.id, contact, (_chat,))

    async def update(self, contact: Contact) -> None:
        replace(self._rows, contact.id, contact, (_chat,))

    async def get(self, association_id: str, contact_id: str) -> Contact | None:
        return self._first(association_id, lambda contact: contact.id == contact_id)

    async def find_by_chat_id(self, association_id: str, chat_id: str) -> Contact | None:
        return self._first(association_id, lambda contact: contact.wa_chat_id == chat_id)

    async def find_by_phone(self, association_id: str, phone: str) -> Contact | None:
        return self._first(association_id, lambda contact: contact.phone == phone)

    async def find_by_lid(self, association_id: str, lid: str) -> Contact | None:
        return self._first(association_id, lambda contact: contact.lid == lid)

    async def list_by_patient(self, association_id: str, patient_id: str) -> Sequence[Contact]:
        return self._all(association_id, lambda contact: contact.patient_id == patient_id)

    @property
    def _rows(self) -> dict[str, Contact]:
        return self._workspace.tables.contacts

    def _first(self, association_id: str, match: Callable[[Contact], bool]) -> Contact | None:
        """The oldest match: a phone or lid can belong to several chats during a migration."""
        found = self._all(association_id, match)
        return found[0] if found else None

    def _all(self, association_id: str, match: Callable[[Contact], bool]) -> list[Contact]:
        found = [
            contact
            for contact in self._rows.values()
            if contact.association_id == association_id and match(contact)
        ]
        found.sort(key=lambda contact: (contact.created_at, contact.id))
        return copy.deepcopy(found)
