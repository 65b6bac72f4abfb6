"""The WhatsApp connection and its session: the connection settings, a connection test, the
session's start, QR, status and logout, and a test message.

Secrets (the WAHA API key, the webhook secret) are write-only: answers say whether one is set.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import segno
from returns.result import Failure, Success
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wa_crm.domain.model.association import Association, WhatsAppChanges
from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.usecases.admin.whatsapp_session import SessionReport, webhook_url
from wa_crm.domain.usecases.admin.whatsapp_settings import ConnectionCheck, ConnectionOverrides
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.errors import BadRequest, domain_error_response, error_response
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.json_input import json_body
from wa_crm.ports.whatsapp import QrCode, SessionInfo

_TEXT_FIELDS = ("base_url", "session", "api_key", "webhook_secret")
_NUMBER_FIELDS = ("messages_per_second", "chat_gap_seconds")


def _whatsapp_view(request: Request, association: Association) -> dict[str, Any]:
    settings = association.whatsapp
    return {
        "base_url": settings.base_url,
        "session": settings.session,
        "api_key_set": bool(settings.api_key),
        "webhook_secret_set": bool(settings.webhook_secret),
        "phone": settings.phone,
        "messages_per_second": settings.messages_per_second,
        "chat_gap_seconds": settings.chat_gap_seconds,
        "webhook_url": webhook_url(container_of(request).settings().public_url),
    }


def _fields(body: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadRequest(
            f"unknown fields: {', '.join(unknown)}", field=unknown[0][:40], reason="not_allowed"
        )
    for name in set(body) & set(_TEXT_FIELDS):
        if not isinstance(body[name], str):
            raise BadRequest(f"`{name}` must be a string", field=name, reason="wrong_type")
        if len(body[name]) > 2048:
            raise BadRequest(
                f"`{name}` is too long", field=name, reason="too_long", params={"max": 2048}
            )
    for name in set(body) & set(_NUMBER_FIELDS):
        if isinstance(body[name], bool) or not isinstance(body[name], int | float):
            raise BadRequest(f"`{name}` must be a number", field=name, reason="wrong_type")
    return body


@agent_route(admin=True)
async def get_whatsapp(request: Request, caller: Caller) -> Response:
    """The WhatsApp connection settings (secrets only as `*_set` flags)."""
    return JSONResponse(_whatsapp_view(request, caller.identity.association))


@agent_route(admin=True, audit=AuditAction.SETTINGS_CHANGED)
@handles_bad_requests
async def put_whatsapp(request: Request, caller: Caller) -> Response:
    """Change any of base_url, session, api_key, webhook_secret, messages_per_second,
    chat_gap_seconds; absent fields keep their value."""
    body = _fields(await json_body(request), (*_TEXT_FIELDS, *_NUMBER_FIELDS))
    note_audit(request, settings="whatsapp", fields=sorted(body))
    update = container_of(request).update_whatsapp_settings()
    result = await update(caller.association_id, WhatsAppChanges(**body))
    return respond(result, lambda association: _whatsapp_view(request, association))


def _check_view(check: ConnectionCheck) -> dict[str, Any]:
    return {
        "ok": check.ok,
        "code": check.code,
        "message": check.message,
        "status": check.status,
        "phone": check.phone,
        "version": check.version,
        "needed_version": check.needed_version,
    }


@agent_route(admin=True, audit=AuditAction.CONNECTION_TESTED)
@handles_bad_requests
async def test_whatsapp(request: Request, caller: Caller) -> Response:
    """Try the connection: WAHA reachable, API key accepted, the session's state. The body may
    carry unsaved base_url, api_key, session to try them before saving."""
    sent_values = bool((await request.body()).strip())
    body = _fields(await json_body(request), _TEXT_FIELDS[:3]) if sent_values else {}
    check = container_of(request).check_whatsapp_connection()
    result = await check(caller.identity.association, ConnectionOverrides(**body))
    return respond(result, _check_view)


def _session_view(info: SessionInfo) -> dict[str, Any]:
    return {"status": info.status.value, "phone": info.phone, "push_name": info.push_name}


@agent_route(admin=True, audit=AuditAction.SESSION_CHANGED)
async def start_session(request: Request, caller: Caller) -> Response:
    """Create or start the WAHA session with our webhook (URL, events, HMAC key)."""
    note_audit(request, command="start")
    control = container_of(request).session_control()
    result = await control.start(caller.identity.association)
    hook = webhook_url(container_of(request).settings().public_url)
    return respond(result, lambda info: {**_session_view(info), "webhook_url": hook})


def _qr_png(value: str) -> bytes:
    buffer = io.BytesIO()
    segno.make_qr(value, error="l").save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


@agent_route(admin=True)
async def get_qr(request: Request, caller: Caller) -> Response:
    """The session's status and, while it waits for a scan, the QR: its raw value and a PNG data
    URL; `?format=png` answers the PNG itself (409 `no_qr` when there is none to scan)."""
    control = container_of(request).session_control()
    result = await control.qr(caller.identity.association)
    if request.query_params.get("format") == "png":
        match result:
            case Success((info, qr)) if qr.value:
                return Response(_qr_png(qr.value), media_type="image/png")
            case Success((info, _)):
                return error_response(409, "no_qr", f"the session is {info.status.value}")
            case Failure(error):
                return domain_error_response(error)

    def view(found: tuple[SessionInfo, QrCode]) -> dict[str, Any]:
        info, qr = found
        image = None
        if qr.value:
            image = "data:image/png;base64," + base64.b64encode(_qr_png(qr.value)).decode()
        return {**_session_view(info), "qr": qr.value, "image": image}

    return respond(result, view)


@agent_route(admin=True)
async def get_status(request: Request, caller: Caller) -> Response:
    """What WAHA says of the session now, its circuit, and the recorded status history."""
    association = caller.identity.association
    result = await container_of(request).session_control().status(association)

    def view(report: SessionReport) -> dict[str, Any]:
        info = report.info
        return {
            "status": info.status.value if info else None,
            "phone": info.phone if info else association.whatsapp.phone,
            "push_name": info.push_name if info else None,
            "circuit": report.circuit,
            "error": {"code": report.problem.code.value, "message": str(report.problem)}
            if report.problem
            else None,
            "history": [
                {"status": change.status, "at": change.at.isoformat()} for change in report.history
            ],
        }

    return respond(result, view)


@agent_route(admin=True, audit=AuditAction.SESSION_CHANGED)
async def logout(request: Request, caller: Caller) -> Response:
    """Unlink the phone from the session (a new QR scan links one again)."""
    note_audit(request, command="logout")
    result = await container_of(request).session_control().logout(caller.identity.association)
    return respond(result, _session_view)


@agent_route(admin=True, audit=AuditAction.TEST_MESSAGE_SENT)
@handles_bad_requests
async def test_message(request: Request, caller: Caller) -> Response:
    """Send a test message now: `{"phone", "text"?}`."""
    body = await json_body(request)
    phone, text = body.get("phone"), body.get("text")
    if not isinstance(phone, str) or not phone.strip():
        raise BadRequest("`phone` must be a phone number", field="phone", reason="invalid_format")
    if text is not None and not isinstance(text, str):
        raise BadRequest("`text` must be a string", field="text", reason="wrong_type")
    send = container_of(request).send_test_message()
    result = await send(caller.identity.association, phone, text)
    return respond(
        result, lambda sent: {"to": sent[0].masked(), "external_id": sent[1]}, status=201
    )
