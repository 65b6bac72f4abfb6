"""The unit of work and its repositories.

One unit of work is one transaction: use cases open it with ``async with uow_factory() as uow``,
change state through its repositories, record events, and call ``commit()``. Leaving the block
without a commit rolls back. It holds one repository per aggregate, with the reads a change
depends on; what screens and reports only read goes through the query ports (``ports.queries``),
outside any transaction that writes.

Repositories return ``None`` for "not found"; ``add`` of something whose unique key exists raises
``DuplicateKey`` (an infrastructure fault, since use cases check first), except the
``*_if_absent`` methods, which are the race-safe way to insert idempotently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from wa_crm.domain.model.assignment import Presence
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.audit import AuditEntry
from wa_crm.domain.model.canned_reply import CannedReply
from wa_crm.domain.model.conversation import Channel, Conversation
from wa_crm.domain.model.credentials import ApiToken, BrowserSession
from wa_crm.domain.model.imports import Import
from wa_crm.domain.model.jobs import Job, NewJob
from wa_crm.domain.model.label_catalog import Label
from wa_crm.domain.model.message import Message, MessageStatus, Reaction
from wa_crm.domain.model.note import Note
from wa_crm.domain.model.people import Agent, Contact, Order, Patient
from wa_crm.domain.model.statistics import (
    Alert,
)
from wa_crm.ports.queries import SessionStatusChange


class DuplicateKey(Exception):
    """A unique constraint refused a write that a use case should have checked for."""


class AssociationRepository(Protocol):
    async def add(self, association: Association) -> None: ...
    async def update(self, association: Association) -> None: ...
    async def lock(self, association_id: str) -> None:
        """Hold the association's lock until the unit of work ends: units that read and then
        change association-wide state (an assignment pass, the session status history) run one
        at a time per association, across processes."""
        ...

    async def get(self, association_id: str) -> Association | None: ...
    async def get_by_slug(self, slug: str) -> Association | None: ...
    async def find_by_session(self, session: str) -> Sequence[Association]:
        """Associations whose WAHA session has this name (one per WAHA base URL)."""
        ...

    async def list(self) -> Sequence[Association]: ...


class AgentRepository(Protocol):
    """Agents and their credentials: API tokens and browser sessions, both found by the digest
    of their secret, never by the secret itself."""

    async def add(self, agent: Agent) -> None: ...
    async def update(self, agent: Agent) -> None: ...
    async def get(self, association_id: str, agent_id: str) -> Agent | None: ...
    async def get_by_email(self, association_id: str, email: str) -> Agent | None:
        """E-mail comparison is case-insensitive."""
        ...

    async def list(self, association_id: str) -> Sequence[Agent]: ...
    async def add_token(self, token_hash: str, token: ApiToken) -> None:
        """DuplicateKey when the digest or the token's id is taken."""
        ...

    async def find_by_token(self, token_hash: str) -> tuple[Agent, ApiToken] | None:
        """The token and its agent, whether or not it has expired or the agent is disabled."""
        ...

    async def list_tokens(self, agent_id: str) -> Sequence[ApiToken]:
        """The agent's tokens, newest first (creation, then id)."""
        ...

    async def token_used(self, token_id: str, at: datetime) -> None: ...
    async def revoke_token(self, agent_id: str, token_id: str) -> bool:
        """Delete the agent's token; False when the agent has no token with that id."""
        ...

    async def revoke_tokens(self, agent_id: str) -> int:
        """Delete every token of the agent; how many there were."""
        ...

    async def add_session(self, session: BrowserSession) -> None: ...
    async def find_session(self, id_hash: str) -> BrowserSession | None:
        """The session, expired or not."""
        ...

    async def end_session(self, id_hash: str) -> None:
        """Delete the session; nothing if it is already gone."""
        ...

    async def end_sessions(self, agent_id: str, keep: str | None = None) -> int:
        """Delete the agent's sessions except the one whose digest is ``keep``; how many."""
        ...

    async def prune_sessions(self, association_id: str, before: datetime) -> int:
        """Delete the association's sessions that expired at or before ``before``; how many."""
        ...


class PatientRepository(Protocol):
    async def upsert(self, patient: Patient) -> None:
        """Insert or replace the patient and its phones; orders are kept."""
        ...

    async def get(self, association_id: str, patient_id: str) -> Patient | None:
        """The patient with its orders, newest first."""
        ...

    async def find_by_phone(self, association_id: str, phone: str) -> Sequence[Patient]:
        """Patients that own this canonical E.164 phone, whatever their status."""
        ...

    async def add_order(self, association_id: str, patient_id: str, order: Order) -> None:
        """Insert or replace an order by its id."""
        ...

    async def delete(self, association_id: str, patient_id: str) -> None:
        """The patient with its phones and orders; nothing if there is none."""
        ...


