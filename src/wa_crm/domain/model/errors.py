"""Expected failures of the domain, returned as values inside ``returns.result.Failure``.

::

    DomainError
    ├── InvalidInput                 bad data from outside (HTTP 400/422, CLI exit 2)
    │   ├── InvalidPhone
    │   ├── InvalidChatId
    │   ├── InvalidSlug
    │   ├── InvalidCredentials       (HTTP 401)
    │   │   └── AgentDisabled        the right password of an agent an admin disabled
    │   ├── NotConfirmed             an irreversible action without its typed confirmation
    │   ├── InvalidKnowledge         a knowledge title, text, question or limit out of bounds
    │   ├── UnreadableFile           an uploaded document whose text cannot be read
    │   ├── WeakPassword             a password the rules refuse (too short)
    │   └── UnsupportedFileType      bytes of no type we send (HTTP 415)
    ├── NotFound                     (HTTP 404)
    │   ├── UnknownAssociation
    │   ├── UnknownConversation
    │   ├── UnknownAgent
    │   ├── UnknownMessage
    │   ├── UnknownCannedReply
    │   ├── UnknownContact
    │   ├── UnknownToken
    │   ├── UnknownJob
    │   ├── UnknownDocument          no such knowledge document
    │   ├── UnknownQuestion          no such open unanswered question
    │   └── UnknownLabel             no such label in the association's catalog
    └── Conflict                     (HTTP 409)
        ├── InvalidTransition        a conversation event the status machine does not allow
        ├── ConversationTaken        another agent already holds the conversation
        ├── AlreadyExists
        ├── LastAdmin                the change would leave the association without an active admin
        ├── MessageNotFailed         only dead letters can be sent again
        ├── JobNotDead               only dead jobs can be retried
        ├── NotConfigured            the WhatsApp connection is not set up yet
        ├── SessionNotWorking        the WhatsApp session is not linked / running
        ├── SessionTaken             the WAHA server and session belong to another association
        ├── CoreNeedsDefaultSession  WAHA Core runs one session, named default
        ├── ContactOptedOut          the contact asked for no messages (architecture.md section 11)
        └── AssistUnavailable        the agents' assistant needs a model the association lacks
    UpstreamError                    (HTTP 502)
    ├── WhatsAppServerError          WAHA failed a request an admin made
    └── AIUnavailable                (HTTP 503) the model failed an agent's request

Errors state facts; the edge (HTTP, CLI) maps their family to a status code, and shows
``code`` and ``message``. Infrastructure faults and bugs are exceptions, never these.
``field`` (keyword only) names the input at fault when there is one, so the HTTP edge can say
which field a person must correct, in their language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class DomainError:
    """Base of every expected failure; ``code`` is stable, ``message`` is for people."""

    message: str
    field: str | None = field(default=None, kw_only=True)
    code: ClassVar[str] = "domain_error"

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class InvalidInput(DomainError):
    code: ClassVar[str] = "invalid_input"


@dataclass(frozen=True)
class InvalidPhone(InvalidInput):
    code: ClassVar[str] = "invalid_phone"


@dataclass(frozen=True)
class InvalidChatId(InvalidInput):
    code: ClassVar[str] = "invalid_chat_id"


@dataclass(frozen=True)
class InvalidSlug(InvalidInput):
    code: ClassVar[str] = "invalid_slug"


@dataclass(frozen=True)
class InvalidCredentials(InvalidInput):
    code: ClassVar[str] = "invalid_credentials"


@dataclass(frozen=True)
class UnsupportedFileType(InvalidInput):
    code: ClassVar[str] = "unsupported_file_type"


@dataclass(frozen=True)
class AgentDisabled(InvalidCredentials):
    code: ClassVar[str] = "agent_disabled"


@dataclass(frozen=True)
class NotConfirmed(InvalidInput):
    code: ClassVar[str] = "not_confirmed"


@dataclass(frozen=True)
class InvalidKnowledge(InvalidInput):
    code: ClassVar[str] = "invalid_knowledge"


@dataclass(frozen=True)
class UnreadableFile(InvalidInput):
    code: ClassVar[str] = "unreadable_file"


@dataclass(frozen=True)
class WeakPassword(InvalidInput):
    code: ClassVar[str] = "weak_password"


@dataclass(frozen=True)
class NotFound(DomainError):
    code: ClassVar[str] = "not_found"


@dataclass(frozen=True)
class UnknownAssociation(NotFound):
    code: ClassVar[str] = "unknown_association"


@dataclass(frozen=True)
class UnknownConversation(NotFound):
    code: ClassVar[str] = "unknown_conversation"


@dataclass(frozen=True)
class UnknownAgent(NotFound):
    code: ClassVar[str] = "unknown_agent"


@dataclass(frozen=True)
class UnknownMessage(NotFound):
    code: ClassVar[str] = "unknown_message"


@dataclass(frozen=True)
class UnknownContact(NotFound):
    code: ClassVar[str] = "unknown_contact"


@dataclass(frozen=True)
class UnknownToken(NotFound):
    code: ClassVar[str] = "unknown_token"


@dataclass(frozen=True)
class UnknownCannedReply(NotFound):
    code: ClassVar[str] = "unknown_canned_reply"


@dataclass(frozen=True)
class UnknownJob(NotFound):
    code: ClassVar[str] = "unknown_job"


@dataclass(frozen=True)
class UnknownDocument(NotFound):
    code: ClassVar[str] = "unknown_document"


@dataclass(frozen=True)
class UnknownQuestion(NotFound):
    code: ClassVar[str] = "unknown_question"


@dataclass(frozen=True)
class UnknownLabel(NotFound):
    code: ClassVar[str] = "unknown_label"


@dataclass(frozen=True)
class Conflict(DomainError):
    code: ClassVar[str] = "conflict"


@dataclass(frozen=True)
class InvalidTransition(Conflict):
    code: ClassVar[str] = "invalid_transition"


@dataclass(frozen=True)
class ConversationTaken(Conflict):
    code: ClassVar[str] = "conversation_taken"


@dataclass(frozen=True)
class AlreadyExists(Conflict):
    code: ClassVar[str] = "already_exists"


@dataclass(frozen=True)
class LastAdmin(Conflict):
    code: ClassVar[str] = "last_admin"


@dataclass(frozen=True)
class JobNotDead(Conflict):
    code: ClassVar[str] = "job_not_dead"


@dataclass(frozen=True)
class MessageNotFailed(Conflict):
    code: ClassVar[str] = "message_not_failed"


@dataclass(frozen=True)
class NotConfigured(Conflict):
    code: ClassVar[str] = "not_configured"


@dataclass(frozen=True)
class SessionNotWorking(Conflict):
    code: ClassVar[str] = "session_not_working"


@dataclass(frozen=True)
class SessionTaken(Conflict):
    """Never names the other association: its admin is not this one's."""

    code: ClassVar[str] = "session_taken"


