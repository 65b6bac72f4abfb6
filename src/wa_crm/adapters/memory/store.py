"""The in-memory database: plain dicts, and the unique constraints the SQL schema has."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from wa_crm.domain.model.assignment import Presence
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.audit import AuditEntry
from wa_crm.domain.model.canned_reply import CannedReply
from wa_crm.domain.model.conversation import Conversation
from wa_crm.domain.model.credentials import ApiToken, BrowserSession
from wa_crm.domain.model.imports import Import
from wa_crm.domain.model.jobs import Job
from wa_crm.domain.model.label_catalog import Label
from wa_crm.domain.model.message import Message, MessageStatus, Reaction
from wa_crm.domain.model.note import Note
from wa_crm.domain.model.people import Agent, Contact, Order, Patient
from wa_crm.domain.model.statistics import Alert, MessageRollup
from wa_crm.ports.queries import SessionStatusChange
from wa_crm.ports.unit_of_work import DuplicateKey


@dataclass
class StoredJob:
    job: Job
    updated_at: datetime


@dataclass
class StoredOrder:
    patient_id: str
    order: Order


@dataclass
class StoredHandoff:
    association_id: str
    conversation_id: str
    reason: str
    at: datetime
    answered_at: datetime | None = None


@dataclass
class Tables:
    """Everything the store holds; tests may read it to assert on committed state."""

    associations: dict[str, Association] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)  # by digest
    browser_sessions: dict[str, BrowserSession] = field(default_factory=dict)  # by id digest
    patients: dict[tuple[str, str], Patient] = field(default_factory=dict)  # orders kept apart
    orders: dict[tuple[str, str], StoredOrder] = field(default_factory=dict)
    imports: dict[str, Import] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    reactions: dict[tuple[str, bool], Reaction] = field(default_factory=dict)  # (message, from_me)
    jobs: dict[str, StoredJob] = field(default_factory=dict)
    processed_events: dict[tuple[str, str], datetime] = field(default_factory=dict)
    pending_acks: dict[tuple[str, str], tuple[MessageStatus, datetime]] = field(
        default_factory=dict
    )  # (association id, WhatsApp id) -> the ack's status and when it came
    send_slots: dict[str, datetime] = field(default_factory=dict)
    session_events: list[tuple[str, SessionStatusChange]] = field(default_factory=list)
    handoffs: list[StoredHandoff] = field(default_factory=list)
    alerts: list[tuple[str, Alert]] = field(default_factory=list)  # (association id, alert)
    # (scope, minute, reason) -> count; see AlertRepository.count_refused_webhook
    webhook_refusals: dict[tuple[str, datetime, str], int] = field(default_factory=dict)
    canned_replies: dict[str, CannedReply] = field(default_factory=dict)
    labels: dict[tuple[str, str], Label] = field(default_factory=dict)  # (association, name)
    notes: dict[str, Note] = field(default_factory=dict)
    presence: dict[tuple[str, str], Presence] = field(default_factory=dict)  # (assoc, agent)
    # (association id, hour, conversation id) -> the counts of its deleted messages
    message_rollups: dict[tuple[str, datetime, str], MessageRollup] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)  # an entry's id is its position + 1


class InMemoryStore:
    """Committed state shared by the units of work made on it; one unit runs at a time.

    Serializing whole units (like SQLite's single writer) is what makes staged changes safe to
    swap in on commit: no other unit can have committed in between.
    """

    def __init__(self) -> None:
        self.tables = Tables()
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None

    async def acquire(self) -> None:
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            raise RuntimeError(
                "a unit of work is already open in this task; opening another would wait forever"
            )
        await self._lock.acquire()
        self._holder = task

    def release(self) -> None:
        self._holder = None
        self._lock.release()


class Workspace:
    """The tables one unit of work reads and writes: a private copy until it commits."""

    def __init__(self) -> None:
        self._tables: Tables | None = None

    @property
    def tables(self) -> Tables:
        if self._tables is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._tables

    def stage(self, committed: Tables) -> None:
        """Start over from a private copy of the committed tables."""
        self._tables = copy.deepcopy(committed)

    def close(self) -> None:
        self._tables = None


K = TypeVar("K")
T = TypeVar("T")
UniqueKeys = Sequence[Callable[[T], Hashable | None]]


def insert(table: dict[K, T], key: K, row: T, unique: UniqueKeys[T] = ()) -> None:
    """Store a copy of ``row``; DuplicateKey if its key or a unique key is taken.

    A unique key function returns None where its constraint does not apply (a NULL column or a
    partial index's excluded rows), as in SQL.
    """
    if key in table:
        raise DuplicateKey(f"{key!r} already exists")
    _check_unique(table, key, row, unique)
    table[key] = copy.deepcopy(row)


def replace(table: dict[K, T], key: K, row: T, unique: UniqueKeys[T] = ()) -> None:
    """Overwrite the stored row with a copy of ``row``; like SQL UPDATE, nothing if it is absent."""
    if key in table:
        _check_unique(table, key, row, unique)
        table[key] = copy.deepcopy(row)


def _check_unique(table: dict[K, T], key: K, row: T, unique: UniqueKeys[T]) -> None:
    for unique_key in unique:
        value = unique_key(row)
        if value is None:
            continue
        if any(unique_key(other) == value for k, other in table.items() if k != key):
            raise DuplicateKey(f"{value!r} already exists")
