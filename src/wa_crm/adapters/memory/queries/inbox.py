"""The inbox's reads over the committed in-memory tables.

The search reads every message of the association (computing its terms each time): the store
is for tests and demos, where that is small; the SQL adapter keeps an index instead.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime

from wa_crm.adapters.memory.store import InMemoryStore
from wa_crm.domain.model.canned_reply import CannedReply
from wa_crm.domain.model.conversation import Conversation, ConversationStatus
from wa_crm.domain.model.inbox_search import (
    InboxSearch,
    SearchMatch,
    message_terms,
    name_key,
    phone_key,
)
from wa_crm.domain.model.message import Message
from wa_crm.domain.model.message_preview import LastMessage
from wa_crm.domain.model.people import Contact
from wa_crm.ports.queries import (
    ContactHistory,
    ConversationQuery,
    InboxCursor,
    InboxPage,
    InboxSort,
)

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UNASSIGNED_TAB = (ConversationStatus.PENDING, ConversationStatus.HUMAN)


def _ascii_lower(text: str) -> str:
    """SQL ``lower`` on SQLite folds ASCII letters only: the same here."""
    return text.translate(_ASCII_LOWER)


def activity(conversation: Conversation) -> datetime:
    """The last message's time, else the creation's."""
    return conversation.last_message_at or conversation.created_at


def activity_key(conversation: Conversation) -> tuple[datetime, str]:
    """Newest activity first: the last message, else the creation."""
    return (activity(conversation), conversation.id)


class InMemoryInboxQueries:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def page(self, association_id: str, query: ConversationQuery, agent_id: str) -> InboxPage:
        search = InboxSearch.parse(query.text)
        matches = self._matching_messages(association_id, search) if search else {}
        found = self._conversations(association_id, query, search, matches)
        return InboxPage(
            conversations=found,
            contacts=self._contacts(association_id, [c.contact_id for c in found]),
            counts=self._count_by_status(association_id, None),
            mine=self._count_by_status(association_id, agent_id),
            unassigned=self._unassigned(association_id),
            last_messages=self._last_messages(found),
            matches={
                c.id: SearchMatch.of(matches[c.id], search)
                for c in found
                if search is not None and c.id in matches
            },
        )

    async def contact_history(
        self,
        association_id: str,
        contact_id: str,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> ContactHistory | None:
        contact = self._contacts(association_id, [contact_id]).get(contact_id)
        if contact is None:
            return None
        found = sorted(
            (
                conversation
                for conversation in self._store.tables.conversations.values()
                if conversation.association_id == association_id
                and conversation.contact_id == contact_id
                and (after is None or (conversation.created_at, conversation.id) < after)
            ),
            key=lambda conversation: (conversation.created_at, conversation.id),
            reverse=True,
        )[:limit]
        found = copy.deepcopy(found)
        return ContactHistory(contact, found, self._last_messages(found))

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

    def _matching_messages(self, association_id: str, search: InboxSearch) -> dict[str, Message]:
        """The latest stored message matching the search's words, by conversation id."""
        found: dict[str, Message] = {}
        for message in self._store.tables.messages.values():  # in the order they were stored
            if message.association_id == association_id and search.terms_match(
                message_terms(message)
            ):
                found[message.conversation_id] = message
        return found

    def _found_by_name(self, association_id: str, search: InboxSearch) -> set[str]:
        """The ids of the contacts whose name, patient's name or phone the search finds."""
        patients = self._store.tables.patients
        found = set()
        for contact in self._store.tables.contacts.values():
            if contact.association_id != association_id:
                continue
            patient = patients.get((association_id, contact.patient_id or ""))
            if (
                search.name_matches(name_key(contact.display_name))
                or (patient is not None and search.name_matches(name_key(patient.full_name)))
                or search.phone_matches(phone_key(contact.phone))
            ):
                found.add(contact.id)
        return found

    def _conversations(
        self,
        association_id: str,
        query: ConversationQuery,
        search: InboxSearch | None,
        matches: dict[str, Message],
    ) -> list[Conversation]:
        named = self._found_by_name(association_id, search) if search else set()

        def matches_filters(conversation: Conversation) -> bool:
            return (
                conversation.association_id == association_id
                and (not query.statuses or conversation.status in query.statuses)
                and (query.channel is None or conversation.channel == query.channel)
                and (query.assignee_id is None or conversation.assignee_id == query.assignee_id)
                and (not query.unassigned or conversation.assignee_id is None)
                and (
                    search is None or conversation.contact_id in named or conversation.id in matches
                )
                and (query.label is None or query.label in conversation.labels)
                and (
                    query.snoozed is None
                    or query.snoozed == (conversation.snoozed_until is not None)
                )
                and (query.urgent is None or query.urgent == conversation.urgent)
                and (query.since is None or activity(conversation) >= query.since)
                and (query.until is None or activity(conversation) < query.until)
            )

        found = [c for c in self._store.tables.conversations.values() if matches_filters(c)]
        ordered = _in_order(found, query.sort)
        if query.after is not None:
            ordered = [c for c in ordered if _past(c, query.after, query.sort)]
        return copy.deepcopy(ordered[: query.limit])

    def _last_messages(self, conversations: Sequence[Conversation]) -> dict[str, LastMessage]:
        messages, agents = self._store.tables.messages, self._store.tables.agents
        found = {}
        for conversation in conversations:
            message = messages.get(conversation.last_message_id or "")
            if message is None or message.association_id != conversation.association_id:
                continue
            agent = agents.get(message.agent_id or "")
            found[conversation.id] = LastMessage.of(message, agent.name if agent else None)
        return found

    def _count_by_status(self, association_id: str, assignee_id: str | None) -> dict[str, int]:
        counts = dict.fromkeys((status.value for status in ConversationStatus), 0)
        for conversation in self._store.tables.conversations.values():
            if conversation.association_id == association_id and (
                assignee_id is None or conversation.assignee_id == assignee_id
            ):
                counts[conversation.status.value] += 1
        return counts

    def _unassigned(self, association_id: str) -> int:
        return sum(
            1
            for conversation in self._store.tables.conversations.values()
            if conversation.association_id == association_id
            and conversation.status in _UNASSIGNED_TAB
            and conversation.assignee_id is None
            and conversation.snoozed_until is None
        )

    def _contacts(self, association_id: str, contact_ids: Sequence[str]) -> dict[str, Contact]:
        stored = self._store.tables.contacts
        found = (stored.get(contact_id) for contact_id in set(contact_ids))
        return {
            contact.id: copy.deepcopy(contact)
            for contact in found
            if contact is not None and contact.association_id == association_id
        }


def _in_order(conversations: list[Conversation], sort: InboxSort) -> list[Conversation]:
    newest = sorted(conversations, key=activity_key, reverse=True)
    if sort is InboxSort.NEWEST:
        return newest
    waiting = sorted(
        (c for c in conversations if c.waiting_since is not None),
        key=lambda c: (c.waiting_since, c.id),
    )
    return waiting + [c for c in newest if c.waiting_since is None]


def _past(conversation: Conversation, cursor: InboxCursor, sort: InboxSort) -> bool:
    """Whether the conversation comes after the cursor in the list's order."""
    waiting_since = conversation.waiting_since if sort is InboxSort.WAITING else None
    if cursor.waiting:
        return waiting_since is None or (waiting_since, conversation.id) > (cursor.at, cursor.id)
    return waiting_since is None and activity_key(conversation) < (cursor.at, cursor.id)
