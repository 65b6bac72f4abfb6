"""The inbox tools of the agent API under ``/api/associations/{slug}/``: canned replies, private
notes, labels and snooze (architecture.md section 7).

Every agent reads canned replies and renders them for a conversation; only admins write them,
since they speak for the whole association. The satisfaction survey is part of the assistant's
settings (``PUT bot`` with ``satisfaction_survey``); its results are in ``GET stats``.
"""

from __future__ import annotations

from typing import Any

from returns.pipeline import is_successful
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.canned_reply import CannedReplyDraft
from wa_crm.domain.model.labels import normalize_label
from wa_crm.domain.usecases.inbox.agent_actions import AgentRequest
from wa_crm.domain.usecases.inbox.canned_replies import CannedReplyChanges
from wa_crm.domain.usecases.inbox.notes import AuthoredNote
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.errors import BadRequest
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.json_input import json_body
from wa_crm.entrypoints.http.query_values import moment, page_limit
from wa_crm.entrypoints.http.views import conversation_view

PREFIX = "/api/associations/{slug}"
_REPLY_FIELDS = ("shortcut", "text", "title")
_SNOOZED = {"false": False, "true": True, "any": None}


def label_filter(params: QueryParams) -> str | None:
    """The inbox list's ``label`` parameter, normalized as labels are stored."""
    raw = params.get("label")
    if not raw:
        return None
    label = normalize_label(raw)
    if not is_successful(label):
        raise BadRequest(label.failure().message, field="label", reason="invalid_format")
    return label.unwrap()


def urgent_filter(params: QueryParams) -> bool | None:
    """The inbox list's ``urgent``: true (only urgent conversations, pinned above the list),
    false (the others) or any (default)."""
    raw = params.get("urgent") or "any"
    if raw not in _SNOOZED:
        raise BadRequest("urgent must be true, false or any", field="urgent", reason="not_allowed")
    return _SNOOZED[raw]


def snoozed_filter(params: QueryParams) -> bool | None:
    """The inbox list's ``snoozed``: false (default, the conversations not snoozed), true (only
    snoozed ones) or any."""
    raw = params.get("snoozed") or "false"
    if raw not in _SNOOZED:
        raise BadRequest(
            "snoozed must be true, false or any", field="snoozed", reason="not_allowed"
        )
    return _SNOOZED[raw]


def _text_fields(body: dict[str, Any], required: tuple[str, ...]) -> dict[str, str]:
    unknown = sorted(set(body) - set(_REPLY_FIELDS))
    if unknown:
        raise BadRequest(
            f"unknown fields: {', '.join(unknown)}", field=unknown[0][:40], reason="not_allowed"
        )
    for name in required:
        if name not in body:
            raise BadRequest(f"`{name}` is required", field=name, reason="required")
    for name, value in body.items():
        if not isinstance(value, str):
            raise BadRequest(f"`{name}` must be a string", field=name, reason="wrong_type")
    return body


@agent_route()
@handles_bad_requests
async def list_canned_replies(request: Request, caller: Caller) -> Response:
    """Canned replies by shortcut; `q` keeps those whose shortcut, title or text contains it
    (the composer's `/` menu)."""
    replies = container_of(request).canned_replies()
    found = await replies.search(
        caller.association_id, request.query_params.get("q", "")[:100], page_limit(request)
    )
    return JSONResponse({"items": [reply.snapshot() for reply in found]})


@agent_route(admin=True, audit=AuditAction.CANNED_REPLY_CREATED)
@handles_bad_requests
async def create_canned_reply(request: Request, caller: Caller) -> Response:
    """Add a canned reply: `{"shortcut", "text", "title"?}`; the text may use the placeholders
    {first_name} and {agent_name} (admins)."""
    fields = _text_fields(await json_body(request), required=("shortcut", "text"))
    replies = container_of(request).canned_replies()
    result = await replies.create(caller.association_id, CannedReplyDraft(**fields))
    if is_successful(result):
        note_audit(request, canned_reply_id=result.unwrap().id)
    return respond(result, lambda reply: reply.snapshot(), status=201)


@agent_route(admin=True, audit=AuditAction.CANNED_REPLY_UPDATED, target="canned_reply")
@handles_bad_requests
async def update_canned_reply(request: Request, caller: Caller) -> Response:
    """Change any of shortcut, text, title; absent fields keep their value (admins)."""
    fields = _text_fields(await json_body(request), required=())
    replies = container_of(request).canned_replies()
    changes = CannedReplyChanges(**fields)
    result = await replies.update(caller.association_id, request.path_params["id"], changes)
    return respond(result, lambda reply: reply.snapshot())


