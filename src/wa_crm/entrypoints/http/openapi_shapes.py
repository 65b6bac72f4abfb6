"""The JSON shapes of the HTTP contract as JSON Schema, for ``/openapi.json``.

They mirror the views that produce them (``views.py``, the handlers' small renderers, the
domain's ``snapshot()``); enums come from the domain's own enums and the settings from their
codecs, so those cannot drift. Responses list every field as required, so a renamed or dropped
field fails the fuzz test (``tests/security/test_openapi_fuzz.py``); extra fields are allowed,
as clients must ignore what they do not know.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from wa_crm.adapters.sql.settings_json import (
    ASSIGNMENT_SETTINGS,
    BOT_SETTINGS,
    PRIVACY_SETTINGS,
    SettingsJson,
)
from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.conversation import Channel, ConversationStatus, HandoffReason
from wa_crm.domain.model.media_refusal import MediaProblem
from wa_crm.domain.model.message import Author, Direction, MessageStatus, MessageType
from wa_crm.domain.model.people import AgentRole, ContactKind, PatientStatus
from wa_crm.entrypoints.http.errors import REASONS
from wa_crm.ports.whatsapp import SessionStatus

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
DAY: Schema = {"type": "string", "format": "date"}
FREE_OBJECT: Schema = {"type": "object"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def one_of(kind: type[StrEnum]) -> Schema:
    return {"type": "string", "enum": [member.value for member in kind]}


def choice(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def answer(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    """A response object: every property required except ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }


