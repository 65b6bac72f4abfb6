"""Messages and their delivery status, which only ever moves forward."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from wa_crm.domain.model.events import Fact, MessageAdded, MessageChanged
from wa_crm.domain.model.media_refusal import problem_of, size_of


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Author(StrEnum):
    CONTACT = "contact"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class MessageType(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    DOCUMENT = "document"
    AUDIO = "audio"
    VIDEO = "video"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"


class MessageStatus(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    FAILED = "failed"


# Progress of an outbound message. FAILED sits between QUEUED and SENT: a send that failed can
# still be proven delivered by a late ack, but a failure never undoes a send. RECEIVED (inbound)
# is outside the order and never changes.
_PROGRESS: dict[MessageStatus, float] = {
    MessageStatus.QUEUED: 0,
    MessageStatus.FAILED: 0.5,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.READ: 3,
    MessageStatus.PLAYED: 4,
}


# Why an outbound message was ``failed`` on purpose, never tried: a person took the conversation
# over from the bot, or the contact opted out. They are not delivery failures: no dead letter,
# no alert, no count in the statistics, and nothing for an admin to send again.
SUPERSEDED = "not sent: a person took the conversation over"
OPTED_OUT = "not sent: the contact opted out"
WITHHELD_REASONS = frozenset({SUPERSEDED, OPTED_OUT})


UNTRANSCRIBABLE = ""
"""A voice note's transcript when none could be had: the transcriber refused it or gave up, or
its file could not be fetched. Distinct from None, "not transcribed yet"."""


# A send in flight or done whose WhatsApp id may still arrive with WAHA's ``message.any`` echo.
AWAITING_ID_STATUSES = frozenset({MessageStatus.QUEUED, MessageStatus.SENT})


def early_ack_key(external_id: str) -> str:
    """What an ack that came before its message's id is kept under: a digest, never the id.
    WhatsApp ids name their chat (``true_5511988887777@c.us_3EB0…``), and an ack may come
    after its contact was erased, so the id in clear would keep the number; the digest cannot
    give it back without the id's random part."""
    return "sha256:" + hashlib.sha256(external_id.encode()).hexdigest()


def status_progress(status: MessageStatus) -> float | None:
    """Where a status stands in the outbound order; None for inbound ``received``."""
    return _PROGRESS.get(status)


def can_advance(current: MessageStatus, new: MessageStatus) -> bool:
    """True when ``new`` is strictly further along than ``current``."""
    before, after = _PROGRESS.get(current), _PROGRESS.get(new)
    return before is not None and after is not None and after > before


@dataclass(frozen=True)
class Media:
    url: str | None
    mimetype: str
    filename: str | None = None
    size: int | None = None
    checksum: str | None = None
    stored: bool = False
    """True once the file is in our media store (``url`` is then the store key)."""
    error: str | None = None
    """Why the file was not kept, when it was not: a ``media_refusal.MediaProblem`` code."""


@dataclass(frozen=True)
class Reaction:
    """One side's reaction to a message: WhatsApp keeps one per person, and the association's
    number is one person however many agents use it. ``emoji`` "" is a removed reaction."""

    emoji: str
    from_me: bool
    at: datetime


_KEYCAP_BASES = frozenset("0123456789#*")
MAX_REACTION_LENGTH = 16
"""An emoji with its modifiers (skin tone, joiners: a family is seven code points) fits."""


def reaction_problem(emoji: str) -> str | None:
    """Why ``emoji`` cannot be a reaction, or None; "" (a removal) is fine."""
    if len(emoji) > MAX_REACTION_LENGTH:
        return f"a reaction is one emoji (at most {MAX_REACTION_LENGTH} characters)"
    # ASCII only as a keycap's base (1️⃣, #️⃣, *️⃣); letters, spaces and controls are text.
    if any((char.isascii() and char not in _KEYCAP_BASES) or char.isspace() for char in emoji):
        return "a reaction is one emoji, not text"
    return None


