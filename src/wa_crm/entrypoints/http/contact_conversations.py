"""A contact's conversations (issue 18, "a contact's history"): the contact panel lists the
earlier ones and opens them read-only through ``GET conversations/{id}`` and its messages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.domain.model.audit import AuditAction
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.errors import error_response
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests
from wa_crm.entrypoints.http.inbox_list import decode_cursor, encode_cursor, list_row
from wa_crm.entrypoints.http.query_values import page_limit
from wa_crm.ports.queries import InboxCursor

PREFIX = "/api/associations/{slug}"


@agent_route(audit=AuditAction.CONVERSATION_LISTED, target="contact")
@handles_bad_requests
async def list_contact_conversations(request: Request, caller: Caller) -> Response:
    """The contact's conversations, newest first (by creation), each with its last message;
    cursor pagination."""
    raw = request.query_params.get("cursor")
    cursor = decode_cursor(raw) if raw else None
    limit = page_limit(request)
    history = (
        await container_of(request)
        .queries()
        .inbox.contact_history(
            caller.association_id,
            request.path_params["id"],
            (cursor.at, cursor.id) if cursor else None,
            limit,
        )
    )
    if history is None:
        return error_response(404, "unknown_contact", "no such contact")
    page = history.conversations
    note_audit(request, conversation_ids=[c.id for c in page])
    last = page[-1] if len(page) == limit else None
    return JSONResponse(
        {
            "items": [
                list_row(c, history.contact, history.last_messages.get(c.id), None) for c in page
            ],
            "next_cursor": encode_cursor(InboxCursor(last.created_at, last.id)) if last else None,
        }
    )


routes = [
    Route(f"{PREFIX}/contacts/{{id}}/conversations", list_contact_conversations, methods=["GET"]),
]
