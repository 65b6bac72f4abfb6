"""``POST /api/webhooks/whatsapp``: every WAHA event for every association.

WAHA retries any non-2xx answer up to 15 times, so 4xx is kept for requests that really are
wrong (bad signature, unknown session, malformed body) and events we choose not to act on get
200. The answer is sent only after the event's transaction commits.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from returns.result import Failure, Success
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.adapters.waha.payloads import WahaEnvelope
from wa_crm.adapters.waha.webhooks import (
    InvalidPayload,
    UnsupportedEvent,
    event_time,
    signature_matches,
    translate,
)
from wa_crm.container import Container
from wa_crm.domain.model.correlation import correlation_id
from wa_crm.domain.model.whatsapp_events import IncomingEvent
from wa_crm.entrypoints.http.bodies import body_limit
from wa_crm.entrypoints.http.errors import domain_error_response, error_response
from wa_crm.entrypoints.http.webhook_refusals import Refusal, Sender, note_refusal, refuse

MAX_BODY_BYTES = 1_000_000  # media arrives as URLs, never inline; 1 MB is generous for JSON


def _storable(document: Any) -> Any:
    """The decoded body with text every database accepts: PostgreSQL refuses NUL characters,
    and lone surrogates (JSON may escape them, ``"\\ud800"``) cannot be encoded at all."""

    def clean(text: str) -> str:
        return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")

    if isinstance(document, str):
        return clean(document)
    pending = [document] if isinstance(document, dict | list) else []
    while pending:  # iterative: the body may nest as deep as the JSON parser allowed
        node = pending.pop()
        entries = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(entries):
            if isinstance(value, str):
                node[key] = clean(value)
            elif isinstance(value, dict | list):
                pending.append(value)
    return document


@body_limit(lambda settings, content_type: MAX_BODY_BYTES)
async def whatsapp_webhook(request: Request) -> Response:
    container: Container = request.app.state.container
    metrics = container.metrics()
    try:
        body = await request.body()
    except ClientDisconnect:
        return error_response(400, "client_disconnected", "the body was not received in full")
    try:
        raw = _storable(json.loads(body))
    except (ValueError, RecursionError):  # bad JSON or UTF-8, huge integers, deep nesting
        metrics.webhook_event("unknown", "malformed")
        refusal = Refusal("malformed_json", Sender.of(None))
        return await refuse(container, 400, "the body is not JSON", refusal)
    try:
        envelope = WahaEnvelope.model_validate(raw)
    except ValidationError as error:
        metrics.webhook_event("unknown", "invalid")
        fields = ", ".join(".".join(map(str, issue["loc"])) or "body" for issue in error.errors())
        message = f"not a WAHA event envelope (check: {fields})"
        return await refuse(container, 422, message, Refusal("invalid_event", Sender.of(raw)))
    sender = Sender.of(raw)

    correlation_id.set(envelope.id)
    signature = request.headers.get("x-webhook-hmac")
    association = await container.session_router().find(
        envelope.session,
        envelope.me.id if envelope.me else None,
        signed_with=lambda secret: signature_matches(body, secret, signature),
    )
    if association is None:
        metrics.webhook_event(envelope.event, "unknown_session")
        message = "no association uses this WAHA session"
        return await refuse(container, 404, message, Refusal("unknown_session", sender))
    secret = association.whatsapp.webhook_secret
    if secret and not signature_matches(body, secret, signature):
        metrics.webhook_event(envelope.event, "bad_signature")
        message = "X-Webhook-Hmac does not match the body"
        return await refuse(container, 401, message, Refusal("bad_signature", sender, association))

    try:
        event = translate(envelope, container.clock().now())
    except UnsupportedEvent as reason:
        metrics.webhook_event(envelope.event, "ignored")
        return JSONResponse({"status": "ignored", "detail": str(reason)})
    except InvalidPayload as problem:
        metrics.webhook_event(envelope.event, "invalid")
        message = f"{envelope.event} payload: {problem}"
        refusal = Refusal("invalid_payload", sender, association)
        return await refuse(container, 422, message, refusal)

    ingest = container.ingest_whatsapp_event()
    match await ingest(IncomingEvent(association.id, envelope.id, event, event_time(envelope))):
        case Success(result):
            if result.signal is not None:
                await container.message_bus()([result.signal])
            metrics.webhook_event(envelope.event, result.outcome.value)
            return JSONResponse({"status": result.outcome.value, "detail": result.detail})
        case Failure(error):
            metrics.webhook_event(envelope.event, "refused")
            await note_refusal(container, Refusal(error.code, sender, association))
            return domain_error_response(error)
    raise AssertionError("unreachable")


routes = [Route("/api/webhooks/whatsapp", whatsapp_webhook, methods=["POST"])]
