"""Authentication and tenancy at the edge.

- API clients send ``Authorization: Bearer <token>``; browsers carry a signed, HttpOnly,
  SameSite=Lax session cookie set by ``POST /login``. The cookie holds the id of a session kept
  server-side, checked on every request: logout, a password change or disabling the agent ends
  it, and a copied cookie with it. A token works until it expires or is revoked.
- Cookie-authenticated writes must echo the session's CSRF token in ``X-CSRF-Token``.
- An agent only sees its own association: any other association's route answers 404, exactly
  as for an association that does not exist, so nothing is learnt by probing.
- Logins are rate limited per client address and e-mail (``login_throttle``,
  ``client_address``); ``/login`` and ``/logout`` refuse another site's form posts (``Origin``).
- A route given an ``audit`` action writes one audit log entry for each successful (2xx)
  answer, naming the agent, the action and its target; failed requests write none.

The entry is written in its own unit of work once the handler has its answer, before the answer
goes out: a view whose entry cannot be written fails (500) instead of showing data unrecorded.
Writing it inside each action's own unit of work would make it atomic with a change, but every
use case would have to carry the audit, and a route without it could not be told apart from
one that forgot it; here the route table says it all, and a test checks that no route that
reads or changes a conversation, a contact or a setting lacks an action. The price: a crash
between an action's commit and its entry loses that entry.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from returns.result import Failure, Success
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from wa_crm.container import Container
from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.errors import AgentDisabled
from wa_crm.domain.model.people import Agent
from wa_crm.domain.usecases.access.auth import Identity
from wa_crm.domain.usecases.monitoring.audit import AuditRecord
from wa_crm.entrypoints.http.client_address import client_address
from wa_crm.entrypoints.http.errors import BadRequest, error_response
from wa_crm.entrypoints.http.json_input import json_body, require_storable
from wa_crm.entrypoints.http.login_throttle import LoginThrottle
from wa_crm.entrypoints.http.mount import mount_path

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_KEY = "sid"
"""The browser session's id in the signed cookie (see ``BrowserSessions``)."""
_LOGIN_FIELDS = ("association", "email", "password")


@dataclass(frozen=True)
class Caller:
    identity: Identity
    via_cookie: bool
    session_id: str | None = None
    """The browser session's id when the caller came with the cookie."""

    @property
    def agent(self) -> Agent:
        return self.identity.agent

    @property
    def association_id(self) -> str:
        return self.identity.association.id


Handler = Callable[[Request, Caller], Awaitable[Response]]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


async def _identify(request: Request) -> Caller | None:
    container: Container = request.app.state.container
    authenticate = container.authenticate()
    token = _bearer(request)
    if token is not None:
        identity = await authenticate.with_token(token)
        return Caller(identity, via_cookie=False) if identity else None
    session_id = request.session.get(SESSION_KEY)
    if isinstance(session_id, str):
        identity = await authenticate.with_session(session_id)
        return Caller(identity, via_cookie=True, session_id=session_id) if identity else None
    return None


def credential_check(request: Request, caller: Caller) -> Callable[[], Awaitable[bool]]:
    """Whether the caller's session or token still lets it in, asked again later by a response
    that lives long (an event stream); it keeps the credential, not the request."""
    authenticate = request.app.state.container.authenticate
    session_id, token = caller.session_id, _bearer(request)

    async def check() -> bool:
        if session_id is not None:
            return await authenticate().with_session(session_id) is not None
        return token is not None and await authenticate().with_token(token) is not None

    return check


def cross_site(request: Request) -> bool:
    """A browser's form post from another site: its ``Origin`` names another host. Requests
    without the header (API clients, scripts) are not browsers' cross-site posts."""
    origin = request.headers.get("origin")
    if origin is None:
        return False
    container: Container = request.app.state.container
    own = {request.headers.get("host", ""), urlsplit(container.settings().public_url).netloc}
    return urlsplit(origin).netloc not in own


def note_audit(request: Request, **details: str | int | list[str]) -> None:
    """Add ids or counts (never phone numbers, names or text) to the request's audit entry."""
    request.state.audit_details = {**getattr(request.state, "audit_details", {}), **details}


async def _record(request: Request, caller: Caller, action: AuditAction, target: str) -> None:
    container: Container = request.app.state.container
    target_id = caller.association_id if target == "association" else request.path_params["id"]
    record = AuditRecord(
        caller.association_id,
        caller.agent.id,
        action,
        target,
        target_id,
        getattr(request.state, "audit_details", None),
    )
    await container.record_audit()(record)