class ImportRepository(Protocol):
    async def add(self, job: Import) -> None: ...
    async def update(self, job: Import) -> None: ...
    async def get(self, association_id: str, import_id: str) -> Import | None:
        """Locked for update until the unit of work ends, so two runs of one import take its
        batches one after the other."""
        ...


class ContactRepository(Protocol):
    async def add(self, contact: Contact) -> None: ...
    async def update(self, contact: Contact) -> None: ...
    async def get(self, association_id: str, contact_id: str) -> Contact | None: ...
    async def find_by_chat_id(self, association_id: str, chat_id: str) -> Contact | None: ...
    async def find_by_phone(self, association_id: str, phone: str) -> Contact | None: ...
    async def find_by_lid(self, association_id: str, lid: str) -> Contact | None: ...
    async def list_by_patient(self, association_id: str, patient_id: str) -> Sequence[Contact]: ...


class ConversationRepository(Protocol):
    async def add(self, conversation: Conversation) -> None:
        """At most one open conversation per contact and channel (DuplicateKey otherwise)."""
        ...

    async def update(self, conversation: Conversation) -> None: ...
    async def get(self, association_id: str, conversation_id: str) -> Conversation | None: ...
    async def find_open(
        self, association_id: str, contact_id: str, channel: Channel
    ) -> Conversation | None: ...
    async def list_for_contact(
        self, association_id: str, contact_id: str
    ) -> Sequence[Conversation]: ...
    async def idle_with_bot(
        self, association_id: str, before: datetime, limit: int
    ) -> Sequence[Conversation]:
        """Bot conversations, not snoozed, whose last message (else their opening) came before
        ``before``: the longest idle first, at most ``limit``. Not locked: a caller that
        changes one reads it again with ``get``."""
        ...

    async def awaiting_answer(
        self, association_id: str, since: datetime, limit: int
    ) -> Sequence[tuple[Conversation, datetime]]:
        """Pending conversations, not snoozed and not marked late, holding a handoff no agent
        has answered made at or before ``since``; each with its oldest such handoff's time,
        oldest first, at most ``limit``. Not locked, as ``idle_with_bot``."""
        ...


class MessageRepository(Protocol):
    async def add(self, message: Message) -> None: ...
    async def add_if_absent(self, message: Message) -> bool:
        """Insert unless the association already has a message with this ``external_id``.

        Safe under concurrency (a unique constraint decides); returns False for a duplicate.
        """
        ...

    async def update(self, message: Message) -> None: ...
    async def get(self, association_id: str, message_id: str) -> Message | None: ...
    async def get_by_external_id(self, association_id: str, external_id: str) -> Message | None: ...
    async def list_for_conversation(
        self, association_id: str, conversation_id: str, *, before: datetime | None, limit: int
    ) -> Sequence[Message]:
        """Newest first, strictly older than ``before`` when given."""
        ...

    async def next_queued(self, association_id: str, conversation_id: str) -> Message | None:
        """The oldest outbound message of the conversation still waiting to be sent."""
        ...

    async def list_awaiting_external_id(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Message]:
        """Outbound messages sent or being sent whose WhatsApp id is not known yet, oldest first.

        Some WAHA builds answer a send without the message id; its ``message.any`` echo is
        matched against these.
        """
        ...

    async def react(self, association_id: str, message_id: str, reaction: Reaction) -> bool:
        """Keep ``reaction`` as its side's reaction to the message, unless that side's stored
        one is newer (webhooks arrive in no order); True when it was kept. Race-safe."""
        ...

    async def all_of_conversation(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Message]:
        """Every message of the conversation, oldest first (a contact's data export)."""
        ...

    async def purge_before(
        self, association_id: str, before: datetime, limit: int
    ) -> Sequence[Message]:
        """Delete up to ``limit`` of the association's messages created strictly before
        ``before``, oldest first; returns the deleted messages. See ``delete_of_conversation``."""
        ...

    async def delete_of_conversation(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Message]:
        """Delete every message of the conversation; returns them, oldest first.

        Messages are deleted only through these two methods, and each is first folded into the
        anonymous ``MessageRollup`` counts of its hour and conversation, in the same
        transaction: the statistics read those counts with the messages, so deleting changes no
        figure. A message deleted by two units at once is deleted, and counted, by one.
        """
        ...

    async def reactions_of(
        self, association_id: str, message_ids: Sequence[str]
    ) -> dict[str, list[Reaction]]:
        """The current reactions (removed ones left out) of those messages that have any."""
        ...


