"""The audit log page's reads over the committed in-memory tables; an entry's id is its
position + 1."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from wa_crm.adapters.memory.store import InMemoryStore
from wa_crm.domain.model.audit import AuditEntry
from wa_crm.ports.queries import AuditQuery


class InMemoryAuditQueries:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def entries(
        self, association_id: str, query: AuditQuery
    ) -> Sequence[tuple[int, AuditEntry]]:
        log = self._store.tables.audit
        newest = query.before_id - 1 if query.before_id is not None else len(log)
        found: list[tuple[int, AuditEntry]] = []
        for position in range(min(newest, len(log)) - 1, -1, -1):
            entry = log[position]
            if (
                entry.association_id == association_id
                and (query.start is None or entry.at >= query.start)
                and (query.end is None or entry.at < query.end)
                and (query.actor is None or entry.actor == query.actor)
            ):
                found.append((position + 1, copy.deepcopy(entry)))
                if len(found) == query.limit:
                    break
        return found

    async def agent_names(self, association_id: str) -> dict[str, str]:
        return {
            agent.id: agent.name
            for agent in self._store.tables.agents.values()
            if agent.association_id == association_id
        }

    async def target_names(
        self, association_id: str, contact_ids: Sequence[str], conversation_ids: Sequence[str]
    ) -> dict[str, str]:
        tables = self._store.tables
        contacts = {
            contact.id: contact.display_name
            for contact in tables.contacts.values()
            if contact.association_id == association_id and contact.display_name
        }
        names = {id_: contacts[id_] for id_ in contact_ids if id_ in contacts}
        for id_ in conversation_ids:
            conversation = tables.conversations.get(id_)
            if (
                conversation is not None
                and conversation.association_id == association_id
                and conversation.contact_id in contacts
            ):
                names[id_] = contacts[conversation.contact_id]
        return names
