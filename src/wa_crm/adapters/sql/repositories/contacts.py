"""Contacts: who wrote to an association, keyed by WhatsApp chat id.

Statements are built once with bind parameters (see ``execution``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, Select, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute
from wa_crm.adapters.sql.tables import contacts
from wa_crm.domain.model.people import Contact

_ADD = insert(contacts)
_UPDATE = update(contacts).where(contacts.c.id == bindparam("key_id"))
# Oldest first: a phone or lid can belong to several chats during a migration.
_CONTACTS = (
    select(contacts)
    .where(contacts.c.association_id == bindparam("association_id"))
    .order_by(contacts.c.created_at, contacts.c.id)
)


def _where(column: Column[str], limit: int | None = None) -> Select[tuple[object, ...]]:
    return _CONTACTS.where(column == bindparam("value")).limit(limit)


_BY_ID = _where(contacts.c.id, limit=1)
_BY_CHAT_ID = _where(contacts.c.wa_chat_id, limit=1)
_BY_PHONE = _where(contacts.c.phone, limit=1)
_BY_LID = _where(contacts.c.lid, limit=1)
_BY_PATIENT = _where(contacts.c.patient_id)


class SqlContactRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, contact: Contact) -> None:
        await execute(self._connection, _ADD, mappers.contact_to_row(contact))

    async def update(self, contact: Contact) -> None:
        row = mappers.contact_to_row(contact) | {"key_id": contact.id}
        await execute(self._connection, _UPDATE, row)

    async def get(self, association_id: str, contact_id: str) -> Contact | None:
        return await self._first(_BY_ID, association_id, contact_id)

    async def find_by_chat_id(self, association_id: str, chat_id: str) -> Contact | None:
        return await self._first(_BY_CHAT_ID, association_id, chat_id)

    async def find_by_phone(self, association_id: str, phone: str) -> Contact | None:
        return await self._first(_BY_PHONE, association_id, phone)

    async def find_by_lid(self, association_id: str, lid: str) -> Contact | None:
        return await self._first(_BY_LID, association_id, lid)

    async def list_by_patient(self, association_id: str, patient_id: str) -> Sequence[Contact]:
        return await self._all(_BY_PATIENT, association_id, patient_id)

    async def _first(
        self, statement: Select[tuple[object, ...]], association_id: str, value: str
    ) -> Contact | None:
        found = await self._all(statement, association_id, value)
        return found[0] if found else None

    async def _all(
        self, statement: Select[tuple[object, ...]], association_id: str, value: str
    ) -> list[Contact]:
        parameters = {"association_id": association_id, "value": value}
        result = await execute(self._connection, statement, parameters)
        return [mappers.contact_from_row(row) for row in result.mappings()]