class JobRepository(Protocol):
    async def schedule(self, job: NewJob, now: datetime) -> Job:
        """Insert the job, or (same key) move ``run_after``, replace the payload, bump version.

        A pending, done or dead job becomes pending with attempts reset; a running job keeps
        running, and its worker's completion of the older version leaves it pending.
        """
        ...

    async def claim_due(
        self, now: datetime, worker_id: str, lease_until: datetime, kinds: Sequence[str], limit: int
    ) -> Sequence[Job]:
        """Lease due pending jobs and running jobs whose lease expired; counts an attempt.

        Concurrent claimers never receive the same job (``FOR UPDATE SKIP LOCKED`` on
        PostgreSQL, one writer at a time on SQLite).
        """
        ...

    async def extend_lease(self, job_id: str, worker_id: str, lease_until: datetime) -> bool:
        """False when the worker no longer holds the job."""
        ...

    async def complete(self, job_id: str, version: int, worker_id: str, now: datetime) -> None:
        """Done, unless rescheduled meanwhile (newer version): then pending again."""
        ...

    async def fail(
        self,
        job_id: str,
        version: int,
        worker_id: str,
        error: str,
        retry_at: datetime | None,
        now: datetime,
    ) -> None:
        """Pending again at ``retry_at``, or dead with ``error`` when ``retry_at`` is None."""
        ...

    async def retry(self, job_id: str, now: datetime) -> Job | None:
        """A dead job back to pending with attempts reset; None if there is no such dead job."""
        ...

    async def get(self, job_id: str) -> Job | None: ...
    async def get_by_key(self, key: str) -> Job | None: ...


class SendSlotRepository(Protocol):
    async def reserve(self, key: str, now: datetime, interval: timedelta) -> datetime:
        """The time a send under ``key`` may go: the key's next free slot or ``now``, whichever
        is later; the next free slot moves ``interval`` past it. Atomic across processes, which
        is what keeps several workers under one session's rate limit."""
        ...

    async def forget(self, key: str) -> None:
        """Drop the key's slot (e.g. one named after an erased contact's chat)."""
        ...


class SessionEventRepository(Protocol):
    async def record(
        self, association_id: str, status: str, at: datetime, *, session: str
    ) -> str | None:
        """Append the status and return the one before it (None for the first). ``session``
        (the WhatsApp session's name) is not stored: it names the session in the fact."""
        ...

    async def latest(self, association_id: str) -> SessionStatusChange | None:
        """The last status recorded, if any."""
        ...


class ProcessedEventRepository(Protocol):
    async def remember(self, association_id: str, event_id: str, at: datetime) -> bool:
        """Record that a webhook event was processed; False if it already was (race-safe)."""
        ...

    async def forget_before(self, before: datetime, limit: int) -> int:
        """Forget at most ``limit`` event ids, of every association, remembered strictly before
        ``before``, oldest first; returns how many were forgotten (fewer than ``limit``: none
        is left)."""
        ...


class PendingAckRepository(Protocol):
    """Acks (``message.ack``) that came before the WhatsApp id of the message they are for was
    stored: WAHA may post the SERVER ack while our send still waits for its answer. Kept until
    the id is stored, then applied, so ticks never stick at "sent"; forgotten after a while.
    Stored under a digest of the id (``early_ack_key``): the id names the chat, and an ack may
    come after its contact was erased."""

    async def keep(
        self, association_id: str, external_id: str, status: MessageStatus, at: datetime
    ) -> None:
        """Keep the status for the id; a status behind one already kept changes nothing."""
        ...

    async def take(self, association_id: str, external_id: str) -> MessageStatus | None:
        """The status kept for the id, if any, forgotten as it is taken."""
        ...

    async def forget_before(self, before: datetime, limit: int) -> int:
        """Forget at most ``limit`` acks, of every association, kept strictly before
        ``before``; returns how many were forgotten (fewer than ``limit``: none is left)."""
        ...


class HandoffRepository(Protocol):
    """Every handoff to the agents, kept for statistics (a conversation may have several)."""

    async def record(
        self, association_id: str, conversation_id: str, reason: str, at: datetime
    ) -> None: ...
    async def mark_answered(self, conversation_id: str, at: datetime) -> None:
        """An agent wrote in the conversation: its unanswered handoffs are answered at ``at``."""
        ...


