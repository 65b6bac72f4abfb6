"""The inbox's reads over the committed in-memory tables."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime

from wa_crm.adapters.memory.store import InMemoryStore
from wa_crm.domain.model.canned_reply import CannedReply
from wa_crm.domain.model.conversation import Conversation, ConversationStatus
from wa_crm.domain.model.people import Contact
from wa_crm.ports.queries import ConversationQuery, InboxPage

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _ascii_lower(text: str) -> str:
    """SQL ``lower`` on SQLite folds ASCII letters only: the same here."""
    return text.translate(_ASCII_LOWER)


def activity_key(conversation: Conversation) -> tuple[datetime, str]:
    """Newest activity first: the last message, else the creation."""
    return (conversation.last_message_at or conversation.created_at, conversation.id)


class InMemoryInboxQueries:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def page(self, association_id: str, query: ConversationQuery, agent_id: str) -> InboxPage:
        found = self._conversations(association_id, query)
        return InboxPage(
            conversations=found,
            contacts=self._contacts(association_id, [c.contact_id for c in found]),
            counts=self._count_by_status(association_id, None),
            mine=self._count_by_status(association_id, agent_id),
        )

    async def canned_replies(
        self, association_id: str, text: str, limit: int
    ) -> Sequence[CannedReply]:
        needle = _ascii_lower(text.strip())
        found = [
            reply
            for reply in self._store.tables.canned_replies.values()
            if reply.association_id == association_id
            and any(
                needle in _ascii_lower(part) for part in (reply.shortcut, reply.title, reply.text)
            )
        ]
        return copy.deepcopy(sorted(found, key=lambda reply: reply.shortcut)[:limit])

    def _conversations(self, association_id: str, query: ConversationQuery) -> list[Conversation]:
        contacts = self._store.tables.contacts
        text = query.text.strip().casefold()

        def matches(conversation: Conversation) -> bool:
            contact = contacts.get(conversation.contact_id)
            return (
                conversation.association_id == association_id
                and (not query.statuses or conversation.status in query.statuses)
                and (query.channel is None or conversation.channel == query.channel)
                and (query.assignee_id is None or conversation.assignee_id == query.assignee_id)
                and (not query.unassigned or conversation.assignee_id is None)
                and (
                    not text
                    or (
                        contact is not None
                        and (
                            text in contact.display_name.casefold() or text in (contact.phone or "")
                        )
                    )
                )
                and (query.label is None or query.label in conversation.labels)
                and (
                    query.snoozed is None
                    or query.snoozed == (conversation.snoozed_until is not None)
                )
                and (query.urgent is None or query.urgent == conversation.urgent)
                and (query.after is None or activity_key(conversation) < query.after)
            )

        found = filter(matches, self._store.tables.conversations.values())
        return copy.deepcopy(sorted(found, key=activity_key, reverse=True)[: query.limit])

    def _count_by_status(self, association_id: str, assignee_id: str | None) -> dict[str, int]:
        counts = dict.fromkeys((status.value for status in ConversationStatus), 0)
        for conversation in self._store.tables.conversations.values():
            if conversation.association_id == association_id and (
                assignee_id is None or conversation.assignee_id == assignee_id
            ):
                counts[conversation.status.value] += 1
        return counts

    def _contacts(self, association_id: str, contact_ids: Sequence[str]) -> dict[str, Contact]:
        stored = self._store.tables.contacts
        found = (stored.get(contact_id) for contact_id in set(contact_ids))
        return {
            contact.id: copy.deepcopy(contact)
            for contact in found
            if contact is not None and contact.association_id == association_id
        }