@dataclass(frozen=True)
class CoreNeedsDefaultSession(Conflict):
    """WAHA Core refuses every session name but ``default`` (WAHA's ``manager.core.ts``)."""

    message: str = (
        "WAHA Core runs one session, named default: use default, or WAHA Plus for several "
        "numbers on one server (or one Core server per association)."
    )
    code: ClassVar[str] = "core_needs_default_session"


@dataclass(frozen=True)
class ContactOptedOut(Conflict):
    code: ClassVar[str] = "contact_opted_out"


@dataclass(frozen=True)
class AssistUnavailable(Conflict):
    """The association's assistant is the local ``rules`` provider (or a model this server
    has no key for): it cannot draft replies or summaries."""

    code: ClassVar[str] = "assist_unavailable"


@dataclass(frozen=True)
class UpstreamError(DomainError):
    """A system we depend on failed a request made on a person's behalf (shown, not retried)."""

    code: ClassVar[str] = "upstream_error"


@dataclass(frozen=True)
class WhatsAppServerError(UpstreamError):
    code: ClassVar[str] = "waha_error"


@dataclass(frozen=True)
class AIUnavailable(UpstreamError):
    """The association's model failed (or answered nothing); the agent may try again."""

    code: ClassVar[str] = "ai_unavailable"
