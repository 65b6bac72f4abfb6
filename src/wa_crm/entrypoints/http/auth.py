"""Authentication and tenancy at the edge.

- API clients send ``Authorization: Bearer <token>``; browsers carry a signed, HttpOnly,
  SameSite=Lax session cookie set by ``POST /login``.
- Cookie-authenticated writes must echo the session's CSRF token in ``X-CSRF-Token``.
- An agent only sees its own association: any other association's route answers 404, exactly
  as for an association that does not exist, so nothing is learnt by probing.
- Logins are rate limited per client address and e-mail.
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
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from returns.result import Failure, Success
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from wa_crm.container import Container
from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.people import Agent
from wa_crm.domain.usecases.audit import AuditRecord
from wa_crm.domain.usecases.auth import Identity
from wa_crm.entrypoints.http.errors import error_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW_SECONDS = 300.0


@dataclass(frozen=True)
class Caller:
    identity: Identity
    via_cookie: bool

    @property
    def agent(self) -> Agent:
        return self.identity.agent

    @property
    def association_id(self) -> str:
        return self.identity.association.id


Handler = Callable[[Request, Caller], Awaitable[Response]]


async def _identify(request: Request) -> Caller | None:
    container: Container = request.app.state.container
    authenticate = container.authenticate()
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        identity = await authenticate.with_token(header[7:].strip())
        return Caller(identity, via_cookie=False) if identity else None
    session = request.session
    if "agent_id" in session and "association_id" in session:
        identity = await authenticate.by_id(session["association_id"], session["agent_id"])
        return Caller(identity, via_cookie=True) if identity else None
    return None


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

        endpoint.requires_admin = admin  # type: ignore[attr-defined]
        endpoint.audit_action = audit  # type: ignore[attr-defined]
        return endpoint

    return decorate


class LoginThrottle:
    """At most ``LOGIN_ATTEMPTS`` failed logins per address and e-mail in the window."""

    def __init__(self) -> None:
        self._failures: defaultdict[str, deque[float]] = defaultdict(deque)

    def blocked(self, key: str) -> bool:
        failures, now = self._failures[key], time.monotonic()
        while failures and failures[0] < now - LOGIN_WINDOW_SECONDS:
            failures.popleft()
        return len(failures) >= LOGIN_ATTEMPTS

    def failed(self, key: str) -> None:
        self._failures[key].append(time.monotonic())

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


async def _credentials(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            return {}
        return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


async def login(request: Request) -> Response:
    """Log in with association, email and password; sets the session cookie. A JSON request
    gets JSON; a plain form post is redirected (to the inbox, or back to the form with the
    reason), so the page also works without JavaScript."""
    container: Container = request.app.state.container
    as_json = request.headers.get("content-type", "").startswith("application/json")
    fields = await _credentials(request)
    slug, email, password = (fields.get(k, "") for k in ("association", "email", "password"))

    def refuse(status: int, code: str, message: str, reason: str) -> Response:
        if as_json:
            return error_response(status, code, message)
        query = urlencode({"association": slug[:63], "error": reason})
        return RedirectResponse(f"/login?{query}", status_code=303)

    if not (slug and email and password):
        return refuse(422, "invalid_input", "association, email and password are needed", "missing")
    throttle: LoginThrottle = request.app.state.login_throttle
    key = f"{request.client.host if request.client else '?'}|{email.strip().lower()}"
    if throttle.blocked(key):
        return refuse(429, "too_many_attempts", "too many failed logins; wait a while", "throttled")
    match await container.authenticate().with_password(slug, email, password):
        case Failure(error):
            throttle.failed(key)
            return refuse(401, error.code, error.message, "invalid")
        case Success(identity):
            throttle.succeeded(key)
    request.session.clear()
    csrf = secrets.token_urlsafe(24)
    request.session.update(
        {
            "agent_id": identity.agent.id,
            "association_id": identity.association.id,
            "csrf": csrf,
        }
    )
    if as_json:
        return JSONResponse(
            {
                "agent": {"id": identity.agent.id, "name": identity.agent.name},
                "association": identity.association.slug,
                "csrf": csrf,
            }
        )
    return RedirectResponse(f"/dashboard/{identity.association.slug}/inbox", status_code=303)


async def logout(request: Request) -> Response:
    """End the browser session."""
    request.session.clear()
    return JSONResponse({"status": "logged_out"})
