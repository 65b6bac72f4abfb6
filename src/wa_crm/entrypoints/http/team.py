"""The team's access under ``/api/associations/{slug}/``: API tokens, disabled agents, passwords.

- ``GET|POST agents/{id}/tokens``, ``DELETE agents/{id}/tokens/{token_id}``: an agent manages
  their own tokens, an admin everyone's in the association (another agent's are 403). A new
  token is shown once, in the answer that creates it.
- ``POST agents/{id}/disable`` and ``/enable``: admins only. Disabling ends the agent's browser
  sessions; its tokens stop working until it is enabled again.
- ``POST me/password``: the caller's own password, with the current one; the caller's other
  browser sessions end.
- ``POST agents``, ``PUT agents/{id}`` (role, name), ``POST agents/{id}/password``: admins
  create agents, change them and reset their passwords (``usecases/access/team``); a password
  wa_crm generates is in the answer, shown this once. The last active admin cannot be demoted
  or disabled (409 ``last_admin``); a duplicate e-mail is a 409, a weak password a 422.

Every change is audited, naming the agent (and the token by id), never a secret.
"""

from __future__ import annotations

from typing import Any

from returns.pipeline import is_successful
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.credentials import ApiToken
from wa_crm.domain.model.people import Agent
from wa_crm.domain.usecases.access.credentials import IssuedToken, NewToken, PasswordChange
from wa_crm.domain.usecases.access.team import AgentChanges, NewTeamMember, WithPassword
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.errors import BadRequest, error_response
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.json_input import json_body, only_fields, text_field

PREFIX = "/api/associations/{slug}"


def token_view(token: ApiToken) -> dict[str, Any]:
    def moment(value: Any) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "id": token.id,
        "name": token.name,
        "created_at": moment(token.created_at),
        "expires_at": moment(token.expires_at),
        "last_used_at": moment(token.last_used_at),
    }


def agent_view(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "name": agent.name,
        "role": agent.role.value,
        "disabled_at": agent.disabled_at.isoformat() if agent.disabled_at else None,
    }


def _with_password_view(created: WithPassword) -> dict[str, Any]:
    """The agent (with its e-mail: only admins get here) and the generated password, if any."""
    return {
        **agent_view(created.agent),
        "email": created.agent.email,
        "generated_password": created.generated,
    }


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"`{name}` must be a string, or absent")
    return value


def _password_choice(body: dict[str, Any]) -> str | None:
    """``{"password": "..."}`` sets it; ``{"generate": true}`` (or no password) generates one."""
    password = _optional_text(body, "password")
    generate = body.get("generate", password is None)
    if not isinstance(generate, bool):
        raise BadRequest("`generate` must be true or false")
    if generate == (password is not None):
        raise BadRequest("give either `password` or `generate: true`, not both")
    return password


def _forbidden_unless_self_or_admin(request: Request, caller: Caller) -> Response | None:
    if caller.agent.id == request.path_params["id"] or caller.agent.is_admin:
        return None
    return error_response(403, "forbidden", "only the agent or an admin manages these tokens")