def request(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    """A request object that refuses fields it does not know (the handlers do too)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def items_of(item: Schema, **more: Schema) -> Schema:
    return answer({"items": array(item), **more})


def _settings(codec: SettingsJson[Any]) -> tuple[Schema, dict[str, Schema]]:
    """A settings object as its codec reads and writes it, with its nested definitions."""
    schema = codec.json_schema(ref_template="#/components/schemas/{model}")
    return schema, schema.pop("$defs", {})


def _change_of(settings: Schema) -> Schema:
    """A partial change of a settings object: any of its fields, no others."""
    return request(settings["properties"])


_BOT, _BOT_DEFS = _settings(BOT_SETTINGS)
_PRIVACY, _PRIVACY_DEFS = _settings(PRIVACY_SETTINGS)
_ASSIGNMENT, _ASSIGNMENT_DEFS = _settings(ASSIGNMENT_SETTINGS)

COMPONENTS: dict[str, Schema] = {
    **_BOT_DEFS,
    **_PRIVACY_DEFS,
    **_ASSIGNMENT_DEFS,
    "Error": answer(
        {
            "error": answer(
                {
                    "code": STRING,
                    "message": STRING,
                    "field": STRING,
                    "reason": {"type": "string", "enum": list(REASONS)},
                    "params": {
                        "type": "object",
                        "additionalProperties": {"type": ["string", "number"]},
                    },
                },
                optional=("field", "reason", "params"),
            )
        }
    ),
    "Contact": answer(
        {
            "id": STRING,
            "display_name": STRING,
            "phone": nullable(STRING),
            "wa_chat_id": STRING,
            "kind": one_of(ContactKind),
            "patient_id": nullable(STRING),
            "fields": FREE_OBJECT,
            "opted_out_at": nullable(TIME),
            "opt_out_source": nullable(STRING),
        }
    ),
    "Conversation": answer(
        {
            "id": STRING,
            "association_id": STRING,
            "contact_id": STRING,
            "channel": one_of(Channel),
            "session": nullable(STRING),
            "status": one_of(ConversationStatus),
            "assignee_id": nullable(STRING),
            "handoff_reason": nullable(one_of(HandoffReason)),
            "handoff_note": nullable(
                answer({"reason": one_of(HandoffReason), "summary": STRING, "fields": FREE_OBJECT})
            ),
            "bot_turns": INTEGER,
            "last_message_id": nullable(STRING),
            "last_message_at": nullable(TIME),
            "unread_count": INTEGER,
            "created_at": nullable(TIME),
            "resolved_at": nullable(TIME),
            "labels": array(STRING),
            "rating": nullable(INTEGER),
            "rating_requested_at": nullable(TIME),
            "rated_at": nullable(TIME),
            "snoozed_until": nullable(TIME),
            "urgent": BOOLEAN,
            "sla_breached": BOOLEAN,
            "sla_breached_at": nullable(TIME),
            "waiting_since": nullable(TIME),
            "previous_conversation_id": nullable(STRING),
            "contact": nullable(ref("Contact")),
            "contact_opted_out": BOOLEAN,
        },
        # An action's answer carries no contact; the contact's own page lists bare snapshots.
        optional=("contact", "contact_opted_out"),
    ),
    "Message": answer(
        {
            "id": STRING,
            "conversation_id": STRING,
            "external_id": nullable(STRING),
            "direction": one_of(Direction),
            "author": one_of(Author),
            "agent_id": nullable(STRING),
            "type": one_of(MessageType),
            "body": nullable(STRING),
            "media": nullable(
                answer(
                    {
                        "url": nullable(STRING),
                        "mimetype": nullable(STRING),
                        "filename": nullable(STRING),
                        "size": nullable(INTEGER),
                        "stored": BOOLEAN,
                        "error": nullable(STRING),
                        "error_code": nullable(one_of(MediaProblem)),
                    }
                )
            ),
            "reply_to": nullable(STRING),
            "quoted_body": nullable(STRING),
            "transcript": nullable(STRING),
            "status": one_of(MessageStatus),
            "error": nullable(STRING),
            "created_at": TIME,
            "reactions": array(answer({"emoji": STRING, "from_me": BOOLEAN, "at": TIME})),
        },
        # Lists and reaction changes carry the reactions; other answers and events do not.
        optional=("reactions",),
    ),
    "Patient": answer(
        {
            "id": STRING,
            "full_name": STRING,
            "status": one_of(PatientStatus),
            "phones": array(STRING),
            "profile": FREE_OBJECT,
            "orders": array(
                answer(
                    {
                        "id": STRING,
                        "date": DAY,
                        "items": {},
                        "total": STRING,
                        "status": nullable(STRING),
                    }
                )
            ),
        }
    ),
    "CannedReply": answer(
        {
            "id": STRING,
            "shortcut": STRING,
            "title": STRING,
            "text": STRING,
            "created_at": TIME,
            "updated_at": TIME,
        }
    ),
    "KnowledgeDocument": answer(
        {
            "id": STRING,
            "title": STRING,
            "kind": choice("document", "faq"),
            "chunks": INTEGER,
            "filename": nullable(STRING),
            "created_at": TIME,
            "updated_at": TIME,
        }
    ),
    "Note": answer(
        {
            "id": STRING,
            "conversation_id": STRING,
            "agent_id": STRING,
            "agent_name": nullable(STRING),
            "text": STRING,
            "created_at": TIME,
        }
    ),
    "Session": answer(
        {
            "status": one_of(SessionStatus),
            "phone": nullable(STRING),
            "push_name": nullable(STRING),
        }
    ),
    "WhatsAppSettings": answer(
        {
            "base_url": STRING,
            "session": STRING,
            "api_key_set": BOOLEAN,
            "webhook_secret_set": BOOLEAN,
            "phone": nullable(STRING),
            "messages_per_second": NUMBER,
            "chat_gap_seconds": NUMBER,
            "webhook_url": STRING,
        }
    ),
    "BotSettings": _BOT,
    "PrivacySettings": _PRIVACY,
    "AssignmentSettings": _ASSIGNMENT,
}

ERROR = ref("Error")
CONVERSATION = ref("Conversation")
MESSAGE = ref("Message")
SESSION = ref("Session")

# A row of the inbox list and of a contact's conversations: the conversation with its last
# message and, for a search that found it by a message's words, that message.
CONVERSATION_ROW = {
    "allOf": [
        CONVERSATION,
        answer(
            {
                "last_message": nullable(
                    answer(
                        {
                            "id": STRING,
                            "author": one_of(Author),
                            "agent_id": nullable(STRING),
                            "author_name": nullable(STRING),
                            "type": one_of(MessageType),
                            "preview": STRING,
                            "at": TIME,
                        }
                    )
                ),
                "match": nullable(answer({"message_id": STRING, "preview": STRING, "at": TIME})),
            }
        ),
    ]
}
CONVERSATION_PAGE = items_of(
    CONVERSATION_ROW,
    next_cursor=nullable(STRING),
    counts={"type": "object", "additionalProperties": INTEGER},
)
CONTACT_CONVERSATIONS = items_of(CONVERSATION_ROW, next_cursor=nullable(STRING))
MESSAGE_PAGE = items_of(MESSAGE, next_before=nullable(TIME))
CONTACT_DETAILS = answer(
    {
        "contact": ref("Contact"),
        "patient": nullable(ref("Patient")),
        "conversations": array(CONVERSATION),
    }
)
IMPORT = answer(
    {
        "id": STRING,
        "kind": choice("patients", "orders"),
        "status": choice("queued", "running", "done", "failed"),
        "rows_done": INTEGER,
        "imported": INTEGER,
        "bad_rows": INTEGER,
        "errors": array(answer({"line": INTEGER, "reason": STRING})),
        "error": nullable(STRING),
        "created_by": STRING,
        "created_at": TIME,
        "updated_at": TIME,
        "finished_at": nullable(TIME),
    }
)
CONNECTION_CHECK = answer(
    {
        "ok": BOOLEAN,
        "code": STRING,
        "message": STRING,
        "status": nullable(STRING),
        "phone": nullable(STRING),
        "version": nullable(STRING),
        "needed_version": nullable(STRING),
    }
)
STARTED_SESSION = {"allOf": [SESSION, answer({"webhook_url": STRING})]}
QR = {"allOf": [SESSION, answer({"qr": nullable(STRING), "image": nullable(STRING)})]}
SESSION_REPORT = answer(
    {
        "status": nullable(one_of(SessionStatus)),
        "phone": nullable(STRING),
        "push_name": nullable(STRING),
        "circuit": STRING,
        "error": nullable(answer({"code": STRING, "message": STRING})),
        "history": array(answer({"status": STRING, "at": TIME})),
    }
)
TEST_MESSAGE = answer({"to": STRING, "external_id": nullable(STRING)})
ERASURE = answer(
    {
        "contact_id": STRING,
        "messages": INTEGER,
        "media_files": INTEGER,
        "conversations": INTEGER,
        "patients": INTEGER,
        "notes": INTEGER,
        "unanswered_questions": INTEGER,
    }
)
STATISTICS = answer(
    {
        "from": DAY,
        "to": DAY,
        "timezone": STRING,
        "messages_by_day": array(answer({"day": DAY, "inbound": INTEGER, "outbound": INTEGER})),
        "answered": answer({"by_bot_only": INTEGER, "by_humans": INTEGER}),
        "handoffs_by_reason": {"type": "object", "additionalProperties": INTEGER},
        "first_response": answer(
            {"answered": INTEGER, "waiting": INTEGER, "median_seconds": nullable(NUMBER)}
        ),
        "delivery_failures": INTEGER,
        "labels": {"type": "object", "additionalProperties": INTEGER},
        "satisfaction": answer(
            {
                "ratings": INTEGER,
                "average": nullable(NUMBER),
            }
        ),
        "by_agent": array(
            answer(
                {
                    "agent_id": STRING,
                    "name": STRING,
                    "handled": INTEGER,
                    "first_response_median_seconds": nullable(NUMBER),
                    "resolution_median_seconds": nullable(NUMBER),
                    "csat_average": nullable(NUMBER),
                    "csat_count": INTEGER,
                    "messages_sent": INTEGER,
                }
            )
        ),
        "resolution": answer(
            {
                "resolved": INTEGER,
                "median_seconds": nullable(NUMBER),
                "p90_seconds": nullable(NUMBER),
            }
        ),
    }
)
_REFUSALS = answer(
    {"total": INTEGER, "by_reason": {"type": "object", "additionalProperties": INTEGER}}
)
REFUSED_WEBHOOKS = answer({"association": _REFUSALS, "service": _REFUSALS})
ALERTS = items_of(answer({"kind": STRING, "message": STRING, "at": TIME}))
AGENTS = items_of(
    answer(
        {
            "id": STRING,
            "name": STRING,
            "role": one_of(AgentRole),
            "online": BOOLEAN,
            "disabled": BOOLEAN,
            "email": STRING,
        },
        optional=("email",),
    )
)
API_TOKEN = answer(
    {
        "id": STRING,
        "name": STRING,
        "created_at": TIME,
        "expires_at": nullable(TIME),
        "last_used_at": nullable(TIME),
    }
)
AGENT_ACCESS = answer(
    {"id": STRING, "name": STRING, "role": one_of(AgentRole), "disabled_at": nullable(TIME)}
)
TEAM_MEMBER = answer(
    {
        **AGENT_ACCESS["properties"],
        "email": STRING,
        "generated_password": nullable(STRING),
    }
)
PASSWORD_CHOICE = {"password": STRING, "generate": BOOLEAN}
LABEL = answer({"name": STRING, "colour": STRING, "conversations": INTEGER})
LABEL_CATALOG = items_of(
    LABEL,
    palette=array(answer({"name": STRING, "colour": STRING})),
    default_colour=STRING,
)
AUDIT_PAGE = items_of(
    answer(
        {
            "actor": STRING,
            "actor_name": nullable(STRING),
            "action": one_of(AuditAction),
            "read": BOOLEAN,
            "target_type": STRING,
            "target_id": nullable(STRING),
            "target_name": nullable(STRING),
            "at": TIME,
            "details": nullable(FREE_OBJECT),
        }
    ),
    next_cursor=nullable(STRING),
)

BOT_CHANGE = _change_of(_BOT)
PRIVACY_CHANGE = _change_of(_PRIVACY)
ASSIGNMENT_CHANGE = _change_of(_ASSIGNMENT)
BOT_SETTINGS_SCHEMA = ref("BotSettings")
PRIVACY_SETTINGS_SCHEMA = ref("PrivacySettings")
ASSIGNMENT_SETTINGS_SCHEMA = ref("AssignmentSettings")
