"""The audit log: who did what to which conversation, contact or setting, and when.

Entries are appended and never changed; no route edits or deletes them. They name people by
agent id and things by id, never by phone number, name or message text, so an erasure leaves
nothing personal behind in the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class AuditAction(StrEnum):
    CONVERSATION_VIEWED = "conversation.viewed"
    CONVERSATION_LISTED = "conversation.listed"
    CONVERSATION_CLAIMED = "conversation.claimed"
    CONVERSATION_RELEASED = "conversation.released"
    CONVERSATION_RESOLVED = "conversation.resolved"
    CONVERSATION_ASSIGNED = "conversation.assigned"
    CONVERSATION_READ = "conversation.read"
    CONVERSATION_TYPING = "conversation.typing"
    CONVERSATION_LABELLED = "conversation.labelled"
    CONVERSATION_SNOOZED = "conversation.snoozed"
    NOTE_ADDED = "note.added"
    NOTES_LISTED = "notes.listed"
    REPLY_SUGGESTED = "reply.suggested"
    CONVERSATION_SUMMARIZED = "conversation.summarized"
    MESSAGES_LISTED = "messages.listed"
    MESSAGE_SENT = "message.sent"
    MESSAGE_REACTED = "message.reacted"
    MEDIA_VIEWED = "media.viewed"
    CONTACT_VIEWED = "contact.viewed"
    CONTACT_EXPORTED = "contact.exported"
    CONTACT_ERASED = "contact.erased"
    CONTACT_OPTED_OUT = "contact.opted_out"
    CONTACT_OPTED_IN = "contact.opted_in"
    SETTINGS_CHANGED = "settings.changed"
    SESSION_CHANGED = "session.changed"
    CONNECTION_TESTED = "whatsapp.connection_tested"
    TEST_MESSAGE_SENT = "whatsapp.test_message_sent"
    EVENTS_SUBSCRIBED = "events.subscribed"
    DEAD_LETTERS_LISTED = "dead_letter.listed"
    DEAD_LETTER_RETRIED = "dead_letter.retried"
    PATIENTS_IMPORTED = "patients.imported"
    ORDERS_IMPORTED = "orders.imported"
    IMPORTS_LISTED = "imports.listed"
    IMPORT_VIEWED = "import.viewed"
    CANNED_REPLY_CREATED = "canned_reply.created"
    CANNED_REPLY_UPDATED = "canned_reply.updated"
    CANNED_REPLY_DELETED = "canned_reply.deleted"
    CANNED_REPLY_RENDERED = "canned_reply.rendered"
    LABEL_CREATED = "label.created"
    LABEL_UPDATED = "label.updated"
    LABEL_DELETED = "label.deleted"
    KNOWLEDGE_DOCUMENT_ADDED = "knowledge.document_added"
    KNOWLEDGE_DOCUMENT_REPLACED = "knowledge.document_replaced"
    KNOWLEDGE_DOCUMENT_REMOVED = "knowledge.document_removed"
    UNANSWERED_LISTED = "unanswered.listed"
    UNANSWERED_ANSWERED = "unanswered.answered"
    QUESTION_TRIED = "knowledge.question_tried"
    MESSAGES_PURGED = "messages.purged"
    TOKEN_ISSUED = "token.issued"
    TOKEN_REVOKED = "token.revoked"
    AGENT_CREATED = "agent.created"
    AGENT_UPDATED = "agent.updated"
    AGENT_PASSWORD_RESET = "agent.password_reset"
    AGENT_DISABLED = "agent.disabled"
    AGENT_ENABLED = "agent.enabled"
    PASSWORD_CHANGED = "password.changed"


SYSTEM_ACTOR = "system"
"""The actor of what wa_crm does on its own (retention purge) or on a contact's word (opt-out)."""


@dataclass(frozen=True)
class AuditEntry:
    association_id: str
    actor: str
    """An agent id, ``system``, or ``contact:<id>`` for what a contact asked by message."""
    action: AuditAction
    target_type: str
    target_id: str
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    """Ids and counts only: no phone numbers, names or message text."""