class AlertRepository(Protocol):
    """What the monitoring page warns about: alerts, and counts of refused webhooks (read
    through ``MonitoringQueries``)."""

    async def add(self, association_id: str, alert: Alert) -> None: ...
    async def count_refused_webhook(self, scope: str, reason: str, at: datetime) -> None:
        """Count one webhook refused at ``at`` for ``reason``; ``scope`` is the association's
        id, or "" for the service (a body no association could be found for). Counts older
        than a day are forgotten. Race-safe."""
        ...


class CannedReplyRepository(Protocol):
    async def add(self, reply: CannedReply) -> None:
        """DuplicateKey when the association already has a reply with this shortcut."""
        ...

    async def update(self, reply: CannedReply) -> None:
        """DuplicateKey when another reply of the association has the new shortcut."""
        ...

    async def delete(self, association_id: str, reply_id: str) -> bool:
        """False when there was no such reply."""
        ...

    async def get(self, association_id: str, reply_id: str) -> CannedReply | None: ...


class LabelRepository(Protocol):
    """The association's label catalog, and the label names its conversations carry."""

    async def get(self, association_id: str, name: str) -> Label | None: ...
    async def add_if_absent(self, label: Label) -> bool:
        """Insert unless the association has a label of that name (race-safe); True if added."""
        ...

    async def update(self, label: Label) -> None:
        """Store the label's colour; nothing if there is no label of that name."""
        ...

    async def delete(self, association_id: str, name: str) -> bool:
        """False when the catalog had no label of that name."""
        ...

    async def carried(self, association_id: str, name: str) -> int:
        """How many of the association's conversations carry the label."""
        ...

    async def relabel(self, association_id: str, old: str, new: str | None) -> int:
        """Replace ``old`` with ``new`` (remove it when None) on every conversation of the
        association that carries it, as ``label_catalog.relabelled`` does; how many changed.
        Conversations' other fields, ``updated_at`` included, stay as they were."""
        ...


class NoteRepository(Protocol):
    async def add(self, note: Note) -> None: ...
    async def list_for_conversation(
        self, association_id: str, conversation_id: str, limit: int
    ) -> Sequence[Note]:
        """The newest ``limit`` notes, oldest first."""
        ...

    async def all_of_conversation(
        self, association_id: str, conversation_id: str
    ) -> Sequence[Note]:
        """Every note on the conversation, oldest first."""
        ...

    async def delete_of_conversation(self, association_id: str, conversation_id: str) -> int:
        """Delete the conversation's notes; returns how many there were."""
        ...


class AuditRepository(Protocol):
    """Append-only: entries are added here and read through ``AuditQueries``, never changed or
    deleted."""

    async def add(self, entry: AuditEntry) -> None: ...


class AssignmentRepository(Protocol):
    """What automatic assignment reads and writes: agents' presence, their open conversations,
    and the queue of waiting ones."""

    async def seen(self, association_id: str, agent_id: str, at: datetime) -> None:
        """The agent's inbox is open at ``at`` (clears ``left_at``)."""
        ...

    async def left(self, association_id: str, agent_id: str, at: datetime) -> None:
        """The agent's last open inbox closed at ``at``; nothing for an agent never seen."""
        ...

    async def assigned(self, association_id: str, agent_id: str, at: datetime) -> None:
        """Automatic assignment gave the agent a conversation at ``at``."""
        ...

    async def presence(self, association_id: str) -> Sequence[Presence]:
        """Every agent of the association with a presence record, in no particular order."""
        ...

    async def open_counts(self, association_id: str) -> dict[str, int]:
        """Pending or human conversations per assignee; agents without any are absent."""
        ...

    async def waiting(self, association_id: str, limit: int) -> Sequence[Conversation]:
        """Unassigned pending conversations, oldest first (creation, then id), locked for
        update like ``ConversationRepository.get``."""
        ...

    async def held_by(self, association_id: str, agent_id: str) -> Sequence[Conversation]:
        """The agent's pending or human conversations, oldest first, locked for update."""
        ...


class UnitOfWork(Protocol):
    associations: AssociationRepository
    agents: AgentRepository
    patients: PatientRepository
    imports: ImportRepository
    contacts: ContactRepository
    conversations: ConversationRepository
    messages: MessageRepository
    jobs: JobRepository
    processed_events: ProcessedEventRepository
    pending_acks: PendingAckRepository
    send_slots: SendSlotRepository
    session_events: SessionEventRepository
    handoffs: HandoffRepository
    alerts: AlertRepository
    audit: AuditRepository
    canned_replies: CannedReplyRepository
    labels: LabelRepository
    notes: NoteRepository
    assignment: AssignmentRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None:
        """Commit, then publish the facts of the aggregates stored since the last commit."""
        ...

    async def rollback(self) -> None:
        """Roll back and forget the facts stored since the last commit."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
