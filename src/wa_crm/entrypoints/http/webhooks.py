"""``POST /api/webhooks/whatsapp``: every WAHA event for every association.

WAHA retries any non-2xx answer up to 15 times, so 4xx is kept for requests that really are
wrong (bad signature, unknown session, malformed body) and events we choose not to act on get
200. The answer is sent only after the event's transaction commits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from pydantic import ValidationError
from returns.result import Failure, Success
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.adapters.waha.payloads import WahaEnvelope
from wa_crm.adapters.waha.webhooks import (
    InvalidPayload,
    UnsupportedEvent,
    signature_matches,
    translate,
)
from wa_crm.container import Container
from wa_crm.domain.model.association import Association
from wa_crm.domain.usecases.ingest import IncomingEvent
from wa_crm.entrypoints.http.errors import domain_error_response, error_response

MAX_BODY_BYTES = 1_000_000  # media arrives as URLs, never inline; 1 MB is generous for JSON

_log = logging.getLogger("wa_crm.webhooks")


class BodyTooLarge(Exception):
    pass


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _route(candidates: Sequence[Association], me_id: str | None) -> Association | None:
    """The session name is unique per WAHA server; ``me.id`` tells servers' sessions apart."""
    if len(candidates) <= 1 or not me_id:
        return candidates[0] if candidates else None
    same_phone = [a for a in candidates if a.whatsapp.phone == me_id]
    return same_phone[0] if len(same_phone) == 1 else None


async def whatsapp_webhook(request: Request) -> Response:
    container: Container = request.app.state.container
    metrics = container.metrics()
    try:
        body = await _read_body(request)
    except BodyTooLarge:
        return error_response(
            413, "body_too_large", f"webhook bodies are limited to {MAX_BODY_BYTES} bytes"
        )
    except ClientDisconnect:
        return error_response(400, "client_disconnected", "the body was not received in full")
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        metrics.webhook_event("unknown", "malformed")
        return error_response(400, "malformed_json", "the body is not JSON")
    try:
        envelope = WahaEnvelope.model_validate(raw)
    except ValidationError as error:
        metrics.webhook_event("unknown", "invalid")
        fields = ", ".join(".".join(map(str, issue["loc"])) or "body" for issue in error.errors())
        return error_response(422, "invalid_event", f"not a WAHA event envelope (check: {fields})")

    async with container.uow_factory()() as uow:
        candidates = await uow.associations.find_by_session(envelope.session)
    association = _route(candidates, envelope.me.id if envelope.me else None)
    if association is None:
        metrics.webhook_event(envelope.event, "unknown_session")
        _log.warning("webhook for an unknown session", extra={"session": envelope.session[:60]})
        return error_response(404, "unknown_session", "no association uses this WAHA session")
    secret = association.whatsapp.webhook_secret
    if secret and not signature_matches(body, secret, request.headers.get("x-webhook-hmac")):
        metrics.webhook_event(envelope.event, "bad_signature")
        _log.warning("webhook signature mismatch", extra={"association": association.slug})
        return error_response(401, "bad_signature", "X-Webhook-Hmac does not match the body")

    try:
        event = translate(envelope, container.clock().now())
    except UnsupportedEvent as reason:
        metrics.webhook_event(envelope.event, "ignored")
        return JSONResponse({"status": "ignored", "detail": str(reason)})
    except InvalidPayload as problem:
        metrics.webhook_event(envelope.event, "invalid")
        return error_response(422, "invalid_payload", f"{envelope.event} payload: {problem}")

    ingest = container.ingest_whatsapp_event()
    match await ingest(IncomingEvent(association.id, envelope.id, event)):
        case Success(result):
            metrics.webhook_event(envelope.event, result.outcome.value)
            return JSONResponse({"status": result.outcome.value, "detail": result.detail})
        case Failure(error):
            metrics.webhook_event(envelope.event, "refused")
            return domain_error_response(error)
    raise AssertionError("unreachable")


routes = [Route("/api/webhooks/whatsapp", whatsapp_webhook, methods=["POST"])]