def agent_route(
    admin: bool = False, audit: AuditAction | None = None, target: str = "association"
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a handler of ``/api/associations/{slug}/...`` with authentication and tenancy.

    ``audit``: the action each successful answer records; ``target`` names what it acts on:
    the kind of the path's ``{id}`` (``conversation``, ``contact``, ``message``, …), or the
    ``association`` itself.
    """

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            caller = await _identify(request)
            if caller is None:
                return error_response(401, "unauthenticated", "log in or send a bearer token")
            if caller.identity.association.slug != request.path_params.get("slug"):
                return error_response(404, "not_found", "no such resource")
            if caller.via_cookie and request.method not in SAFE_METHODS:
                expected = request.session.get("csrf", "")
                given = request.headers.get("x-csrf-token", "")
                if not expected or not secrets.compare_digest(expected, given):
                    return error_response(403, "csrf", "missing or wrong X-CSRF-Token header")
            if admin and not caller.agent.is_admin:
                return error_response(403, "forbidden", "this needs an admin of the association")
            response = await handler(request, caller)
            if audit is not None and 200 <= response.status_code < 300:
                await _record(request, caller, audit, target)
            return response

        # Function attributes, which mypy cannot declare; read back with getattr (OpenAPI).
        endpoint.requires_admin = admin  # type: ignore[attr-defined]
        endpoint.audit_action = audit  # type: ignore[attr-defined]
        return endpoint

    return decorate


async def _credentials(request: Request) -> dict[str, str]:
    """The login fields, from JSON or a form; each must be text the database can look up."""
    if request.headers.get("content-type", "").startswith("application/json"):
        fields = await json_body(request)
    else:
        fields = dict((await request.form()).items())
    for name in _LOGIN_FIELDS:
        value = fields.get(name, "")
        if not isinstance(value, str):
            raise BadRequest(f"`{name}` must be a string", field=name, reason="wrong_type")
        require_storable(name, value)
    return {name: fields.get(name, "") for name in _LOGIN_FIELDS}


async def login(request: Request) -> Response:
    """Log in with association, email and password; sets the session cookie. A JSON request
    gets JSON; a plain form post is redirected (to the inbox, or back to the form with the
    reason), so the page also works without JavaScript."""
    container: Container = request.app.state.container
    if cross_site(request):
        return error_response(403, "cross_site", "a login from another site is refused")
    as_json = request.headers.get("content-type", "").startswith("application/json")
    fields = await _credentials(request)
    slug, email, password = (fields.get(k, "") for k in ("association", "email", "password"))

    def refuse(status: int, code: str, message: str, reason: str) -> Response:
        if as_json:
            return error_response(status, code, message)
        query = urlencode({"association": slug[:63], "error": reason})
        return RedirectResponse(f"{mount_path(request)}/login?{query}", status_code=303)

    if not (slug and email and password):
        return refuse(422, "invalid_input", "association, email and password are needed", "missing")
    throttle: LoginThrottle = request.app.state.login_throttle
    key = f"{client_address(request)}|{email.strip().lower()}"
    if throttle.blocked(key):
        return refuse(429, "too_many_attempts", "too many failed logins; wait a while", "throttled")
    match await container.authenticate().with_password(slug, email, password):
        case Failure(AgentDisabled() as error):
            return refuse(401, error.code, error.message, "disabled")
        case Failure(error):
            throttle.failed(key)
            return refuse(401, error.code, error.message, "invalid")
        case Success(identity):
            throttle.succeeded(key)
    previous = request.session.get(SESSION_KEY)
    if isinstance(previous, str):
        await container.browser_sessions().close(previous)
    request.session.clear()
    csrf = secrets.token_urlsafe(24)
    session_id = await container.browser_sessions().open(identity)
    request.session.update({SESSION_KEY: session_id, "csrf": csrf})
    if as_json:
        return JSONResponse(
            {
                "agent": {"id": identity.agent.id, "name": identity.agent.name},
                "association": identity.association.slug,
                "csrf": csrf,
            }
        )
    inbox = f"{mount_path(request)}/dashboard/{identity.association.slug}/inbox"
    return RedirectResponse(inbox, status_code=303)


async def logout(request: Request) -> Response:
    """End the browser session: its cookie, and the session itself, so a copy of the cookie
    lets no one in any more."""
    if cross_site(request):
        return error_response(403, "cross_site", "a logout from another site is refused")
    session_id = request.session.get(SESSION_KEY)
    if isinstance(session_id, str):
        container: Container = request.app.state.container
        await container.browser_sessions().close(session_id)
    request.session.clear()
    return JSONResponse({"status": "logged_out"})
