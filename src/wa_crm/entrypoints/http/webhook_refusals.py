"""Refused webhooks made visible: each 4xx answer to WAHA is logged (its reason, event, session
and WAHA version; never the body), at most once a minute per reason and session with the count
left out, counted in ``/metrics`` (``wa_crm_webhooks_refused_total{reason}``) and stored per
minute for the monitoring page (``GET webhooks/refused``: the last hour's, by reason).

An operator whose every event is refused (a wrong secret, a session name no association uses,
an older WAHA whose bodies we cannot read) would otherwise see nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.container import Container
from wa_crm.domain.model.association import Association
from wa_crm.entrypoints.http.auth import Caller, agent_route
from wa_crm.entrypoints.http.errors import error_response
from wa_crm.entrypoints.http.handlers import container_of

PREFIX = "/api/associations/{slug}"
_SHOWN = 60  # characters of a session name, event name or version: they are anyone's to send


def _text(value: Any) -> str | None:
    return value[:_SHOWN] if isinstance(value, str) else None


@dataclass(frozen=True)
class Sender:
    """What a refused body says of itself, read without trusting it."""

    event: str | None
    session: str | None
    waha_version: str | None

    @classmethod
    def of(cls, raw: Any) -> Sender:
        if not isinstance(raw, dict):
            return cls(None, None, None)
        environment = raw.get("environment")
        version = environment.get("version") if isinstance(environment, dict) else None
        return cls(_text(raw.get("event")), _text(raw.get("session")), _text(version))


@dataclass(frozen=True)
class Refusal:
    reason: str
    sender: Sender
    association: Association | None = None
    """The association the body was routed to, when it was."""


async def note_refusal(container: Container, refusal: Refusal) -> None:
    """Log (throttled), count and store a refusal."""
    association = refusal.association
    container.metrics().webhook_refused(refusal.reason)
    container.webhook_refusal_log().warning(
        (refusal.reason, refusal.sender.session or ""),
        container.clock().now(),
        "webhook refused",
        {
            "reason": refusal.reason,
            "event": refusal.sender.event,
            "session": refusal.sender.session,
            "waha_version": refusal.sender.waha_version,
            "association": association.slug if association else None,
        },
    )
    await container.webhook_refusals().record(
        association.id if association else None, refusal.reason
    )


async def refuse(container: Container, status: int, message: str, refusal: Refusal) -> Response:
    """The 4xx answer of a refusal, noted first; its error code is the reason."""
    await note_refusal(container, refusal)
    return error_response(status, refusal.reason, message)


@agent_route(admin=True)
async def refused_webhooks(request: Request, caller: Caller) -> Response:
    """Webhooks refused in the last hour, by reason: the association's (routed to it, e.g. a bad
    signature) and the service's (no association could be found: an unknown session, a body
    that is not a WAHA event). Counts only, never a session name (admins)."""
    refused = await container_of(request).webhook_refusals().last_hour(caller.association_id)
    return JSONResponse(
        {
            "association": {
                "total": sum(refused.association.values()),
                "by_reason": refused.association,
            },
            "service": {"total": sum(refused.service.values()), "by_reason": refused.service},
        }
    )


routes = [Route(f"{PREFIX}/webhooks/refused", refused_webhooks, methods=["GET"])]
