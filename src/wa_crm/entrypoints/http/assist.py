"""The agents' assistant in the agent API (architecture.md section 7): a suggested reply, and a
summary saved as a private note, for a conversation of the association.

Both answer 409 ``assist_unavailable`` when the association's assistant is not a model, and
503 ``ai_unavailable`` when the model fails; a suggestion is never sent, the agent sends it
(perhaps edited) as an ordinary message.
"""

from __future__ import annotations

from returns.pipeline import is_successful
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wa_crm.domain.model.audit import AuditAction
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.handlers import container_of, respond

PREFIX = "/api/associations/{slug}"


@agent_route(audit=AuditAction.REPLY_SUGGESTED, target="conversation")
async def suggest_reply(request: Request, caller: Caller) -> Response:
    """A draft answer to the contact from the conversation and the knowledge base:
    `{"text", "sources"}` (titles of the documents it came from); nothing is sent."""
    assist = container_of(request).agent_assist()
    result = await assist.suggest_reply(caller.association_id, request.path_params["id"])
    if is_successful(result):
        note_audit(request, sources=len(result.unwrap().sources))
    return respond(result, lambda draft: {"text": draft.text, "sources": list(draft.sources)})


@agent_route(audit=AuditAction.CONVERSATION_SUMMARIZED, target="conversation")
async def summarize(request: Request, caller: Caller) -> Response:
    """Sum the conversation up in a private note by the caller; answers the note, as `POST
    notes` does."""
    assist = container_of(request).agent_assist()
    result = await assist.summarize(
        caller.association_id, request.path_params["id"], caller.agent.id
    )
    if is_successful(result):
        note_audit(request, note_id=result.unwrap()[0].id)
    return respond(result, lambda authored: authored[0].snapshot(authored[1]), status=201)


routes = [
    Route(f"{PREFIX}/conversations/{{id}}/suggest-reply", suggest_reply, methods=["POST"]),
    Route(f"{PREFIX}/conversations/{{id}}/summary", summarize, methods=["POST"]),
]
