"""What each route takes and answers, for ``/openapi.json``: one entry per method and path.

The route table (``app.py``) says which routes exist, and the handler's docstring what it does;
this table adds the rest of the contract: query parameters, the request body by media type, the
success status and body. Errors are the same everywhere (``{"error": {"code", "message"}}``
for any 4xx) and are added by ``openapi.py``. A route missing here still appears in the
document, but a test fails until it is described (``tests/integration/test_openapi_document.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wa_crm.domain.model.conversation import Channel
from wa_crm.domain.model.label_catalog import COLOURS
from wa_crm.domain.model.people import AgentRole
from wa_crm.entrypoints.http.openapi_shapes import (
    AGENT_ACCESS,
    AGENTS,
    ALERTS,
    API_TOKEN,
    ASSIGNMENT_CHANGE,
    ASSIGNMENT_SETTINGS_SCHEMA,
    AUDIT_PAGE,
    BOT_CHANGE,
    BOT_SETTINGS_SCHEMA,
    CONNECTION_CHECK,
    CONTACT_CONVERSATIONS,
    CONTACT_DETAILS,
    CONVERSATION,
    CONVERSATION_PAGE,
    DAY,
    ERASURE,
    ERROR,
    FREE_OBJECT,
    IMPORT,
    LABEL,
    LABEL_CATALOG,
    MESSAGE,
    MESSAGE_PAGE,
    NUMBER,
    PASSWORD_CHOICE,
    PRIVACY_CHANGE,
    PRIVACY_SETTINGS_SCHEMA,
    QR,
    REFUSED_WEBHOOKS,
    SESSION,
    SESSION_REPORT,
    STARTED_SESSION,
    STATISTICS,
    STRING,
    TEAM_MEMBER,
    TEST_MESSAGE,
    TIME,
    Schema,
    answer,
    array,
    choice,
    items_of,
    nullable,
    one_of,
    ref,
    request,
)
from wa_crm.entrypoints.http.query_values import MAX_PAGE
from wa_crm.entrypoints.http.strings import LOCALES

JSON = "application/json"
HTML = "text/html"
BINARY: Schema = {"type": "string", "format": "binary"}


@dataclass(frozen=True)
class Query:
    name: str
    schema: Schema
    description: str = ""


@dataclass(frozen=True)
class Operation:
    """``answer``: the success body by media type (empty: no body); ``body``: the request body
    by media type (empty: none); ``upstream``: it asks WAHA, so it answers 502 when WAHA fails;
    ``redirects``: it may answer 303 to another page (HTML forms and pages); ``html_errors``:
    it is a page, whose own 403 and 404 are pages too; ``others``: further answers, as OpenAPI
    writes them."""

    answer: dict[str, Schema] = field(default_factory=dict)
    status: int = 200
    body: dict[str, Schema] = field(default_factory=dict)
    query: tuple[Query, ...] = ()
    upstream: bool = False
    redirects: bool = False
    html_errors: bool = False
    body_optional: bool = False
    others: dict[str, Schema] = field(default_factory=dict)


def answers(
    schema: Schema,
    status: int = 200,
    *,
    body: dict[str, Schema] | None = None,
    query: tuple[Query, ...] = (),
    upstream: bool = False,
    redirects: bool = False,
    others: dict[str, Schema] | None = None,
) -> Operation:
    """An operation whose success answer is JSON."""
    return Operation(
        {JSON: schema}, status, body or {}, query, upstream, redirects, others=others or {}
    )


ASSIST_REFUSALS: dict[str, Schema] = {
    "409": {
        "description": "assist_unavailable: the association's assistant is not an AI model",
        "content": {JSON: {"schema": ERROR}},
    },
    "503": {
        "description": "ai_unavailable: the AI model failed; try again",
        "content": {JSON: {"schema": ERROR}},
    },
}
LIMIT = Query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "page size")
LANG = Query("lang", {"type": "string", "enum": list(LOCALES)}, "the page's language")
PREFIX = "/api/associations/{slug}"
READINESS = answer({"status": choice("ready", "not_ready")})
CANNED_REPLY_FIELDS = dict.fromkeys(("shortcut", "text", "title"), STRING)
TEXT_BODY = {JSON: request({"text": STRING}, required=("text",))}
CSV_UPLOAD = {"text/csv": STRING, "multipart/form-data": request({"file": BINARY})}
KNOWLEDGE_DOCUMENT_BODY = {
    JSON: request({"title": STRING, "text": STRING}, required=("title", "text")),
    "multipart/form-data": request({"file": BINARY, "title": STRING}, required=("file",)),
}
PASSAGE = answer({"document_id": STRING, "title": STRING, "text": STRING, "score": NUMBER})

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/healthz"): answers(answer({"status": STRING})),
    ("GET", "/readyz"): answers(
        READINESS,
        others={
            "503": {
                "description": "Not ready: the database is unreachable",
                "content": {JSON: {"schema": READINESS}},
            }
        },
    ),
    ("GET", "/metrics"): Operation(answer={"text/plain": STRING}),
    ("POST", "/api/webhooks/whatsapp"): answers(
        answer({"status": STRING, "detail": nullable(STRING)}, optional=("detail",)),
        body={JSON: FREE_OBJECT},
    ),
    ("POST", "/login"): answers(
        answer(
            {
                "agent": answer({"id": STRING, "name": STRING}),
                "association": STRING,
                "csrf": STRING,
            }
        ),
        body={
            mime: request({name: STRING for name in ("association", "email", "password")})
            for mime in (JSON, "application/x-www-form-urlencoded")
        },
        redirects=True,
    ),
    ("POST", "/logout"): answers(answer({"status": STRING})),
    ("GET", f"{PREFIX}/conversations"): answers(
        CONVERSATION_PAGE,
        query=(
            Query("status", STRING, "comma-separated: bot, pending, human, resolved"),
            Query("channel", one_of(Channel)),
            Query("assignee", STRING, "me, none or an agent id"),
            Query("q", STRING, "a contact's or patient's name, a phone, or words of a message"),
            Query("label", STRING),
            Query("snoozed", choice("false", "true", "any")),
            Query("urgent", choice("any", "true", "false"), "true: the pinned emergencies"),
            Query(
                "since", STRING, "last activity from: a day (in the association's zone) or a time"
            ),
            Query("until", STRING, "last activity before: a day or a time"),
            Query("sort", choice("newest", "waiting"), "waiting: waiting longest first"),
            Query("cursor", STRING, "next_cursor of the previous page"),
            LIMIT,
        ),
    ),
    ("GET", f"{PREFIX}/conversations/{{id}}"): answers(CONVERSATION),
    ("GET", f"{PREFIX}/conversations/{{id}}/messages"): answers(
        MESSAGE_PAGE, query=(Query("before", TIME, "next_before of the previous page"), LIMIT)
    ),
    ("POST", f"{PREFIX}/conversations/{{id}}/messages"): answers(
        MESSAGE,
        status=201,
        body={
            JSON: request({"text": STRING, "reply_to": nullable(STRING)}, required=("text",)),
            "multipart/form-data": request({"file": BINARY, "caption": STRING}, ("file",)),
        },
    ),
    ("POST", f"{PREFIX}/conversations/{{id}}/claim"): answers(CONVERSATION),
    ("POST", f"{PREFIX}/conversations/{{id}}/release"): answers(CONVERSATION),
    ("POST", f"{PREFIX}/conversations/{{id}}/resolve"): answers(CONVERSATION),
    ("POST", f"{PREFIX}/conversations/{{id}}/read"): answers(CONVERSATION, upstream=True),
    ("POST", f"{PREFIX}/conversations/{{id}}/assign"): answers(
        CONVERSATION, body={JSON: request({"agent_id": STRING}, required=("agent_id",))}
    ),
    ("POST", f"{PREFIX}/conversations/{{id}}/typing"): answers(
        answer({"state": choice("start", "stop")}),
        body={JSON: request({"state": choice("start", "stop")}, required=("state",))},
        upstream=True,
    ),
    ("POST", f"{PREFIX}/conversations/{{id}}/messages/{{message_id}}/reaction"): answers(
        MESSAGE,
        body={JSON: request({"emoji": STRING}, required=("emoji",))},
        upstream=True,
    ),
    ("GET", f"{PREFIX}/conversations/{{id}}/notes"): answers(items_of(ref("Note"))),
    ("POST", f"{PREFIX}/conversations/{{id}}/notes"): answers(
        ref("Note"), status=201, body=TEXT_BODY
    ),
    ("POST", f"{PREFIX}/conversations/{{id}}/suggest-reply"): answers(
        answer({"text": STRING, "sources": array(STRING)}), others=ASSIST_REFUSALS
    ),
    ("POST", f"{PREFIX}/conversations/{{id}}/summary"): answers(
        ref("Note"), status=201, others=ASSIST_REFUSALS
    ),
    ("PUT", f"{PREFIX}/conversations/{{id}}/labels"): answers(
        CONVERSATION, body={JSON: request({"labels": array(STRING)}, required=("labels",))}
    ),
    ("POST", f"{PREFIX}/conversations/{{id}}/snooze"): answers(
        CONVERSATION, body={JSON: request({"until": nullable(TIME)}, required=("until",))}
    ),
    ("GET", f"{PREFIX}/contacts/{{id}}"): answers(CONTACT_DETAILS),
    ("GET", f"{PREFIX}/contacts/{{id}}/conversations"): answers(
        CONTACT_CONVERSATIONS,
        query=(Query("cursor", STRING, "next_cursor of the previous page"), LIMIT),
    ),
    ("GET", f"{PREFIX}/contacts/{{id}}/export"): Operation(answer={"application/zip": BINARY}),
    ("POST", f"{PREFIX}/contacts/{{id}}/erase"): answers(
        ERASURE, body={JSON: request({"confirm_name": STRING}, required=("confirm_name",))}
    ),
    ("GET", f"{PREFIX}/media/{{id}}"): Operation(answer={"*/*": BINARY}),
    ("GET", f"{PREFIX}/dead-letters"): answers(items_of(MESSAGE), query=(LIMIT,)),
    ("POST", f"{PREFIX}/dead-letters/{{id}}/retry"): answers(MESSAGE),
    ("POST", f"{PREFIX}/patients/import"): answers(IMPORT, status=202, body=CSV_UPLOAD),
    ("POST", f"{PREFIX}/orders/import"): answers(IMPORT, status=202, body=CSV_UPLOAD),
    ("GET", f"{PREFIX}/imports"): answers(items_of(IMPORT), query=(LIMIT,)),
    ("GET", f"{PREFIX}/imports/{{id}}"): answers(IMPORT),
    ("GET", f"{PREFIX}/canned-replies"): answers(
        items_of(ref("CannedReply")), query=(Query("q", STRING), LIMIT)
    ),
    ("POST", f"{PREFIX}/canned-replies"): answers(
        ref("CannedReply"),
        status=201,
        body={JSON: request(CANNED_REPLY_FIELDS, required=("shortcut", "text"))},
    ),
    ("PUT", f"{PREFIX}/canned-replies/{{id}}"): answers(
        ref("CannedReply"),
        body={JSON: request(CANNED_REPLY_FIELDS)},
    ),
    ("DELETE", f"{PREFIX}/canned-replies/{{id}}"): answers(answer({"deleted": STRING})),
    ("POST", f"{PREFIX}/canned-replies/{{id}}/render"): answers(
        answer({"text": STRING}),
        body={JSON: request({"conversation_id": STRING}, required=("conversation_id",))},
    ),
    ("GET", f"{PREFIX}/labels"): answers(LABEL_CATALOG),
    ("POST", f"{PREFIX}/labels"): answers(
        LABEL,
        status=201,
        body={JSON: request({"name": STRING, "colour": choice(*COLOURS)}, required=("name",))},
    ),
    ("PUT", f"{PREFIX}/labels/{{name}}"): answers(
        LABEL, body={JSON: request({"name": STRING, "colour": choice(*COLOURS)})}
    ),
    ("DELETE", f"{PREFIX}/labels/{{name}}"): answers(
        answer({"deleted": STRING, "conversations": {"type": "integer"}})
    ),
    ("GET", f"{PREFIX}/knowledge/search"): answers(
        items_of(PASSAGE),
        query=(
            Query("q", STRING, "the question, 1 to 500 characters"),
            Query("limit", {"type": "integer", "minimum": 1, "maximum": 20}, "at most"),
        ),
    ),
    ("GET", f"{PREFIX}/knowledge/documents"): answers(items_of(ref("KnowledgeDocument"))),
    ("POST", f"{PREFIX}/knowledge/documents"): answers(
        ref("KnowledgeDocument"), status=201, body=KNOWLEDGE_DOCUMENT_BODY
    ),
    ("PUT", f"{PREFIX}/knowledge/documents/{{id}}"): answers(
        ref("KnowledgeDocument"), body=KNOWLEDGE_DOCUMENT_BODY
    ),
    ("DELETE", f"{PREFIX}/knowledge/documents/{{id}}"): answers(answer({"deleted": STRING})),
    ("GET", f"{PREFIX}/knowledge/unanswered"): answers(
        items_of(
            answer(
                {
                    "id": STRING,
                    "text": STRING,
                    "conversation_id": nullable(STRING),
                    "first_asked_at": TIME,
                    "last_asked_at": TIME,
                    "times_asked": {"type": "integer"},
                }
            )
        )
    ),
    ("POST", f"{PREFIX}/knowledge/unanswered/{{id}}/answer"): answers(
        ref("KnowledgeDocument"),
        status=201,
        body={JSON: request({"answer": STRING}, required=("answer",))},
    ),
    ("POST", f"{PREFIX}/knowledge/try"): answers(
        answer(
            {
                "answer": STRING,
                "action": choice("none", "handoff", "objective_complete"),
                "reason": STRING,
                "sources": array(STRING),
                "passages": array(PASSAGE),
            }
        ),
        body={JSON: request({"question": STRING}, required=("question",))},
        others={
            "503": {
                "description": "ai_unavailable: the assistant failed; try again",
                "content": {JSON: {"schema": ERROR}},
            }
        },
    ),
    ("GET", f"{PREFIX}/whatsapp"): answers(ref("WhatsAppSettings")),
    ("PUT", f"{PREFIX}/whatsapp"): answers(
        ref("WhatsAppSettings"),
        body={
            JSON: request(
                {
                    **dict.fromkeys(("base_url", "session", "api_key", "webhook_secret"), STRING),
                    **dict.fromkeys(("messages_per_second", "chat_gap_seconds"), NUMBER),
                }
            )
        },
    ),
    ("POST", f"{PREFIX}/whatsapp/test"): Operation(
        answer={JSON: CONNECTION_CHECK},
        body={JSON: request(dict.fromkeys(("base_url", "session", "api_key"), STRING))},
        body_optional=True,
        upstream=True,
    ),
    ("POST", f"{PREFIX}/whatsapp/session/start"): answers(STARTED_SESSION, upstream=True),
    ("GET", f"{PREFIX}/whatsapp/qr"): Operation(
        answer={JSON: QR, "image/png": BINARY},
        query=(Query("format", choice("png"), "png: the QR image itself"),),
        upstream=True,
    ),
    ("GET", f"{PREFIX}/whatsapp/status"): answers(SESSION_REPORT),
    ("POST", f"{PREFIX}/whatsapp/logout"): answers(SESSION, upstream=True),
    ("POST", f"{PREFIX}/whatsapp/test-message"): answers(
        TEST_MESSAGE,
        status=201,
        body={JSON: request({"phone": STRING, "text": STRING}, required=("phone",))},
        upstream=True,
    ),
    ("GET", f"{PREFIX}/bot"): answers(BOT_SETTINGS_SCHEMA),
    ("PUT", f"{PREFIX}/bot"): answers(BOT_SETTINGS_SCHEMA, body={JSON: BOT_CHANGE}),
    ("GET", f"{PREFIX}/assignment"): answers(ASSIGNMENT_SETTINGS_SCHEMA),
    ("PUT", f"{PREFIX}/assignment"): answers(
        ASSIGNMENT_SETTINGS_SCHEMA, body={JSON: ASSIGNMENT_CHANGE}
    ),
    ("GET", f"{PREFIX}/privacy"): answers(PRIVACY_SETTINGS_SCHEMA),
    ("PUT", f"{PREFIX}/privacy"): answers(PRIVACY_SETTINGS_SCHEMA, body={JSON: PRIVACY_CHANGE}),
    ("GET", f"{PREFIX}/stats"): answers(
        STATISTICS,
        query=(
            Query("from", DAY),
            Query("to", DAY),
            Query("tz", STRING, "an IANA time zone; default the association's (see the reports)"),
        ),
    ),
    ("GET", f"{PREFIX}/alerts"): answers(ALERTS, query=(LIMIT,)),
    ("GET", f"{PREFIX}/webhooks/refused"): answers(REFUSED_WEBHOOKS),
    ("GET", f"{PREFIX}/agents"): answers(AGENTS),
    ("GET", f"{PREFIX}/agents/{{id}}/tokens"): answers(items_of(API_TOKEN)),
    ("POST", f"{PREFIX}/agents/{{id}}/tokens"): answers(
        {**API_TOKEN, "properties": {**API_TOKEN["properties"], "token": STRING}},
        status=201,
        body={
            JSON: request(
                {
                    "name": STRING,
                    "expires_in_days": nullable({"type": "integer", "minimum": 1}),
                }
            )
        },
    ),
    ("DELETE", f"{PREFIX}/agents/{{id}}/tokens/{{token_id}}"): answers(
        answer({"revoked": {"type": "integer"}})
    ),
    ("POST", f"{PREFIX}/agents"): answers(
        TEAM_MEMBER,
        status=201,
        body={
            JSON: request(
                {
                    "email": STRING,
                    "name": STRING,
                    "role": one_of(AgentRole),
                    **PASSWORD_CHOICE,
                },
                required=("email",),
            )
        },
    ),
    ("PUT", f"{PREFIX}/agents/{{id}}"): answers(
        AGENT_ACCESS, body={JSON: request({"role": one_of(AgentRole), "name": STRING})}
    ),
    ("POST", f"{PREFIX}/agents/{{id}}/password"): answers(
        TEAM_MEMBER, body={JSON: request(PASSWORD_CHOICE)}
    ),
    ("POST", f"{PREFIX}/agents/{{id}}/disable"): answers(AGENT_ACCESS),
    ("POST", f"{PREFIX}/agents/{{id}}/enable"): answers(AGENT_ACCESS),
    ("POST", f"{PREFIX}/me/password"): answers(
        answer({"status": STRING}),
        body={
            JSON: request(
                {"current_password": STRING, "new_password": STRING},
                required=("current_password", "new_password"),
            )
        },
    ),
    ("GET", f"{PREFIX}/audit"): answers(
        AUDIT_PAGE,
        query=(
            Query("from", TIME, "inclusive"),
            Query("to", TIME, "exclusive"),
            Query("actor", STRING, "an agent id, or system"),
            Query("cursor", STRING, "next_cursor of the previous page"),
            LIMIT,
        ),
    ),
    ("GET", f"{PREFIX}/events"): Operation(
        answer={"text/event-stream": STRING},
        query=(Query("last_event_id", STRING, "resume after this event"),),
    ),
    ("GET", "/openapi.json"): answers(FREE_OBJECT),
    ("GET", "/"): Operation(redirects=True, query=(LANG,)),
    ("GET", "/login"): Operation(
        answer={HTML: STRING},
        query=(
            LANG,
            Query("next", STRING, "a dashboard path to go to after signing in"),
            Query("association", STRING),
            Query("error", STRING, "why the last attempt failed"),
        ),
    ),
    ("GET", "/manifest.webmanifest"): Operation(
        answer={"application/manifest+json": FREE_OBJECT}, query=(LANG,)
    ),
    ("GET", "/sw.js"): Operation(answer={"text/javascript": STRING}),
    ("GET", "/offline"): Operation(answer={HTML: STRING}),
    ("GET", "/dashboard/{slug}"): Operation(redirects=True, query=(LANG,)),
    **{
        ("GET", f"/dashboard/{{slug}}/{page}"): Operation(
            answer={HTML: STRING}, query=(LANG,), redirects=True, html_errors=True
        )
        for page in (
            "inbox",
            "settings",
            "settings/whatsapp",
            "settings/bot",
            "settings/assignment",
            "settings/privacy",
            "settings/labels",
            "settings/canned-replies",
            "monitoring",
            "team",
            "knowledge",
        )
    },
}