def _new_token(body: dict[str, Any]) -> NewToken:
    days = body.get("expires_in_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int)):
        raise BadRequest("`expires_in_days` must be a whole number of days, or null")
    return NewToken(name=text_field(body, "name", ""), expires_in_days=days)


@agent_route()
async def list_tokens(request: Request, caller: Caller) -> Response:
    """The agent's API tokens, newest first: id, name, created, expires, last used."""
    if refused := _forbidden_unless_self_or_admin(request, caller):
        return refused
    tokens = container_of(request).api_tokens()
    result = await tokens.list(caller.association_id, request.path_params["id"])
    return respond(result, lambda found: {"items": [token_view(token) for token in found]})


@agent_route(audit=AuditAction.TOKEN_ISSUED, target="agent")
async def issue_token(request: Request, caller: Caller) -> Response:
    """A new API token for the agent, `{"name", "expires_in_days"}` both optional (no expiry:
    valid until revoked); the answer holds the token, shown this once."""
    if refused := _forbidden_unless_self_or_admin(request, caller):
        return refused
    command = _new_token(only_fields(await json_body(request), "name", "expires_in_days"))
    tokens = container_of(request).api_tokens()
    result = await tokens.issue(caller.association_id, request.path_params["id"], command)

    def view(issued: IssuedToken) -> dict[str, Any]:
        note_audit(request, token=issued.details.id)
        return {"token": issued.token, **token_view(issued.details)}

    return respond(result, view, status=201)


@agent_route(audit=AuditAction.TOKEN_REVOKED, target="agent")
async def revoke_token(request: Request, caller: Caller) -> Response:
    """Revoke one of the agent's API tokens by its id; it stops working at once."""
    if refused := _forbidden_unless_self_or_admin(request, caller):
        return refused
    token_id = request.path_params["token_id"]
    note_audit(request, token=token_id)
    tokens = container_of(request).api_tokens()
    result = await tokens.revoke(caller.association_id, request.path_params["id"], token_id)
    return respond(result, lambda revoked: {"revoked": revoked})


@agent_route(admin=True, audit=AuditAction.AGENT_DISABLED, target="agent")
async def disable_agent(request: Request, caller: Caller) -> Response:
    """Withdraw the agent's access: no login, no token, and its browser sessions end."""
    access = container_of(request).agent_access()
    result = await access.disable(caller.association_id, request.path_params["id"], caller.agent.id)
    return respond(result, agent_view)


@agent_route(admin=True, audit=AuditAction.AGENT_ENABLED, target="agent")
async def enable_agent(request: Request, caller: Caller) -> Response:
    """Give a disabled agent its access back (its tokens work again; it logs in anew)."""
    access = container_of(request).agent_access()
    result = await access.enable(caller.association_id, request.path_params["id"])
    return respond(result, agent_view)


@agent_route(audit=AuditAction.PASSWORD_CHANGED)
async def change_password(request: Request, caller: Caller) -> Response:
    """Change the caller's password: `{"current_password", "new_password"}`. The caller's
    other browser sessions end; this one stays."""
    body = only_fields(await json_body(request), "current_password", "new_password")
    change = PasswordChange(
        caller.association_id,
        caller.agent.id,
        text_field(body, "current_password", ""),
        text_field(body, "new_password", ""),
        keep_session=caller.session_id,
    )
    result = await container_of(request).change_password()(change)
    return respond(result, lambda agent: {"status": "changed"})


@agent_route(admin=True, audit=AuditAction.AGENT_CREATED)
@handles_bad_requests
async def create_agent(request: Request, caller: Caller) -> Response:
    """Create an agent: `{"email", "name"?, "role": "agent"|"admin", "password"?, "generate"?}`;
    without a password one is generated and returned once as `generated_password` (admins)."""
    body = only_fields(await json_body(request), "email", "name", "role", "password", "generate")
    member = NewTeamMember(
        email=text_field(body, "email"),
        name=text_field(body, "name", ""),
        role=text_field(body, "role", "agent"),
        password=_password_choice(body),
    )
    result = await container_of(request).team().create(caller.association_id, member)
    if is_successful(result):
        note_audit(request, agent=result.unwrap().agent.id)
    return respond(result, _with_password_view, status=201)


@agent_route(admin=True, audit=AuditAction.AGENT_UPDATED, target="agent")
@handles_bad_requests
async def update_agent(request: Request, caller: Caller) -> Response:
    """Change an agent's role or name: `{"role"?, "name"?}`; demoting the last active admin
    is a 409 `last_admin` (admins)."""
    body = only_fields(await json_body(request), "role", "name")
    changes = AgentChanges(role=_optional_text(body, "role"), name=_optional_text(body, "name"))
    team = container_of(request).team()
    result = await team.update(caller.association_id, request.path_params["id"], changes)
    if changes.role is not None:
        note_audit(request, role=changes.role[:20])
    return respond(result, agent_view)


@agent_route(admin=True, audit=AuditAction.AGENT_PASSWORD_RESET, target="agent")
@handles_bad_requests
async def reset_password(request: Request, caller: Caller) -> Response:
    """Set an agent's password: `{"password"}`, or `{"generate": true}` for one returned once
    as `generated_password`. The agent's browser sessions end; API tokens stay (admins; not
    one's own: that is `me/password`, with the current one)."""
    password = _password_choice(only_fields(await json_body(request), "password", "generate"))
    team = container_of(request).team()
    result = await team.reset_password(
        caller.association_id, request.path_params["id"], password, caller.agent.id
    )
    return respond(result, _with_password_view)


routes = [
    Route(f"{PREFIX}/agents", create_agent, methods=["POST"]),
    Route(f"{PREFIX}/agents/{{id}}", update_agent, methods=["PUT"]),
    Route(f"{PREFIX}/agents/{{id}}/password", reset_password, methods=["POST"]),
    Route(f"{PREFIX}/agents/{{id}}/tokens", list_tokens, methods=["GET"]),
    Route(f"{PREFIX}/agents/{{id}}/tokens", issue_token, methods=["POST"]),
    Route(f"{PREFIX}/agents/{{id}}/tokens/{{token_id}}", revoke_token, methods=["DELETE"]),
    Route(f"{PREFIX}/agents/{{id}}/disable", disable_agent, methods=["POST"]),
    Route(f"{PREFIX}/agents/{{id}}/enable", enable_agent, methods=["POST"]),
    Route(f"{PREFIX}/me/password", change_password, methods=["POST"]),
]
