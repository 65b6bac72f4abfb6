"""The read side: what screens and reports read, outside any unit of work.

Each query runs on its own read-only connection: it sees committed data only, cannot write, and
on SQLite does not take the single writer lock, so a statistics page or an inbox refresh neither
waits for the units of work nor holds them up. The unit of work (``ports.unit_of_work``) keeps
the reads that a change depends on (``get``, ``find_open``, locks).

The ports are grouped by the screen or use that reads them; ``Queries`` bundles them for wiring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from wa_crm.domain.model.audit import AuditEntry
from wa_crm.domain.model.canned_reply import CannedReply
from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.imports import Import
from wa_crm.domain.model.inbox_search import SearchMatch
from wa_crm.domain.model.jobs import Job
from wa_crm.domain.model.label_catalog import LabelUsage
from wa_crm.domain.model.message import Message
from wa_crm.domain.model.message_preview import LastMessage
from wa_crm.domain.model.people import Contact
from wa_crm.domain.model.statistics import (
    AgentFigures,
    Alert,
    AnsweredConversations,
    FirstResponse,
    HourlyMessages,
    Resolution,
    Satisfaction,
)


class InboxSort(StrEnum):
    NEWEST = "newest"
    """Newest activity first (the last message, else the creation)."""
    WAITING = "waiting"
    """Waiting longest first (``Conversation.waiting_since``), then those not waiting, newest
    activity first."""


@dataclass(frozen=True)
class InboxCursor:
    """Where the previous page of the inbox list ended."""

    at: datetime
    """The last conversation's sort key: its ``waiting_since`` when ``waiting``, else its
    activity."""
    id: str
    waiting: bool = False
    """Sort ``waiting``: the page ended among the waiting conversations."""

    @classmethod
    def after(cls, conversation: Conversation, sort: InboxSort) -> InboxCursor:
        if sort is InboxSort.WAITING and conversation.waiting_since is not None:
            return cls(conversation.waiting_since, conversation.id, waiting=True)
        return cls(conversation.last_message_at or conversation.created_at, conversation.id)


@dataclass(frozen=True)
class ConversationQuery:
    """A page of the inbox list, in ``sort`` order; every filter set must hold (AND)."""

    statuses: tuple[ConversationStatus, ...] = ()
    """Empty: every status."""
    channel: Channel | None = None
    assignee_id: str | None = None
    unassigned: bool = False
    text: str = ""
    """The search (``inbox_search.InboxSearch``): the contact's or patient's name, the phone,
    or words of a message; "" finds everything."""
    label: str | None = None
    """Only conversations with this (normalized) label."""
    snoozed: bool | None = False
    """False: conversations not snoozed (the default lists); True: only snoozed ones; None: both."""
    urgent: bool | None = None
    """True: only urgent ones (pinned above the inbox list); False: the others; None: both."""
    since: datetime | None = None
    """Activity (the last message, else the creation) at or after this time."""
    until: datetime | None = None
    """Activity before this time."""
    sort: InboxSort = InboxSort.NEWEST
    after: InboxCursor | None = None
    """The cursor: ``InboxCursor.after`` the last conversation of the previous page."""
    limit: int = 50


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox list with what the list shows beside it, from one snapshot."""

    conversations: Sequence[Conversation]
    contacts: dict[str, Contact]
    """The contacts of those conversations, by id."""
    counts: dict[str, int]
    """The association's conversations per status, every status present (zeros included)."""
    mine: dict[str, int]
    """The same, of the conversations assigned to the agent who asks."""
    unassigned: int = 0
    """The association's conversations the Unassigned tab lists: pending or human, nobody
    assigned, not snoozed."""
    last_messages: dict[str, LastMessage] = field(default_factory=dict)
    """The last message of those conversations that have one, by conversation id."""
    matches: dict[str, SearchMatch] = field(default_factory=dict)
    """With a search: the message each conversation found by its words was found by (the
    latest matching one), by conversation id; conversations found by name or phone are absent."""


@dataclass(frozen=True)
class ContactHistory:
    """A page of one contact's conversations, newest first (by creation)."""

    contact: Contact
    conversations: Sequence[Conversation]
    last_messages: dict[str, LastMessage]
    """As in ``InboxPage``."""


