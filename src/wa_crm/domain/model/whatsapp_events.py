"""What the WhatsApp gateway reports, already translated from its wire format by its adapter
(``adapters/waha/webhooks``): messages, acks, revokes, edits, reactions, presence and session
status, each wrapped in an ``IncomingEvent`` for the inbound use case (``usecases/inbound/ingest``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wa_crm.domain.model.message import Media, MessageStatus, MessageType


@dataclass(frozen=True)
class InboundMessage:
    """A WhatsApp message; ``chat_id`` is the other side (the contact), also for our own."""

    external_id: str
    chat_id: str
    from_me: bool
    type: MessageType
    body: str
    timestamp: datetime
    sent_through_api: bool = False
    push_name: str = ""
    media: Media | None = None
    reply_to: str | None = None
    """The id of the quoted message as WAHA gives it (engines differ: ``quote_candidates``)."""
    quote_candidates: tuple[str, ...] = ()
    """The ids the quoted message may be stored under."""
    quoted_body: str | None = None
    """The quoted text as WAHA gives it: kept when the quoted message is not ours to read."""


@dataclass(frozen=True)
class DeliveryAck:
    external_id: str
    status: MessageStatus


@dataclass(frozen=True)
class MessageRevoked:
    """``candidates``: the ids the revoked message may be stored under (engines differ)."""

    candidates: tuple[str, ...]


@dataclass(frozen=True)
class MessageEdited:
    candidates: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class MessageReacted:
    """A reaction to the message stored under one of ``candidates``; ``emoji`` "" removes it.
    ``from_me``: the association's number reacted (an agent here, or someone on the phone)."""

    candidates: tuple[str, ...]
    emoji: str
    from_me: bool
    timestamp: datetime


@dataclass(frozen=True)
class ContactPresence:
    chat_id: str
    typing: bool


@dataclass(frozen=True)
class SessionStatusReport:
    status: str
    phone: str | None = None
    reported_at: datetime | None = None
    """When WAHA emitted it: webhooks are not delivered in order."""


WhatsAppEvent = (
    InboundMessage
    | DeliveryAck
    | MessageRevoked
    | MessageEdited
    | MessageReacted
    | ContactPresence
    | SessionStatusReport
)


@dataclass(frozen=True)
class IncomingEvent:
    association_id: str
    event_id: str
    event: WhatsAppEvent
    sent_at: datetime | None = None
    """When WAHA sent it, as WAHA says; None when the event does not say."""