@dataclass
class Message:
    id: str
    association_id: str
    conversation_id: str
    direction: Direction
    author: Author
    type: MessageType
    body: str
    status: MessageStatus
    created_at: datetime
    external_id: str | None = None
    agent_id: str | None = None
    media: Media | None = None
    reply_to: str | None = None
    """The WhatsApp id of the message this one quotes."""
    quoted_body: str | None = None
    """The quoted message's text when this one was stored: the quoted message itself may be
    older than our history, or deleted since."""
    error: str | None = None
    send_started_at: datetime | None = None
    """When its first send began: from then on the message may be on WhatsApp, whatever that
    send's outcome, so a later attempt looks for it before sending it again."""
    transcript: str | None = None
    """What a voice note says, once transcribed; what the assistant reads in its place. ""
    when it could not be transcribed (``UNTRANSCRIBABLE``); None before any attempt."""
    pending_facts: list[Fact] = field(default_factory=list, init=False, repr=False, compare=False)
    """Facts raised and not yet collected that carry more than the state (reactions)."""
    changed: bool = field(default=False, init=False, repr=False, compare=False)
    """Something agents see changed since the last collection: one ``MessageChanged``, made
    with the state at collection, however many changes there were."""

    def begin_sending(self, at: datetime, fixed_id: str | None) -> None:
        """The first send begins; ``fixed_id`` is the WhatsApp id fixed for it beforehand, when
        the engine allows it (acks and WAHA's echo then find the message at once). Later sends
        change nothing."""
        if self.send_started_at is not None:
            return
        self.send_started_at = at
        if fixed_id:
            self.external_id = fixed_id

    def advance(self, new: MessageStatus, error: str | None = None) -> bool:
        """Move the delivery status forward; an older or equal status changes nothing."""
        if not can_advance(self.status, new):
            return False
        self.status = new
        self.error = error if new is MessageStatus.FAILED else None
        self.changed = True
        return True

    @property
    def is_dead_letter(self) -> bool:
        """An outbound message that could not be delivered (not one withheld on purpose)."""
        return (
            self.direction is Direction.OUT
            and self.status is MessageStatus.FAILED
            and self.error not in WITHHELD_REASONS
        )

    def requeue(self) -> bool:
        """An admin's retry of a dead letter: the only way back to ``queued``."""
        if not self.is_dead_letter:
            return False
        self.status, self.error = MessageStatus.QUEUED, None
        self.changed = True
        return True

    def match_echo(self, external_id: str) -> None:
        """WhatsApp's echo of a send whose id we did not have: the id, and at least sent."""
        self.external_id = external_id
        self.advance(MessageStatus.SENT)
        self.changed = True

    def revoke(self) -> None:
        self.body, self.media, self.type = "", None, MessageType.OTHER
        self.error = "revoked"
        self.changed = True

    def edit(self, body: str) -> None:
        self.body = body
        self.changed = True

    def transcribe(self, transcript: str) -> None:
        """What the voice note says is known, or ``UNTRANSCRIBABLE``; agents see it live."""
        self.transcript = transcript
        self.changed = True

    def store_media(self, media: Media) -> None:
        """What is known of its file changed (fetched, stored, failed)."""
        self.media = media
        self.changed = True

    def show_reactions(self, reactions: tuple[Reaction, ...]) -> None:
        """Its reactions changed; ``reactions`` are all of them now."""
        self.pending_facts.append(MessageChanged(self.association_id, self._copy(), reactions))

    def facts_when_added(self) -> list[Fact]:
        self.changed = False
        return [MessageAdded(self.association_id, self._copy()), *self.collect_facts()]

    def collect_facts(self) -> list[Fact]:
        facts = self.pending_facts
        if self.changed:
            facts = [MessageChanged(self.association_id, self._copy()), *facts]
        self.pending_facts, self.changed = [], False
        return facts

    def _copy(self) -> Message:
        return dataclasses.replace(self)  # without the pending facts: they are not state

    def snapshot(self) -> dict[str, Any]:
        """The public shape of the message, as the API and events show it."""
        media = self.media
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "external_id": self.external_id,
            "direction": self.direction.value,
            "author": self.author.value,
            "agent_id": self.agent_id,
            "type": self.type.value,
            "body": self.body,
            "media": None
            if media is None
            else {
                "url": media.url,
                "mimetype": media.mimetype,
                "filename": media.filename,
                "size": size_of(media.size, media.error),
                "stored": media.stored,
                "error": media.error,
                "error_code": problem_of(media.error),
            },
            "reply_to": self.reply_to,
            "quoted_body": self.quoted_body,
            "transcript": self.transcript,
            "status": self.status.value,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
        }
