"""Conversations and messages in memory."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime

from wa_crm.adapters.memory.store import Workspace, insert, replace
from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.message import (
    AWAITING_ID_STATUSES,
    Direction,
    Message,
    MessageStatus,
    Reaction,
)
from wa_crm.ports.unit_of_work import ConversationQuery, DuplicateKey


def _open_per_contact_channel(conversation: Conversation) -> Hashable | None:
    """The partial unique index: resolved conversations do not count."""
    if not conversation.is_open:
        return None
    return (conversation.contact_id, conversation.channel)


def activity_key(conversation: Conversation) -> tuple[datetime, str]:
    """Newest activity first: the last message, else the creation."""
    return (conversation.last_message_at or conversation.created_at, conversation.id)


def _stored(conversation: Conversation) -> Conversation:
    """Pending events belong to the caller's object, not to the stored state."""
    return dataclasses.replace(conversation, pending_events=[])


class InMemoryConversationRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def add(self, conversation: Conversation) -> None:
        insert(self._rows, conversation.id, _stored(conversation), (_open_per_contact_channel,))

    async def update(self, conversation: Conversation) -> None:
        replace(self._rows, conversation.id, _stored(conversation), (_open_per_contact_channel,))

    async def get(self, association_id: str, conversation_id: str) -> Conversation | None:
        found = self._all(association_id, lambda conversation: conversation.id == conversation_id)
        return found[0] if found else None

    async def find_open(
        self, association_id: str, contact_id: str, channel: Channel
    ) -> Conversation | None:
        found = self._all(
            association_id,
            lambda conversation: (
                conversation.contact_id == contact_id
                and conversation.channel == channel
                and conversation.is_open
            ),
        )
        return found[0] if found else None

    async def list_for_contact(
        self, association_id: str, contact_id: str
    ) -> Sequence[Conversation]:
        return self._all(association_id, lambda conversation: conversation.contact_id == contact_id)

    async def search(self, association_id: str, query: ConversationQuery) -> Sequence[Conversation]:
        contacts = self._workspace.tables.contacts
        text = query.text.strip().casefold()

        def matches(conversation: Conversation) -> bool:
            contact = contacts.get(conversation.contact_id)
            return (
                (not query.statuses or conversation.status in query.statuses)
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
                and (query.after is None or activity_key(conversation) < query.after)
            )

        found = sorted(self._all(association_id, matches), key=activity_key, reverse=True)
        return found[: query.limit]

    async def count_by_status(
        self, association_id: str, assignee_id: str | None = None
    ) -> dict[str, int]:
        counts = dict.fromkeys((status.value for status in ConversationStatus), 0)
        for conversation in self._rows.values():
            if conversation.association_id == association_id and (
                assignee_id is None or conversation.assignee_id == assignee_id
            ):
                counts[conversation.status.value] += 1
        return counts

    @property
    def _rows(self) -> dict[str, Conversation]:
        return self._workspace.tables.conversations

    def _all(
        self, association_id: str, match: Callable[[Conversation], bool]
    ) -> list[Conversation]:
        found = [
            conversation
            for conversation in self._rows.values()
            if conversation.association_id == association_id and match(conversation)
        ]
        found.sort(
            key=lambda conversation: (conversation.created_at, conversation.id), reverse=True
        )
        return copy.deepcopy(found)


def _external_id(message: Message) -> Hashable | None:
    return None if message.external_id is None else (message.association_id, message.external_id)


class InMemoryMessageRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def add(self, message: Message) -> None:
        insert(self._rows, message.id, message, (_external_id,))

    async def add_if_absent(self, message: Message) -> bool:
        try:
            insert(self._rows, message.id, message, (_external_id,))
        except DuplicateKey:  # like ON CONFLICT DO NOTHING: any key conflict
            return False
        return True

    async def update(self, message: Message) -> None:
        replace(self._rows, message.id, message, (_external_id,))

    async def get(self, association_id: str, message_id: str) -> Message | None:
        found = self._newest(association_id, lambda message: message.id == message_id, limit=1)
        return found[0] if found else None

    async def get_by_external_id(self, association_id: str, external_id: str) -> Message | None:
        found = self._newest(
            association_id, lambda message: message.external_id == external_id, limit=1
        )
        return found[0] if found else None

    async def list_for_conversation(
        self, association_id: str, conversation_id: str, *, before: datetime | None, limit: int
    ) -> Sequence[Message]:
        return self._newest(
            association_id,
            lambda message: (
                message.conversation_id == conversation_id
                and (before is None or message.created_at < before)
            ),
            limit=limit,
        )

    async def next_queued(self, association_id: str, conversation_id: str) -> Message | None:
        queued = self._newest(
            association_id,
            lambda message: (
                message.conversation_id == conversation_id
                and message.direction is Direction.OUT
                and message.status is MessageStatus.QUEUED
            ),
            limit=len(self._rows),
        )
        return queued[-1] if queued else None

    async def list_failed(self, association_id: str, limit: int) -> Sequence[Message]:
        return self._newest(
            association_id,
            lambda message: message.is_dead_letter,
            limit=limit,
        )

    async def list_awaiting_external_id(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Message]:
        found = self._newest(
            association_id,
            lambda message: (
                message.conversation_id == conversation_id
                and message.direction is Direction.OUT
                and message.external_id is None
                and message.status in AWAITING_ID_STATUSES
            ),
            limit=len(self._rows),
        )
        return found[::-1]

    async def react(self, association_id: str, message_id: str, reaction: Reaction) -> bool:
        reactions = self._workspace.tables.reactions
        stored = reactions.get((message_id, reaction.from_me))
        if stored is not None and stored.at > reaction.at:
            return False
        reactions[(message_id, reaction.from_me)] = reaction
        return True

    async def reactions_of(
        self, association_id: str, message_ids: Sequence[str]
    ) -> dict[str, list[Reaction]]:
        found: dict[str, list[Reaction]] = {}
        for message_id in message_ids:
            message = self._rows.get(message_id)  # a deleted message takes its reactions along
            if message is None or message.association_id != association_id:
                continue
            for from_me in (False, True):
                reaction = self._workspace.tables.reactions.get((message_id, from_me))
                if reaction is not None and reaction.emoji:
                    found.setdefault(message_id, []).append(reaction)
        return found

    @property
    def _rows(self) -> dict[str, Message]:
        return self._workspace.tables.messages

    def _newest(
        self, association_id: str, match: Callable[[Message], bool], limit: int
    ) -> list[Message]:
        found = [
            message
            for message in self._rows.values()
            if message.association_id == association_id and match(message)
        ]
        found.sort(key=lambda message: (message.created_at, message.id), reverse=True)
        return copy.deepcopy(found[:limit])
