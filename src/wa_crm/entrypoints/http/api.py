"""The agent API under ``/api/associations/{slug}/`` (architecture.md section 7)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from returns.pipeline import is_successful
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.usecases.inbound.reactions import reactions_view
from wa_crm.domain.usecases.inbox.agent_actions import AgentRequest, OutgoingFileUpload
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.bodies import accepts_files
from wa_crm.entrypoints.http.downloads import stored_file_response
from wa_crm.entrypoints.http.errors import BadRequest, error_response
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.inbox_list import conversation_query, encode_cursor, list_row
from wa_crm.entrypoints.http.json_input import json_body, require_storable
from wa_crm.entrypoints.http.mount import mount_path
from wa_crm.entrypoints.http.query_values import page_limit, query_time
from wa_crm.entrypoints.http.views import (
    contact_summary,
    conversation_view,
    message_view,
    patient_view,
)
from wa_crm.ports.queries import InboxCursor

MAX_MESSAGE_ID_LENGTH = 200  # WhatsApp's serialized ids are under 100 characters
PREFIX = "/api/associations/{slug}"


@agent_route(audit=AuditAction.CONVERSATION_LISTED)
@handles_bad_requests
async def list_conversations(request: Request, caller: Caller) -> Response:
    """Conversations, newest activity first (`sort=waiting`: waiting longest first); filters
    status, channel, assignee (me, none or an agent id), q (a name, a phone or words said in a
    message), label, snoozed (false by default, true or any), urgent (true, false or any, the
    default), since and until (days or times, over the last activity); cursor pagination."""
    query = conversation_query(request, caller)
    inbox = container_of(request).queries().inbox
    listed = await inbox.page(caller.association_id, query, caller.agent.id)
    page, contacts, mine = listed.conversations, listed.contacts, listed.mine
    note_audit(request, conversation_ids=[c.id for c in page])
    last = page[-1] if len(page) == query.limit else None
    return JSONResponse(
        {
            "items": [
                list_row(
                    c,
                    contacts.get(c.contact_id),
                    listed.last_messages.get(c.id),
                    listed.matches.get(c.id),
                )
                for c in page
            ],
            "next_cursor": encode_cursor(InboxCursor.after(last, query.sort)) if last else None,
            # Mine: what I hold, including what automatic assignment routed to me (pending).
            "counts": {
                **listed.counts,
                "mine": mine["human"] + mine["pending"],
                "unassigned": listed.unassigned,
            },
        }
    )


@agent_route(audit=AuditAction.CONVERSATION_VIEWED, target="conversation")
async def get_conversation(request: Request, caller: Caller) -> Response:
    """One conversation with its contact and handoff note."""
    async with container_of(request).uow_factory()() as uow:
        conversation = await uow.conversations.get(caller.association_id, request.path_params["id"])
        contact = (
            await uow.contacts.get(caller.association_id, conversation.contact_id)
            if conversation
            else None
        )
    if conversation is None:
        return error_response(404, "unknown_conversation", "no such conversation")
    return JSONResponse(conversation_view(conversation, contact))


@agent_route(audit=AuditAction.MESSAGES_LISTED, target="conversation")
@handles_bad_requests
async def list_messages(request: Request, caller: Caller) -> Response:
    """Messages of a conversation, newest first; `before` (ISO time) pages back."""
    before = query_time(request, "before")
    limit = page_limit(request)
    async with container_of(request).uow_factory()() as uow:
        conversation = await uow.conversations.get(caller.association_id, request.path_params["id"])
        messages = (
            await uow.messages.list_for_conversation(
                caller.association_id, conversation.id, before=before, limit=limit
            )
            if conversation
            else []
        )
        reactions = await uow.messages.reactions_of(caller.association_id, [m.id for m in messages])
    if conversation is None:
        return error_response(404, "unknown_conversation", "no such conversation")
    note_audit(request, messages=len(messages))
    slug = caller.identity.association.slug
    return JSONResponse(
        {
            "items": [
                message_view(m, slug, base=mount_path(request))
                | {"reactions": reactions_view(reactions.get(m.id, []))}
                for m in messages
            ],
            "next_before": messages[-1].created_at.isoformat() if len(messages) == limit else None,
        }
    )


def _request(request: Request, caller: Caller) -> AgentRequest:
    return AgentRequest(caller.association_id, request.path_params["id"], caller.agent.id)


@accepts_files("media_max_bytes")
@agent_route(audit=AuditAction.MESSAGE_SENT, target="conversation")
@handles_bad_requests
async def send_message(request: Request, caller: Caller) -> Response:
    """Send text (JSON `{"text"}`) or an image or document (multipart `file`, `caption`)."""
    actions = container_of(request).agent_actions()
    slug = caller.identity.association.slug
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        limit = container_of(request).settings().media_max_bytes
        async with request.form(max_files=1, max_fields=5, max_part_size=limit + 1) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise BadRequest(
                    "a multipart send needs a `file` part", field="file", reason="required"
                )
            data = await upload.read(limit + 1)
            caption = form.get("caption") or ""
            if not isinstance(caption, str):
                raise BadRequest(
                    "`caption` must be text, not a file", field="caption", reason="wrong_type"
                )
            require_storable("caption", caption)
            require_storable("file name", upload.filename or "")
            file = OutgoingFileUpload(
                data,
                upload.filename or "file",
                upload.content_type or "application/octet-stream",
                caption,
            )
        result = await actions.send_file(_request(request, caller), file)
    else:
        body = await json_body(request)
        text = body.get("text")
        reply_to = body.get("reply_to")
        if not isinstance(text, str):
            raise BadRequest("`text` must be a string", field="text", reason="wrong_type")
        if reply_to is not None and not (
            isinstance(reply_to, str) and len(reply_to) <= MAX_MESSAGE_ID_LENGTH
        ):
            raise BadRequest(
                f"`reply_to` must be a message id (at most {MAX_MESSAGE_ID_LENGTH} characters) "
                "or null"
            )
        result = await actions.reply(_request(request, caller), text, reply_to)
    if is_successful(result):
        note_audit(request, message_id=result.unwrap().id)
    return respond(
        result, lambda message: message_view(message, slug, base=mount_path(request)), status=201
    )


def _conversation_action(
    name: str, action: AuditAction, doc: str
) -> Callable[[Request], Awaitable[Response]]:
    @agent_route(audit=action, target="conversation")
    async def act(request: Request, caller: Caller) -> Response:
        actions = container_of(request).agent_actions()
        result = await getattr(actions, name)(_request(request, caller))
        return respond(result, lambda conversation: conversation_view(conversation, None))

    act.__name__, act.__doc__ = name, doc
    return act


claim = _conversation_action(
    "claim", AuditAction.CONVERSATION_CLAIMED, "Take the conversation (from the bot or the queue)."
)
release = _conversation_action(
    "release", AuditAction.CONVERSATION_RELEASED, "Give the conversation back to the bot."
)
resolve = _conversation_action(
    "resolve", AuditAction.CONVERSATION_RESOLVED, "Close the conversation."
)
read = _conversation_action(
    "read",
    AuditAction.CONVERSATION_READ,
    "Clear the unread count and mark the chat read on WhatsApp.",
)


@agent_route(audit=AuditAction.CONVERSATION_ASSIGNED, target="conversation")
@handles_bad_requests
async def assign(request: Request, caller: Caller) -> Response:
    """Assign the conversation to an agent: `{"agent_id"}`."""
    agent_id = (await json_body(request)).get("agent_id")
    if not isinstance(agent_id, str) or not agent_id:
        raise BadRequest("`agent_id` must be an agent's id", field="agent_id", reason="required")
    result = await container_of(request).agent_actions().assign(_request(request, caller), agent_id)
    note_audit(request, agent_id=agent_id)
    return respond(result, lambda conversation: conversation_view(conversation, None))


@agent_route(audit=AuditAction.CONVERSATION_TYPING, target="conversation")
@handles_bad_requests
async def typing(request: Request, caller: Caller) -> Response:
    """Show or hide "typing…" to the contact: `{"state": "start"|"stop"}`."""
    state = (await json_body(request)).get("state")
    if state not in ("start", "stop"):
        raise BadRequest("`state` must be start or stop", field="state", reason="not_allowed")
    container = container_of(request)
    result = await container.agent_actions().typing(_request(request, caller), state == "start")
    if is_successful(result):
        await container.message_bus()([result.unwrap()])
    return respond(result, lambda _: {"state": state})


@agent_route(audit=AuditAction.CONTACT_VIEWED, target="contact")
async def get_contact(request: Request, caller: Caller) -> Response:
    """A contact with its patient profile, orders and conversations (the inbox sidebar)."""
    async with container_of(request).uow_factory()() as uow:
        contact = await uow.contacts.get(caller.association_id, request.path_params["id"])
        if contact is None:
            return error_response(404, "unknown_contact", "no such contact")
        patient = (
            await uow.patients.get(caller.association_id, contact.patient_id)
            if contact.patient_id
            else None
        )
        conversations = await uow.conversations.list_for_contact(caller.association_id, contact.id)
    return JSONResponse(
        {
            "contact": contact_summary(contact),
            "patient": patient_view(patient),
            "conversations": [c.snapshot() for c in conversations],
        }
    )


@agent_route(audit=AuditAction.MEDIA_VIEWED, target="message")
async def get_media(request: Request, caller: Caller) -> Response:
    """The file of a message, from our media store (inline only when it is a raster image,
    audio or video by its bytes; see ``downloads``)."""
    container = container_of(request)
    async with container.uow_factory()() as uow:
        message = await uow.messages.get(caller.association_id, request.path_params["id"])
    media = message.media if message else None
    if media is None or not media.stored or media.url is None:
        return error_response(404, "no_media", "this message has no stored file")
    data = await container.media_store().get(media.url)
    if data is None:
        return error_response(404, "no_media", "the file is gone from the media store")
    return stored_file_response(data, media.mimetype, media.filename)


@agent_route(admin=True, audit=AuditAction.DEAD_LETTERS_LISTED)
@handles_bad_requests
async def list_dead_letters(request: Request, caller: Caller) -> Response:
    """Messages that could not be delivered, newest first (admins)."""
    limit = page_limit(request)
    monitoring = container_of(request).queries().monitoring
    failed = await monitoring.failed_messages(caller.association_id, limit)
    note_audit(request, message_ids=[m.id for m in failed])
    slug = caller.identity.association.slug
    return JSONResponse(
        {"items": [message_view(m, slug, base=mount_path(request)) for m in failed]}
    )


@agent_route(admin=True, audit=AuditAction.DEAD_LETTER_RETRIED, target="message")
async def retry_dead_letter(request: Request, caller: Caller) -> Response:
    """Send a dead letter again (admins)."""
    retry = container_of(request).retry_dead_letter()
    result = await retry(caller.association_id, request.path_params["id"])
    slug = caller.identity.association.slug
    return respond(result, lambda message: message_view(message, slug, base=mount_path(request)))


routes = [
    Route(f"{PREFIX}/conversations", list_conversations, methods=["GET"]),
    Route(f"{PREFIX}/conversations/{{id}}", get_conversation, methods=["GET"]),
    Route(f"{PREFIX}/conversations/{{id}}/messages", list_messages, methods=["GET"]),
    Route(f"{PREFIX}/conversations/{{id}}/messages", send_message, methods=["POST"]),
    Route(f"{PREFIX}/conversations/{{id}}/claim", claim, methods=["POST"]),
    Route(f"{PREFIX}/conversations/{{id}}/release", release, methods=["POST"]),
    Route(f"{PREFIX}/conversations/{{id}}/resolve", resolve, methods=["POST"]),
    Route(f"{PREFIX}/conversations/{{id}}/assign", assign, methods=["POST"]),
    Route(f"{PREFIX}/conversations/{{id}}/typing", typing, methods=["POST"]),
    Route(f"{PREFIX}/conversations/{{id}}/read", read, methods=["POST"]),
    Route(f"{PREFIX}/contacts/{{id}}", get_contact, methods=["GET"]),
    Route(f"{PREFIX}/media/{{id}}", get_media, methods=["GET"]),
    Route(f"{PREFIX}/dead-letters", list_dead_letters, methods=["GET"]),
    Route(f"{PREFIX}/dead-letters/{{id}}/retry", retry_dead_letter, methods=["POST"]),
]
