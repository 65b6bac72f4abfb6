"""Domain facts: what happened, raised by the aggregates and published once their unit commits.

An aggregate keeps the facts it raised (``FactSource``); a repository that stores it hands it to
its unit of work's ``FactLog``, which takes them; the unit publishes the log after a successful
commit and forgets it on rollback. Facts carry domain values: the shape subscribers see (the SSE
``data``) is made from them at the edge (``adapters/events/wire.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from wa_crm.domain.model.conversation import Conversation, HandoffReason
    from wa_crm.domain.model.message import Message, Reaction
    from wa_crm.domain.model.note import Note
    from wa_crm.domain.model.statistics import Alert


@dataclass(frozen=True)
class Fact:
    association_id: str


@dataclass(frozen=True)
class ConversationOpened(Fact):
    conversation: Conversation


@dataclass(frozen=True)
class ConversationChanged(Fact):
    """Anything agents see of the conversation changed; it carries the state after the change."""

    conversation: Conversation


@dataclass(frozen=True)
class ContactConsentChanged(Fact):
    """The contact opted in or out in this conversation: its state and the contact's choice."""

    conversation: Conversation
    contact_opted_out: bool


@dataclass(frozen=True)
class HandedOff(Fact):
    conversation_id: str
    reason: HandoffReason
    summary: str


@dataclass(frozen=True)
class ConversationRouted(Fact):
    """Automatic assignment gave a waiting conversation to an agent."""

    conversation_id: str
    agent_id: str


@dataclass(frozen=True)
class SnoozeEnded(Fact):
    conversation_id: str
    assignee_id: str | None


@dataclass(frozen=True)
class MessageAdded(Fact):
    message: Message


@dataclass(frozen=True)
class MessageChanged(Fact):
    """``reactions`` is set when the change is a reaction: all of the message's reactions."""

    message: Message
    reactions: tuple[Reaction, ...] | None = None


@dataclass(frozen=True)
class NoteAdded(Fact):
    note: Note
    author_name: str


@dataclass(frozen=True)
class AlertRaised(Fact):
    alert: Alert


@dataclass(frozen=True)
class SessionStatusChanged(Fact):
    session: str
    status: str


@dataclass(frozen=True)
class ContactTyping(Fact):
    """Ephemeral: the contact's presence, published by the entrypoint that received it."""

    contact_id: str
    conversation_id: str | None
    typing: bool


@dataclass(frozen=True)
class AgentTyping(Fact):
    """Ephemeral: an agent types in a conversation, published by the entrypoint."""

    agent_id: str
    conversation_id: str
    typing: bool


class FactSource(Protocol):
    def collect_facts(self) -> list[Fact]:
        """The facts raised since the last collection, handed out once."""
        ...


class NewFactSource(Protocol):
    def facts_when_added(self) -> list[Fact]:
        """What storing this new aggregate means, then the facts it raised since."""
        ...


class FactLog:
    """A unit of work's facts: those of what its repositories stored, in that order, and those
    committed and not yet published."""

    def __init__(self) -> None:
        self._stored: list[Fact] = []
        self._committed: list[Fact] = []

    def take_from(self, source: FactSource) -> None:
        self._stored.extend(source.collect_facts())

    def take_added(self, source: NewFactSource) -> None:
        self._stored.extend(source.facts_when_added())

    def add(self, fact: Fact) -> None:
        """A fact that is itself what was stored (an alert, a session status)."""
        self._stored.append(fact)

    def committed(self) -> None:
        self._committed.extend(self._stored)
        self._stored = []

    def rolled_back(self) -> None:
        self._stored = []

    def take_committed(self) -> list[Fact]:
        """Handed out once; what was stored and not committed is forgotten."""
        facts, self._committed, self._stored = self._committed, [], []
        return facts