@agent_route(admin=True, audit=AuditAction.CANNED_REPLY_DELETED, target="canned_reply")
async def delete_canned_reply(request: Request, caller: Caller) -> Response:
    """Remove a canned reply (admins)."""
    replies = container_of(request).canned_replies()
    result = await replies.delete(caller.association_id, request.path_params["id"])
    return respond(result, lambda _: {"deleted": request.path_params["id"]})


@agent_route(audit=AuditAction.CANNED_REPLY_RENDERED, target="canned_reply")
@handles_bad_requests
async def render_canned_reply(request: Request, caller: Caller) -> Response:
    """The reply's text for a conversation, placeholders filled: `{"conversation_id"}`; the
    agent sends it (perhaps edited) as an ordinary message."""
    conversation_id = (await json_body(request)).get("conversation_id")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise BadRequest(
            "`conversation_id` must be a conversation's id",
            field="conversation_id",
            reason="required",
        )
    replies = container_of(request).canned_replies()
    result = await replies.render(
        caller.association_id, request.path_params["id"], conversation_id, caller.agent.id
    )
    note_audit(request, conversation_id=conversation_id)
    return respond(result, lambda text: {"text": text})


def _note_view(authored: AuthoredNote) -> dict[str, Any]:
    note, agent_name = authored
    return note.snapshot(agent_name)


@agent_route(audit=AuditAction.NOTES_LISTED, target="conversation")
async def list_notes(request: Request, caller: Caller) -> Response:
    """The conversation's private notes, oldest first (never sent to the contact)."""
    notes = container_of(request).notes()
    result = await notes.list(caller.association_id, request.path_params["id"])
    if is_successful(result):
        note_audit(request, notes=len(result.unwrap()))
    return respond(result, lambda notes: {"items": [_note_view(note) for note in notes]})


@agent_route(audit=AuditAction.NOTE_ADDED, target="conversation")
@handles_bad_requests
async def add_note(request: Request, caller: Caller) -> Response:
    """Write a private note on the conversation: `{"text"}`; agents only see it, WhatsApp never
    does."""
    text = (await json_body(request)).get("text")
    if not isinstance(text, str):
        raise BadRequest("`text` must be a string", field="text", reason="wrong_type")
    notes = container_of(request).notes()
    result = await notes.add(
        caller.association_id, request.path_params["id"], caller.agent.id, text
    )
    if is_successful(result):
        note_audit(request, note_id=result.unwrap()[0].id)
    return respond(result, _note_view, status=201)


def _request(request: Request, caller: Caller) -> AgentRequest:
    return AgentRequest(caller.association_id, request.path_params["id"], caller.agent.id)


@agent_route(audit=AuditAction.CONVERSATION_LABELLED, target="conversation")
@handles_bad_requests
async def set_labels(request: Request, caller: Caller) -> Response:
    """Replace the conversation's labels: `{"labels": [...]}` (lowercased, at most 10, each 1-32
    letters, digits, spaces, `_` or `-`)."""
    labels = (await json_body(request)).get("labels")
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise BadRequest("`labels` must be a list of strings", field="labels", reason="wrong_type")
    result = await container_of(request).agent_actions().label(_request(request, caller), labels)
    note_audit(request, labels=len(labels))
    return respond(result, lambda conversation: conversation_view(conversation, None))


@agent_route(audit=AuditAction.CONVERSATION_SNOOZED, target="conversation")
@handles_bad_requests
async def snooze(request: Request, caller: Caller) -> Response:
    """Hide the conversation from the default lists until a time: `{"until"}` (ISO 8601 with a
    time zone, at most 30 days ahead); `{"until": null}` brings it back now."""
    body = await json_body(request)
    if "until" not in body:
        raise BadRequest(
            "`until` is required (a time, or null to end the snooze)",
            field="until",
            reason="required",
        )
    until = None if body["until"] is None else moment(body["until"], "until")
    result = await container_of(request).agent_actions().snooze(_request(request, caller), until)
    return respond(result, lambda conversation: conversation_view(conversation, None))


routes = [
    Route(f"{PREFIX}/canned-replies", list_canned_replies, methods=["GET"]),
    Route(f"{PREFIX}/canned-replies", create_canned_reply, methods=["POST"]),
    Route(f"{PREFIX}/canned-replies/{{id}}", update_canned_reply, methods=["PUT"]),
    Route(f"{PREFIX}/canned-replies/{{id}}", delete_canned_reply, methods=["DELETE"]),
    Route(f"{PREFIX}/canned-replies/{{id}}/render", render_canned_reply, methods=["POST"]),
    Route(f"{PREFIX}/conversations/{{id}}/notes", list_notes, methods=["GET"]),
    Route(f"{PREFIX}/conversations/{{id}}/notes", add_note, methods=["POST"]),
    Route(f"{PREFIX}/conversations/{{id}}/labels", set_labels, methods=["PUT"]),
    Route(f"{PREFIX}/conversations/{{id}}/snooze", snooze, methods=["POST"]),
]
