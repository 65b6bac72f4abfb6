"""Conversations and messages in memory."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime

from wa_crm.adapters.memory.store import Workspace, insert, replace
from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.events import FactLog
from wa_crm.domain.model.message import (
    AWAITING_ID_STATUSES,
    Direction,
    Message,
    MessageStatus,
    Reaction,
)
from wa_crm.domain.model.statistics import roll_up
from wa_crm.ports.unit_of_work import DuplicateKey


def _open_per_contact_channel(conversation: Conversation) -> Hashable | None:
    """The partial unique index: resolved conversations do not count."""
    if not conversation.is_open:
        return None
    return (conversation.contact_id, conversation.channel)


def _activity(conversation: Conversation) -> datetime:
    return conversation.last_message_at or conversation.created_at


def _stored(conversation: Conversation) -> Conversation:
    """Pending facts belong to the caller's object, not to the stored state."""
    return dataclasses.replace(conversation)


class InMemoryConversationRepository:
    def __init__(self, workspace: Workspace, facts: FactLog) -> None:
        self._workspace = workspace
        self._facts = facts

    async def add(self, conversation: Conversation) -> None:
        insert(self._rows, conversation.id, _stored(conversation), (_open_per_contact_channel,))
        self._facts.take_from(conversation)

    async def update(self, conversation: Conversation) -> None:
        replace(self._rows, conversation.id, _stored(conversation), (_open_per_contact_channel,))
        self._facts.take_from(conversation)

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

    async def idle_with_bot(
        self, association_id: str, before: datetime, limit: int
    ) -> Sequence[Conversation]:
        def idle(conversation: Conversation) -> bool:
            return (
                conversation.status is ConversationStatus.BOT
                and conversation.snoozed_until is None
                and _activity(conversation) < before
            )

        found = sorted(self._all(association_id, idle), key=lambda c: (_activity(c), c.id))
        return found[:limit]

    async def awaiting_answer(
        self, association_id: str, since: datetime, limit: int
    ) -> Sequence[tuple[Conversation, datetime]]:
        unanswered: dict[str, datetime] = {}
        for handoff in self._workspace.tables.handoffs:
            if handoff.association_id == association_id and handoff.answered_at is None:
                known = unanswered.get(handoff.conversation_id, handoff.at)
                unanswered[handoff.conversation_id] = min(known, handoff.at)

        def waiting(conversation: Conversation) -> bool:
            return (
                conversation.status is ConversationStatus.PENDING
                and conversation.snoozed_until is None
                and conversation.sla_breached_at is None
                and conversation.id in unanswered
                and unanswered[conversation.id] <= since
            )

        found = [(c, unanswered[c.id]) for c in self._all(association_id, waiting)]
        found.sort(key=lambda pair: (pair[1], pair[0].id))
        return found[:limit]

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


def _stored_message(message: Message) -> Message:
    """Pending facts belong to the caller's object, not to the stored state."""
    return dataclasses.replace(message)


class InMemoryMessageRepository:
    def __init__(self, workspace: Workspace, facts: FactLog) -> None:
        self._workspace = workspace
        self._facts = facts

    async def add(self, message: Message) -> None:
        insert(self._rows, message.id, _stored_message(message), (_external_id,))
        self._facts.take_added(message)

    async def add_if_absent(self, message: Message) -> bool:
        try:
            insert(self._rows, message.id, _stored_message(message), (_external_id,))
        except DuplicateKey:  # like ON CONFLICT DO NOTHING: any key conflict
            return False
        self._facts.take_added(message)
        return True

    async def update(self, message: Message) -> None:
        replace(self._rows, message.id, _stored_message(message), (_external_id,))
        self._facts.take_from(message)

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

    async def all_of_conversation(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Message]:
        return copy.deepcopy(self._of_conversation(association_id, conversation_id))

    async def purge_before(
        self, association_id: str, before: datetime, limit: int
    ) -> Sequence[Message]:
        expired = self._oldest(association_id, lambda message: message.created_at < before)
        return self._delete_into_rollups(expired[:limit])

    async def delete_of_conversation(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Message]:
        return self._delete_into_rollups(self._of_conversation(association_id, conversation_id))

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

    def _of_conversation(self, association_id: str, conversation_id: str) -> list[Message]:
        return self._oldest(
            association_id, lambda message: message.conversation_id == conversation_id
        )

    def _oldest(self, association_id: str, match: Callable[[Message], bool]) -> list[Message]:
        found = [
            message
            for message in self._rows.values()
            if message.association_id == association_id and match(message)
        ]
        return sorted(found, key=lambda message: (message.created_at, message.id))

    def _delete_into_rollups(self, doomed: list[Message]) -> list[Message]:
        tables = self._workspace.tables
        for message in doomed:
            del tables.messages[message.id]
        for rollup in roll_up(doomed):
            key = (doomed[0].association_id, rollup.hour, rollup.conversation_id)
            stored = tables.message_rollups.get(key)
            tables.message_rollups[key] = rollup if stored is None else stored + rollup
        return doomed

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
