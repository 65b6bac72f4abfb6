"""The conversation aggregate and its status machine (architecture.md section 2).

Every status change goes through ``_move``, which consults ``TRANSITIONS``; anything not in the
table is an ``InvalidTransition`` failure and leaves the conversation untouched.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import (
    ConversationTaken,
    DomainError,
    InvalidInput,
    InvalidTransition,
)
from wa_crm.domain.model.events import (
    ContactConsentChanged,
    ConversationChanged,
    ConversationOpened,
    ConversationRouted,
    Fact,
    HandedOff,
    SnoozeEnded,
)
from wa_crm.domain.model.message import Author
from wa_crm.domain.model.satisfaction import RATING_WINDOW, RATINGS

MAX_SNOOZE = timedelta(days=30)

_StateFact = type[ConversationOpened] | type[ConversationChanged]


class ConversationStatus(StrEnum):
    BOT = "bot"
    PENDING = "pending"
    HUMAN = "human"
    RESOLVED = "resolved"


class Channel(StrEnum):
    WHATSAPP = "whatsapp"
    WEB = "web"


class Trigger(StrEnum):
    HAND_OFF = "hand_off"
    AGENT_TAKES_OVER = "agent_takes_over"  # claim, reply or assignment by an agent
    PHONE_TAKES_OVER = "phone_takes_over"  # fromMe message typed on the phone, not sent by us
    RELEASE = "release"
    RESOLVE = "resolve"
    REQUEUE = "requeue"  # its agent has been offline too long (automatic assignment)


class HandoffReason(StrEnum):
    KEYWORD = "keyword"
    AI_REQUEST = "ai_request"
    OBJECTIVE_COMPLETE = "objective_complete"
    MAX_TURNS = "max_turns"
    AI_UNAVAILABLE = "ai_unavailable"
    UNSUPPORTED_MEDIA = "unsupported_media"
    DELIVERY_UNAVAILABLE = "delivery_unavailable"
    BOT_DISABLED = "bot_disabled"
    OUTSIDE_BUSINESS_HOURS = "outside_business_hours"
    NO_ANSWER = "no_answer"
    """The association's documents hold no answer to the contact's question."""
    MEDICAL_QUESTION = "medical_question"
    EMERGENCY = "emergency"
    VOICE_NOTE = "voice_note"
    """A voice note the assistant cannot read (no transcriber), as the association chose."""


S, T = ConversationStatus, Trigger
TRANSITIONS: dict[tuple[ConversationStatus, Trigger], ConversationStatus] = {
    (S.BOT, T.HAND_OFF): S.PENDING,
    (S.BOT, T.AGENT_TAKES_OVER): S.HUMAN,
    (S.BOT, T.PHONE_TAKES_OVER): S.HUMAN,
    (S.PENDING, T.AGENT_TAKES_OVER): S.HUMAN,
    (S.HUMAN, T.RELEASE): S.BOT,
    (S.BOT, T.RESOLVE): S.RESOLVED,
    (S.PENDING, T.RESOLVE): S.RESOLVED,
    (S.HUMAN, T.RESOLVE): S.RESOLVED,
    (S.PENDING, T.REQUEUE): S.PENDING,
    (S.HUMAN, T.REQUEUE): S.PENDING,
}
del S, T

OPEN_STATUSES = frozenset(
    {ConversationStatus.BOT, ConversationStatus.PENDING, ConversationStatus.HUMAN}
)


@dataclass(frozen=True)
class HandoffNote:
    """What the agent reads first, so that nobody asks the patient again."""

    reason: HandoffReason
    summary: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Conversation:
    id: str
    association_id: str
    contact_id: str
    channel: Channel
    session: str
    status: ConversationStatus
    created_at: datetime
    assignee_id: str | None = None
    handoff_reason: HandoffReason | None = None
    handoff_note: HandoffNote | None = None
    bot_turns: int = 0
    last_message_id: str | None = None
    last_message_at: datetime | None = None
    unread_count: int = 0
    resolved_at: datetime | None = None
    labels: tuple[str, ...] = ()
    """Normalized and sorted (``labels.normalize_labels``)."""
    rating: int | None = None
    """The contact's satisfaction answer, 1 to 5, asked when an agent resolved it."""
    rating_requested_at: datetime | None = None
    rated_at: datetime | None = None
    snoozed_until: datetime | None = None
    """While set, the conversation keeps its status but stays out of the default lists."""
    urgent: bool = False
    """Set by an emergency handoff: the inbox lists urgent conversations first."""
    sla_breached_at: datetime | None = None
    """When the association's first-response target passed with no agent's answer."""
    waiting_since: datetime | None = None
    """When the contact's oldest message nobody answered yet was received: set by ``receive``,
    cleared by an answer of the bot or an agent (``record_outbound``) and by ``resolve``."""
    previous_conversation_id: str | None = None
    """The contact's resolved conversation this one followed (its labels were carried over)."""
    pending_facts: list[Fact | _StateFact] = field(
        default_factory=list, init=False, repr=False, compare=False
    )
    """Raised and not yet collected; ``ConversationOpened`` and ``ConversationChanged`` are
    kept as their type and made with the state at collection, once per collection."""

    @classmethod
    def open(
        cls,
        *,
        id: str,
        association_id: str,
        contact_id: str,
        channel: Channel,
        session: str,
        at: datetime,
        bot_available: bool,
        unavailable_reason: HandoffReason = HandoffReason.BOT_DISABLED,
        previous: Conversation | None = None,
    ) -> Conversation:
        """A new conversation starts with the bot when it may speak, else waits for agents.
        After a resolved ``previous`` one of the contact, it carries that one's labels forward
        and names it, so the agent sees what the contact talked about before."""
        follows = previous if previous is not None and not previous.is_open else None
        conversation = cls(
            id=id,
            association_id=association_id,
            contact_id=contact_id,
            channel=channel,
            session=session,
            status=ConversationStatus.BOT if bot_available else ConversationStatus.PENDING,
            created_at=at,
            handoff_reason=None if bot_available else unavailable_reason,
            labels=follows.labels if follows else (),
            previous_conversation_id=follows.id if follows else None,
        )
        conversation._raise_state(ConversationOpened)
        return conversation

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def holder(self) -> str | None:
        """The agent this conversation keeps busy: its assignee while it waits for or talks with
        agents (pending or human)."""
        waiting_or_human = (ConversationStatus.PENDING, ConversationStatus.HUMAN)
        return self.assignee_id if self.status in waiting_or_human else None

    @property
    def bot_may_speak(self) -> bool:
        return self.status is ConversationStatus.BOT

    def receive(self, message_id: str, at: datetime) -> Result[None, InvalidTransition]:
        """An inbound message; a resolved conversation refuses it (the caller opens a new one)."""
        if not self.is_open:
            return Failure(InvalidTransition(f"conversation {self.id} is {self.status}"))
        self.last_message_id, self.last_message_at = message_id, at
        self.unread_count += 1
        if self.waiting_since is None:
            self.waiting_since = at
        self.snoozed_until = None  # the contact wrote: it is back in the lists
        self._raise_state(ConversationChanged)
        return Success(None)

    def record_outbound(
        self, message_id: str, at: datetime, author: Author = Author.SYSTEM
    ) -> None:
        """A message to the contact; one of the bot or an agent answers them (the contact no
        longer waits), where a system message (a transition, the emergency numbers) does not."""
        self.last_message_id, self.last_message_at = message_id, at
        if author in (Author.BOT, Author.AGENT):
            self.waiting_since = None
        self._raise_state(ConversationChanged)

    def mark_read(self) -> None:
        if self.unread_count:
            self.unread_count = 0
            self._raise_state(ConversationChanged)

    def count_bot_turn(self) -> None:
        self.bot_turns += 1

    def hand_off(
        self, reason: HandoffReason, note: HandoffNote | None = None
    ) -> Result[None, InvalidTransition]:
        return self._move(Trigger.HAND_OFF).map(
            lambda _: self._set_handoff(reason, note or HandoffNote(reason=reason))
        )

    def _set_handoff(self, reason: HandoffReason, note: HandoffNote) -> None:
        self.handoff_reason, self.handoff_note = reason, note
        self.pending_facts.append(HandedOff(self.association_id, self.id, reason, note.summary))

    def mark_urgent(self) -> None:
        """An emergency: listed first in the inbox until the conversation is resolved."""
        if not self.urgent:
            self.urgent = True
            self._raise_state(ConversationChanged)

    def claim(self, agent_id: str) -> Result[None, InvalidTransition | ConversationTaken]:
        """Idempotent for the agent who holds it; refused while another agent holds it."""
        if self.status is ConversationStatus.HUMAN:
            if self.assignee_id in (None, agent_id):
                self._set_assignee(agent_id)
                return Success(None)
            return Failure(ConversationTaken(f"conversation {self.id} is held by another agent"))
        return self._move(Trigger.AGENT_TAKES_OVER).map(lambda _: self._set_assignee(agent_id))

    def reply_by_agent(self, agent_id: str) -> Result[None, InvalidTransition]:
        """An agent's reply takes the conversation from the bot or the queue."""
        if self.status is ConversationStatus.HUMAN:
            if self.assignee_id is None:
                self._set_assignee(agent_id)
            return Success(None)
        return self._move(Trigger.AGENT_TAKES_OVER).map(lambda _: self._set_assignee(agent_id))

    def assign(self, agent_id: str) -> Result[None, InvalidTransition]:
        if self.status is ConversationStatus.HUMAN:
            self._set_assignee(agent_id)
            return Success(None)
        return self._move(Trigger.AGENT_TAKES_OVER).map(lambda _: self._set_assignee(agent_id))

    def route_to(self, agent_id: str) -> Result[None, InvalidTransition]:
        """Automatic assignment: a waiting conversation gets an agent but stays pending, since
        nobody has taken it yet; it becomes human when that agent claims or answers it."""
        if self.status is not ConversationStatus.PENDING or self.assignee_id is not None:
            return Failure(
                InvalidTransition(f"only an unassigned pending conversation is routed ({self.id})")
            )
        self._set_assignee(agent_id)
        self.pending_facts.append(ConversationRouted(self.association_id, self.id, agent_id))
        return Success(None)

    def requeue(self) -> Result[None, InvalidTransition]:
        """Back to the queue, unassigned and pending, for automatic assignment to route again."""

        def unassign(_: None) -> None:
            self.assignee_id = None

        return self._move(Trigger.REQUEUE).map(unassign)

    def take_over_from_phone(self) -> Result[None, InvalidTransition]:
        return self._move(Trigger.PHONE_TAKES_OVER)

    def release(self) -> Result[None, InvalidTransition]:
        def back_to_bot(_: None) -> None:
            self.assignee_id, self.bot_turns = None, 0
            self.handoff_reason, self.handoff_note = None, None

        return self._move(Trigger.RELEASE).map(back_to_bot)

    def resolve(self, at: datetime) -> Result[None, InvalidTransition]:
        def close(_: None) -> None:
            self.resolved_at, self.snoozed_until, self.urgent = at, None, False
            self.waiting_since = None  # nobody is expected to answer a resolved conversation

        return self._move(Trigger.RESOLVE).map(close)

    def mark_late(self, at: datetime) -> bool:
        """The first-response target passed at ``at`` while it waited for agents; False when it
        no longer waits or is already marked (the mark and its alert come once)."""
        if self.status is not ConversationStatus.PENDING or self.sla_breached_at is not None:
            return False
        self.sla_breached_at = at
        self._raise_state(ConversationChanged)
        return True

    def answered_by_agent(self) -> None:
        """An agent wrote to the contact: whatever the wait was, it is over."""
        if self.sla_breached_at is not None:
            self.sla_breached_at = None
            self._raise_state(ConversationChanged)

    def set_labels(self, labels: tuple[str, ...]) -> None:
        """``labels`` as ``normalize_labels`` returns them."""
        if labels != self.labels:
            self.labels = labels
            self._raise_state(ConversationChanged)

    def snooze(self, until: datetime, now: datetime) -> Result[None, DomainError]:
        if not self.is_open:
            return Failure(InvalidTransition(f"cannot snooze a conversation that is {self.status}"))
        if until <= now:
            return Failure(InvalidInput("`until` must be in the future"))
        if until > now + MAX_SNOOZE:
            return Failure(InvalidInput(f"a snooze lasts at most {MAX_SNOOZE.days} days"))
        if until != self.snoozed_until:
            self.snoozed_until = until
            self._raise_state(ConversationChanged)
        return Success(None)

    def wake(self) -> bool:
        """End the snooze; False if there was none."""
        if self.snoozed_until is None:
            return False
        self.snoozed_until = None
        self._raise_state(ConversationChanged)
        return True

    def end_snooze(self) -> None:
        """The snooze ran out: back in the lists, and its assignee is told."""
        if self.wake():
            self.pending_facts.append(SnoozeEnded(self.association_id, self.id, self.assignee_id))

    def show_consent(self, contact_opted_out: bool) -> None:
        """The contact's choice, told with the conversation's state: it says all that a pending
        ``ConversationChanged`` would, so it takes its place."""
        self.pending_facts = [f for f in self.pending_facts if f is not ConversationChanged]
        self.pending_facts.append(
            ContactConsentChanged(self.association_id, self._copy(), contact_opted_out)
        )

    def ask_rating(self, at: datetime) -> None:
        self.rating_requested_at, self.rating, self.rated_at = at, None, None
        self._raise_state(ConversationChanged)

    def awaits_rating(self, at: datetime) -> bool:
        """Resolved, asked for a rating within ``RATING_WINDOW`` before ``at``, not rated yet."""
        return (
            self.status is ConversationStatus.RESOLVED
            and self.rating is None
            and self.rating_requested_at is not None
            and at - self.rating_requested_at <= RATING_WINDOW
        )

    def rate(self, rating: int, at: datetime) -> Result[None, DomainError]:
        if rating not in RATINGS:
            return Failure(InvalidInput(f"a rating is {RATINGS.start} to {RATINGS.stop - 1}"))
        if not self.awaits_rating(at):
            return Failure(InvalidTransition(f"conversation {self.id} awaits no rating"))
        self.rating, self.rated_at = rating, at
        self._raise_state(ConversationChanged)
        return Success(None)

    def snapshot(self) -> dict[str, Any]:
        """The public shape of the conversation, as the API and events show it."""
        note = self.handoff_note
        return {
            "id": self.id,
            "association_id": self.association_id,
            "contact_id": self.contact_id,
            "channel": self.channel.value,
            "session": self.session,
            "status": self.status.value,
            "assignee_id": self.assignee_id,
            "handoff_reason": self.handoff_reason.value if self.handoff_reason else None,
            "handoff_note": None
            if note is None
            else {"reason": note.reason.value, "summary": note.summary, "fields": note.fields},
            "bot_turns": self.bot_turns,
            "last_message_id": self.last_message_id,
            "last_message_at": _iso(self.last_message_at),
            "unread_count": self.unread_count,
            "created_at": _iso(self.created_at),
            "resolved_at": _iso(self.resolved_at),
            "labels": list(self.labels),
            "rating": self.rating,
            "rating_requested_at": _iso(self.rating_requested_at),
            "rated_at": _iso(self.rated_at),
            "snoozed_until": _iso(self.snoozed_until),
            "urgent": self.urgent,
            "sla_breached": self.sla_breached_at is not None,
            "sla_breached_at": _iso(self.sla_breached_at),
            "waiting_since": _iso(self.waiting_since),
            "previous_conversation_id": self.previous_conversation_id,
        }

    def _move(self, trigger: Trigger) -> Result[None, InvalidTransition]:
        target = TRANSITIONS.get((self.status, trigger))
        if target is None:
            return Failure(
                InvalidTransition(f"cannot {trigger.value} a conversation that is {self.status}")
            )
        self.status = target
        if target not in (ConversationStatus.PENDING, ConversationStatus.HUMAN):
            self.sla_breached_at = None  # late only while it is the agents' to answer
        self._raise_state(ConversationChanged)
        return Success(None)

    def _set_assignee(self, agent_id: str) -> None:
        if self.assignee_id != agent_id:
            self.assignee_id = agent_id
            self._raise_state(ConversationChanged)

    def collect_facts(self) -> list[Fact]:
        """The facts raised since the last collection, each state fact with the current state."""
        facts = [
            f(self.association_id, self._copy()) if isinstance(f, type) else f
            for f in self.pending_facts
        ]
        self.pending_facts = []
        return facts

    def _copy(self) -> Conversation:
        return dataclasses.replace(self)  # without the pending facts: they are not state

    def _raise_state(self, kind: _StateFact) -> None:
        """One pending state fact of each kind: subscribers want the latest state, not each
        step."""
        if kind not in self.pending_facts:
            self.pending_facts.append(kind)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