class InboxQueries(Protocol):
    """The agents' inbox: the conversation list with its counts, a contact's conversations,
    and the canned replies."""

    async def page(
        self, association_id: str, query: ConversationQuery, agent_id: str
    ) -> InboxPage: ...
    async def contact_history(
        self,
        association_id: str,
        contact_id: str,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> ContactHistory | None:
        """None for a contact the association does not have; ``after``: (creation, id) of the
        last conversation of the previous page."""
        ...

    async def canned_replies(
        self, association_id: str, text: str, limit: int
    ) -> Sequence[CannedReply]:
        """By shortcut; a non-empty ``text`` must be in the shortcut, title or text (ignoring
        ASCII case)."""
        ...


@dataclass(frozen=True)
class PeriodFigures:
    """The monitoring aggregates over ``start <= time < end``, from one snapshot."""

    hourly_messages: Sequence[HourlyMessages]
    """Messages by creation hour, only hours that have some, oldest first."""
    answered_conversations: AnsweredConversations
    """Over messages created in the period (bot and agent authors)."""
    handoffs_by_reason: dict[str, int]
    """Handoffs made in the period per reason; reasons without any are absent."""
    first_response: FirstResponse
    """Over handoffs made in the period; the median of an even count is the mean of the two
    middle waits."""
    delivery_failures: int
    """Outbound messages created in the period that ended ``failed``."""
    conversations_by_label: dict[str, int]
    """Conversations created in the period per label; labels without any are absent."""
    satisfaction: Satisfaction
    """Over the ratings given in the period."""
    by_agent: Sequence[AgentFigures] = ()
    """Every agent who is enabled or has a figure, by name (see ``AgentFigures``)."""
    resolution: Resolution = field(default_factory=Resolution)
    """Over conversations resolved in the period (see ``Resolution``)."""


class StatisticsQueries(Protocol):
    """Aggregates computed by the storage, so that they stay fast on large tables.

    Message figures also count deleted messages, through their rollups (see
    ``MessageRepository.delete_of_conversation``), by the UTC hour they were created in: exact
    for bounds on whole UTC hours, which local days are in zones with whole-hour offsets."""

    async def period(self, association_id: str, start: datetime, end: datetime) -> PeriodFigures:
        """Every figure over ``start <= time < end`` (timezone-aware UTC bounds), in one read
        transaction."""
        ...


@dataclass(frozen=True)
class AuditQuery:
    start: datetime | None = None
    end: datetime | None = None
    """Exclusive."""
    actor: str | None = None
    before_id: int | None = None
    """The cursor: entries older than this one."""
    limit: int = 100


class AuditQueries(Protocol):
    """The audit log page."""

    async def entries(
        self, association_id: str, query: AuditQuery
    ) -> Sequence[tuple[int, AuditEntry]]:
        """Newest first, each with its id (the cursor for the next page)."""
        ...

    async def agent_names(self, association_id: str) -> dict[str, str]:
        """The names of the association's agents, by id: who the actors are."""
        ...

    async def target_names(
        self, association_id: str, contact_ids: Sequence[str], conversation_ids: Sequence[str]
    ) -> dict[str, str]:
        """The display names of these contacts, and of these conversations' contacts, by the
        contact's or the conversation's id; ids of other associations and contacts without a
        name are absent."""
        ...


@dataclass(frozen=True)
class SessionStatusChange:
    status: str
    at: datetime


class MonitoringQueries(Protocol):
    """What the monitoring pages and the metrics show: alerts, refused webhooks, dead letters,
    the job queue and the WhatsApp session's history."""

    async def recent_alerts(self, association_id: str, limit: int) -> Sequence[Alert]:
        """Newest first."""
        ...

    async def refused_webhooks(self, scope: str, since: datetime) -> dict[str, int]:
        """Refused webhooks of the scope (an association's id, or "" for the service) by
        reason, counted from ``since``'s minute on."""
        ...

    async def failed_messages(self, association_id: str, limit: int) -> Sequence[Message]:
        """Outbound messages that could not be delivered (dead letters), newest first."""
        ...

    async def dead_jobs(self, association_id: str | None, limit: int) -> Sequence[Job]:
        """Jobs that ran out of attempts, of one association or (None) of all."""
        ...

    async def job_counts(self) -> dict[str, int]:
        """Jobs per status, of every association."""
        ...

    async def session_history(
        self, association_id: str, limit: int
    ) -> Sequence[SessionStatusChange]:
        """The WhatsApp session's recorded statuses, newest first."""
        ...


class ImportQueries(Protocol):
    """The list of CSV imports."""

    async def recent(self, association_id: str, limit: int) -> Sequence[Import]:
        """Newest first (creation, then id)."""
        ...


class LabelQueries(Protocol):
    """The label catalog page and the inbox's label colours."""

    async def catalog(self, association_id: str) -> Sequence[LabelUsage]:
        """Every label of the catalog, and every label a conversation carries that the catalog
        lacks (in ``label_catalog.DEFAULT_COLOUR``: conversations labelled before the catalog
        existed), each with how many conversations carry it; by name."""
        ...


@dataclass(frozen=True)
class Queries:
    """Every query port of one storage, for wiring."""

    inbox: InboxQueries
    statistics: StatisticsQueries
    audit: AuditQueries
    monitoring: MonitoringQueries
    imports: ImportQueries
    labels: LabelQueries
