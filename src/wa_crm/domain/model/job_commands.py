"""What each durable job asks for: one frozen dataclass per job kind, its fields typed.

A command's ``kind`` is the string stored in the jobs table. Never change one: rows queued by an
older release would find no handler. A field named ``association_id`` is stored in the job's own
column, not in its payload; every other field is a payload entry (under its name, or under
``field(metadata={STORED_AS: ...})`` where the stored name cannot be a field's). How commands
are stored and read back is ``job_codec``'s business.

``traced`` says whether the job carries the correlation id of what scheduled it (the webhook
event behind a bot turn, say). The jobs that run on a period, or that reschedule themselves, keep
their own: they would otherwise carry one old event's id forever.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

STORED_AS = "stored_as"
"""Field metadata: the payload key a field is stored under, when it is not the field's name."""


@dataclass(frozen=True)
class JobCommand:
    kind: ClassVar[str]
    traced: ClassVar[bool] = True


@dataclass(frozen=True)
class ResolveLid(JobCommand):
    """Find the phone number behind a contact known only by its WhatsApp LID."""

    kind: ClassVar[str] = "resolve_lid"
    association_id: str
    contact_id: str


@dataclass(frozen=True)
class BotTurn(JobCommand):
    """Let the bot answer what the contact said since its last turn (debounced by key)."""

    kind: ClassVar[str] = "bot_turn"
    association_id: str
    conversation_id: str


@dataclass(frozen=True)
class Deliver(JobCommand):
    """Send the conversation's queued messages to WhatsApp, oldest first."""

    kind: ClassVar[str] = "deliver"
    association_id: str
    conversation_id: str


@dataclass(frozen=True)
class FetchMedia(JobCommand):
    """Download an inbound message's attachment from WAHA into the media store."""

    kind: ClassVar[str] = "fetch_media"
    association_id: str
    message_id: str


@dataclass(frozen=True)
class TranscribeVoiceNote(JobCommand):
    """Turn a stored inbound voice note into text for the assistant and the agents."""

    kind: ClassVar[str] = "transcribe_voice_note"
    association_id: str
    message_id: str


@dataclass(frozen=True)
class ImportRows(JobCommand):
    """Work through an uploaded registry file, a slice at a time."""

    kind: ClassVar[str] = "import_rows"
    traced: ClassVar[bool] = False
    association_id: str
    import_id: str


@dataclass(frozen=True)
class PollSession(JobCommand):
    """Ask WAHA for the session's state (periodic)."""

    kind: ClassVar[str] = "poll_session"
    traced: ClassVar[bool] = False
    association_id: str


@dataclass(frozen=True)
class ConfirmSessionDown(JobCommand):
    """Alert when a session that left WORKING at ``since`` has still not come back."""

    kind: ClassVar[str] = "check_session_down"
    traced: ClassVar[bool] = False
    association_id: str
    since: datetime


@dataclass(frozen=True)
class AlertOperators(JobCommand):
    """Tell the operators about an alert through the alert sink."""

    kind: ClassVar[str] = "send_alert"
    association_id: str
    alert_kind: str = field(metadata={STORED_AS: "kind"})
    message: str


@dataclass(frozen=True)
class PurgeExpired(JobCommand):
    """Delete what the association's retention period has expired (periodic)."""

    kind: ClassVar[str] = "purge_expired"
    traced: ClassVar[bool] = False
    association_id: str


@dataclass(frozen=True)
class PruneEventIds(JobCommand):
    """Forget processed webhook event ids too old to be replayed (periodic, service-wide)."""

    kind: ClassVar[str] = "prune_event_ids"
    traced: ClassVar[bool] = False


@dataclass(frozen=True)
class WakeConversation(JobCommand):
    """Bring a snoozed conversation back to the inbox when its snooze ends."""

    kind: ClassVar[str] = "wake_snoozed"
    association_id: str
    conversation_id: str


@dataclass(frozen=True)
class AssignmentPass(JobCommand):
    """Route the association's waiting conversations to online agents; ``conversation_id`` is
    the conversation whose wait asked for the pass, if one did (kept for the record)."""

    kind: ClassVar[str] = "assign"
    association_id: str
    conversation_id: str | None = None


@dataclass(frozen=True)
class AssignmentCheck(JobCommand):
    """Requeue what offline agents hold and run a pass (periodic while assignment is on)."""

    kind: ClassVar[str] = "assignment_check"
    traced: ClassVar[bool] = False
    association_id: str


@dataclass(frozen=True)
class PruneSessions(JobCommand):
    """Delete the association's expired browser sessions (periodic)."""

    kind: ClassVar[str] = "prune_sessions"
    traced: ClassVar[bool] = False
    association_id: str


@dataclass(frozen=True)
class CloseInactive(JobCommand):
    """Resolve the association's bot conversations whose contact stopped writing (periodic)."""

    kind: ClassVar[str] = "close_inactive"
    traced: ClassVar[bool] = False
    association_id: str


@dataclass(frozen=True)
class CheckFirstResponse(JobCommand):
    """Mark late the waiting conversations no agent answered in time, with an alert (periodic)."""

    kind: ClassVar[str] = "check_first_response"
    traced: ClassVar[bool] = False
    association_id: str
