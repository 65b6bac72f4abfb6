"""Contacts: who wrote to an association, keyed by WhatsApp chat id."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute
from wa_crm.adapters.sql.tables import contacts
from wa_crm.domain.model.people import Contact


class SqlContactRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, contact: Contact) -> None:
        await execute(self._connection, insert(contacts).values(mappers.contact_to_row(contact)))

    async def update(self, contact: Contact) -> None:
        statement = (
            update(contacts)
            .where(contacts.c.id == contact.id)
            .values(mappers.contact_to_row(contact))
        )
        await execute(self._connection, statement)

    async def get(self, association_id: str, contact_id: str) -> Contact | None:
        return await self._first(association_id, contacts.c.id == contact_id)

    async def find_by_chat_id(self, association_id: str, chat_id: str) -> Contact | None:
        return await self._first(association_id, contacts.c.wa_chat_id == chat_id)

    async def find_by_phone(self, association_id: str, phone: str) -> Contact | None:
        return await self._first(association_id, contacts.c.phone == phone)

    async def find_by_lid(self, association_id: str, lid: str) -> Contact | None:
        return await self._first(association_id, contacts.c.lid == lid)

    async def list_by_patient(self, association_id: str, patient_id: str) -> Sequence[Contact]:
        return await self._all(association_id, contacts.c.patient_id == patient_id)

    async def _first(self, association_id: str, condition: ColumnElement[bool]) -> Contact | None:
        """The oldest match: a phone or lid can belong to several chats during a migration."""
        found = await self._all(association_id, condition, limit=1)
        return found[0] if found else None

    async def _all(
        self, association_id: str, condition: ColumnElement[bool], limit: int | None = None
    ) -> list[Contact]:
        statement = (
            select(contacts)
            .where(contacts.c.association_id == association_id, condition)
            .order_by(contacts.c.created_at, contacts.c.id)
            .limit(limit)
        )
        result = await execute(self._connection, statement)
        return [mappers.contact_from_row(row) for row in result.mappings()]
