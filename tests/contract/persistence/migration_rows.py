"""Rows of every table, as the service wrote them, for the migration tests.

One row set for the whole history: a database at revision R gets the rows of the tables R has,
each cut to the columns R has (so a row written at 0003 has no ``privacy_settings``, which 0004
adds with a default). Values are raw column values, as the code of that revision stored them:
secrets encrypted, enums as their strings, settings as JSON objects, times in UTC.
"""

from __future__ import annotations

from array import array
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from wa_crm.domain.model.waha_server import server_key
from wa_crm.ports.system import SecretCipher

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
"""When the rows were written: whole hours, so rollups and statistics see them in one hour."""

ASSOCIATION = "assoc-1"
NEWER_ASSOCIATION = "assoc-2"  # created after ASSOCIATION, not connected to WhatsApp yet
WAHA_URL = "http://waha.example:3000"
AGENT = "agent-1"
TOKEN_HASH = "a" * 16 + "b" * 48
CONTACT = "contact-1"
CONVERSATION = "conv-1"
MESSAGE_IN = "msg-in"
MESSAGE_OUT = "msg-out"


def rows(cipher: SecretCipher) -> dict[str, list[dict[str, Any]]]:
    """Every table of head, with every column it has now; cut to a revision by the caller."""
    later = T + timedelta(minutes=5)
    return {
        "associations": [
            {
                "id": ASSOCIATION,
                "slug": "amparo",
                "name": "Amparo",
                "locale": "pt-BR",
                "waha_base_url": WAHA_URL,
                "waha_api_key": cipher.encrypt("waha-key"),
                "waha_session": "default",
                "waha_server": server_key(WAHA_URL),
                "webhook_secret": cipher.encrypt("webhook-secret"),
                "whatsapp_phone": "5511987654321",
                "whatsapp_rate_per_second": 1.5,
                "whatsapp_chat_gap_seconds": 0.5,
                "bot_settings": {"enabled": False, "handoff_keywords": ["atendente"]},
                "privacy_settings": {"retention_days": 400},
                "assignment_settings": {"enabled": True, "max_open_per_agent": 4},
                "created_at": T,
            },
            {
                "id": NEWER_ASSOCIATION,
                "slug": "esperanca",
                "name": "Esperança",
                "locale": "en",
                "waha_base_url": "",
                "waha_api_key": cipher.encrypt(""),
                "waha_session": "default",
                "waha_server": "",
                "webhook_secret": cipher.encrypt("other-secret"),
                "whatsapp_phone": None,
                "whatsapp_rate_per_second": 2.0,
                "whatsapp_chat_gap_seconds": 1.0,
                "bot_settings": {},
                "privacy_settings": {},
                "assignment_settings": {},
                "created_at": later,
            },
        ],
        "agents": [
            {
                "id": AGENT,
                "association_id": ASSOCIATION,
                "email": "ana@amparo.org",
                "name": "Ana",
                "role": "admin",
                "password_hash": "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
                "created_at": T,
                "disabled_at": None,
            }
        ],
        "api_tokens": [
            {
                "token_hash": TOKEN_HASH,
                "id": TOKEN_HASH[:16],
                "agent_id": AGENT,
                "name": "integration",
                "created_at": T,
                "expires_at": None,
                "last_used_at": later,
            }
        ],
        "browser_sessions": [
            {
                "id_hash": "session-hash",
                "association_id": ASSOCIATION,
                "agent_id": AGENT,
                "created_at": T,
                "expires_at": T + timedelta(days=30),
            }
        ],
        "patients": [
            {
                "association_id": ASSOCIATION,
                "id": "patient-1",
                "full_name": "Maria Souza",
                "status": "active",
                "profile": {"diagnosis": "epilepsy"},
                "search_name": "maria souza",
            }
        ],
        "patient_phones": [
            {
                "association_id": ASSOCIATION,
                "patient_id": "patient-1",
                "phone": "5511987654321",
                "position": 0,
            }
        ],
        "orders": [
            {
                "association_id": ASSOCIATION,
                "id": "order-1",
                "patient_id": "patient-1",
                "date": date(2026, 11, 2),
                "items": "CBD oil 30 ml",
                "total": Decimal("249.90"),
                "status": "delivered",
            }
        ],
        "contacts": [
            {
                "id": CONTACT,
                "association_id": ASSOCIATION,
                "wa_chat_id": "5511987654321@c.us",
                "phone": "5511987654321",
                "lid": None,
                "display_name": "Maria",
                "kind": "member",
                "patient_id": "patient-1",
                "fields": {"city": "Campinas"},
                "created_at": T,
                "opted_out_at": later,
                "opt_out_source": "keyword",
                "search_name": "maria",
                "search_phone": "5511987654321",
            }
        ],
        "conversations": [
            {
                "id": CONVERSATION,
                "association_id": ASSOCIATION,
                "contact_id": CONTACT,
                "channel": "whatsapp",
                "session": "default",
                "status": "human",
                "assignee_id": AGENT,
                "handoff_reason": "keyword",
                "handoff_note": {"reason": "keyword", "summary": "asks for a person", "fields": {}},
                "bot_turns": 2,
                "last_message_id": MESSAGE_OUT,
                "last_message_at": later,
                "unread_count": 1,
                "created_at": T,
                "resolved_at": None,
                "updated_at": later,
                "labels": ["urgent"],
                "rating": 5,
                "rating_requested_at": later,
                "rated_at": later,
                "snoozed_until": T + timedelta(days=1),
                "previous_conversation_id": None,
                "waiting_since": None,
            }
        ],
        "messages": [
            {
                "id": MESSAGE_IN,
                "association_id": ASSOCIATION,
                "conversation_id": CONVERSATION,
                "external_id": "false_5511987654321@c.us_AAA",
                "direction": "in",
                "author": "contact",
                "agent_id": None,
                "type": "image",
                "body": "a prescription",
                "media": {"url": "media/abc", "mimetype": "image/jpeg", "stored": True},
                "reply_to": None,
                "quoted_body": None,
                "status": "received",
                "error": None,
                "created_at": T,
                "send_started_at": None,
            },
            {
                "id": MESSAGE_OUT,
                "association_id": ASSOCIATION,
                "conversation_id": CONVERSATION,
                "external_id": "true_5511987654321@c.us_BBB",
                "direction": "out",
                "author": "agent",
                "agent_id": AGENT,
                "type": "text",
                "body": "Recebido, obrigada!",
                "media": None,
                "reply_to": MESSAGE_IN,
                "quoted_body": "a prescription",
                "status": "read",
                "error": None,
                "created_at": later,
                "send_started_at": later,
            },
        ],
        "message_terms": [
            {
                "id": 1,
                "message_id": MESSAGE_OUT,
                "association_id": ASSOCIATION,
                "conversation_id": CONVERSATION,
                "terms": "receb",
            }
        ],
        "message_reactions": [
            {
                "message_id": MESSAGE_OUT,
                "from_me": False,
                "association_id": ASSOCIATION,
                "emoji": "🙏",
                "reacted_at": later,
            }
        ],
        "jobs": [
            {
                "id": "job-1",
                "kind": "deliver",
                "key": f"deliver:{CONVERSATION}",
                "association_id": ASSOCIATION,
                "payload": {"association_id": ASSOCIATION, "conversation_id": CONVERSATION},
                "status": "pending",
                "run_after": later,
                "attempts": 1,
                "max_attempts": 8,
                "version": 3,
                "last_error": "WAHA timed out",
                "locked_by": None,
                "locked_until": None,
                "created_at": T,
                "updated_at": later,
            }
        ],
        "processed_events": [
            {"association_id": ASSOCIATION, "event_id": "evt-1", "processed_at": T},
        ],
        "pending_acks": [
            {
                "association_id": ASSOCIATION,
                "external_id": "true_5511987654321@c.us_CCC",
                "status": "delivered",
                "received_at": later,
            }
        ],
        "send_slots": [{"key": f"{ASSOCIATION}:5511987654321", "next_at": later}],
        "session_events": [
            {"id": 1, "association_id": ASSOCIATION, "status": "WORKING", "at": T},
        ],
        "handoffs": [
            {
                "id": 1,
                "association_id": ASSOCIATION,
                "conversation_id": CONVERSATION,
                "reason": "keyword",
                "at": T,
                "answered_at": later,
            }
        ],
        "alerts": [
            {
                "id": 1,
                "association_id": ASSOCIATION,
                "kind": "session_down",
                "message": "WhatsApp session stopped",
                "at": T,
            }
        ],
        "webhook_refusals": [
            {"scope": ASSOCIATION, "reason": "bad_signature", "minute": T, "count": 3},
        ],
        "audit_log": [
            {
                "id": 1,
                "association_id": ASSOCIATION,
                "actor": AGENT,
                "action": "conversation.viewed",
                "target_type": "conversation",
                "target_id": CONVERSATION,
                "at": T,
                "details": {"via": "inbox"},
            }
        ],
        "message_rollups": [
            {
                "association_id": ASSOCIATION,
                "hour": T - timedelta(days=1),
                "conversation_id": "conv-purged",
                "inbound": 4,
                "outbound": 3,
                "bot": 2,
                "agent": 1,
                "failed": 0,
            }
        ],
        "canned_replies": [
            {
                "id": "reply-1",
                "association_id": ASSOCIATION,
                "shortcut": "hours",
                "title": "Opening hours",
                "text": "We answer from 9 to 18.",
                "created_at": T,
                "updated_at": later,
            }
        ],
        "conversation_notes": [
            {
                "id": "note-1",
                "association_id": ASSOCIATION,
                "conversation_id": CONVERSATION,
                "agent_id": AGENT,
                "text": "Call back on Monday",
                "created_at": later,
            }
        ],
        "agent_presence": [
            {
                "association_id": ASSOCIATION,
                "agent_id": AGENT,
                "last_seen_at": later,
                "left_at": None,
                "last_assigned_at": T,
            }
        ],
        "imports": [
            {
                "id": "import-1",
                "association_id": ASSOCIATION,
                "kind": "patients",
                "status": "done",
                "file_key": "imports/import-1.csv",
                "rows_done": 10,
                "imported": 9,
                "bad_rows": 1,
                "errors": [{"line": 4, "reason": "no phone"}],
                "error": None,
                "created_by": AGENT,
                "created_at": T,
                "updated_at": later,
                "finished_at": later,
                "file_offset": 512,
                "lines_read": 11,
            }
        ],
        "labels": [
            {"association_id": ASSOCIATION, "name": "urgent", "colour": "#d64545", "created_at": T}
        ],
        "knowledge_documents": [
            {
                "id": "doc-1",
                "association_id": ASSOCIATION,
                "title": "Entregas",
                "kind": "document",
                "text": "As entregas são às terças e quintas.",
                "filename": "entregas.md",
                "chunks": 1,
                "created_at": T,
                "updated_at": later,
            }
        ],
        "knowledge_passages": [
            {
                "id": 1,
                "document_id": "doc-1",
                "association_id": ASSOCIATION,
                "position": 0,
                "text": "As entregas são às terças e quintas.",
                "terms": "entreg entreg terc quint",  # knowledge_text.search_terms, title first
                "embedding": array("f", [0.6, 0.8]).tobytes(),  # little-endian float32
            }
        ],
        "knowledge_unanswered": [
            {
                "id": "question-1",
                "association_id": ASSOCIATION,
                "question_key": "aceitam pix",
                "text": "Aceitam Pix?",
                "conversation_id": CONVERSATION,
                "first_asked_at": T,
                "last_asked_at": later,
                "times_asked": 2,
                "answered_by": None,
            }
        ],
    }
