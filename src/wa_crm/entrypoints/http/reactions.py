"""``POST conversations/{id}/messages/{message_id}/reaction``: an agent reacts to a message.

``{"emoji": "👍"}`` sets the association's reaction, ``{"emoji": ""}`` removes it; WAHA is asked
at once (502 when it fails), and the answer is the message with its reactions.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.usecases.inbound.reactions import Reacted, Reacting, reactions_view
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.errors import BadRequest
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.json_input import json_body
from wa_crm.entrypoints.http.mount import mount_path
from wa_crm.entrypoints.http.views import message_view

PREFIX = "/api/associations/{slug}"


@agent_route(audit=AuditAction.MESSAGE_REACTED, target="conversation")
@handles_bad_requests
async def react(request: Request, caller: Caller) -> Response:
    """React to a message with an emoji: `{"emoji"}` ("" removes the reaction)."""
    emoji = (await json_body(request)).get("emoji")
    if not isinstance(emoji, str):
        raise BadRequest(
            "`emoji` must be a string: one emoji, or empty to remove the reaction",
            field="emoji",
            reason="wrong_type",
        )
    message_id = request.path_params["message_id"]
    command = Reacting(caller.association_id, request.path_params["id"], message_id, emoji)
    result = await container_of(request).react_to_message()(command)
    note_audit(request, message_id=message_id)
    slug = caller.identity.association.slug

    def view(reacted: Reacted) -> dict[str, object]:
        return message_view(reacted.message, slug, base=mount_path(request)) | {
            "reactions": reactions_view(reacted.reactions)
        }

    return respond(result, view)


routes = [
    Route(
        f"{PREFIX}/conversations/{{id}}/messages/{{message_id}}/reaction", react, methods=["POST"]
    )
]
