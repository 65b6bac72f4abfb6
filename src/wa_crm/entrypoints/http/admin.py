"""The admin API under ``/api/associations/{slug}/`` (design section 7): the WhatsApp connection,
the assistant's settings, statistics and alerts. Admins only; other agents get 403.

Secrets (the WAHA API key, the webhook secret) are write-only: answers say whether one is set.
"""

from __future__ import annotations

import base64
import io
from datetime import date
from typing import Any

import segno
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.adapters.sql.mappers import bot_settings_to_json
from wa_crm.domain.model.association import Association, BotSettings
from wa_crm.domain.model.statistics import Statistics
from wa_crm.domain.usecases.statistics import StatisticsRequest
from wa_crm.domain.usecases.whatsapp_session import webhook_url
from wa_crm.domain.usecases.whatsapp_settings import (
    ConnectionCheck,
    ConnectionOverrides,
    WhatsAppChanges,
)
from wa_crm.entrypoints.http.auth import Caller, agent_route
from wa_crm.entrypoints.http.handlers import (
    BadRequest,
    container_of,
    handles_bad_requests,
    json_body,
    page_limit,
    respond,
)
from wa_crm.ports.whatsapp import QrCode, SessionInfo

PREFIX = "/api/associations/{slug}"
_TEXT_FIELDS = ("base_url", "session", "api_key", "webhook_secret")
_NUMBER_FIELDS = ("messages_per_second", "chat_gap_seconds")
_BOT_SETTINGS = TypeAdapter(BotSettings)
_BOT_FIELDS = frozenset(bot_settings_to_json(BotSettings()))


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
        raise BadRequest(f"unknown fields: {', '.join(unknown)}")
    for name in set(body) & set(_TEXT_FIELDS):
        if not isinstance(body[name], str):
            raise BadRequest(f"`{name}` must be a string")
        if len(body[name]) > 2048:
            raise BadRequest(f"`{name}` is too long")
    for name in set(body) & set(_NUMBER_FIELDS):
        if isinstance(body[name], bool) or not isinstance(body[name], int | float):
            raise BadRequest(f"`{name}` must be a number")
    return body


@agent_route(admin=True)
async def get_whatsapp(request: Request, caller: Caller) -> Response:
    """The WhatsApp connection settings (secrets only as `*_set` flags)."""
    return JSONResponse(_whatsapp_view(request, caller.identity.association))


@agent_route(admin=True)
@handles_bad_requests
async def put_whatsapp(request: Request, caller: Caller) -> Response:
    """Change any of base_url, session, api_key, webhook_secret, messages_per_second,
    chat_gap_seconds; absent fields keep their value."""
    body = _fields(await json_body(request), (*_TEXT_FIELDS, *_NUMBER_FIELDS))
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
    }


@agent_route(admin=True)
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


@agent_route(admin=True)
async def start_session(request: Request, caller: Caller) -> Response:
    """Create or start the WAHA session with our webhook (URL, events, HMAC key)."""
    control = container_of(request).session_control()
    result = await control.start(caller.identity.association)
    hook = webhook_url(container_of(request).settings().public_url)
    return respond(result, lambda info: {**_session_view(info), "webhook_url": hook})


def _qr_image(qr: QrCode) -> str | None:
    if not qr.value:
        return None
    buffer = io.BytesIO()
    segno.make_qr(qr.value, error="l").save(buffer, kind="png", scale=6, border=4)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@agent_route(admin=True)
async def get_qr(request: Request, caller: Caller) -> Response:
    """The session's status and, while it waits for a scan, the QR (raw value and PNG)."""
    control = container_of(request).session_control()
    result = await control.qr(caller.identity.association)

    def view(found: tuple[SessionInfo, QrCode]) -> dict[str, Any]:
        info, qr = found
        return {**_session_view(info), "qr": qr.value, "image": _qr_image(qr)}

    return respond(result, view)


@agent_route(admin=True)
async def get_status(request: Request, caller: Caller) -> Response:
    """What WAHA says of the session now, its circuit, and the recorded status history."""
    report = await container_of(request).session_control().status(caller.identity.association)
    info = report.info
    return JSONResponse(
        {
            "status": info.status.value if info else None,
            "phone": info.phone if info else caller.identity.association.whatsapp.phone,
            "push_name": info.push_name if info else None,
            "circuit": report.circuit,
            "error": {"code": report.problem.code.value, "message": str(report.problem)}
            if report.problem
            else None,
            "history": [
                {"status": change.status, "at": change.at.isoformat()} for change in report.history
            ],
        }
    )


@agent_route(admin=True)
async def logout(request: Request, caller: Caller) -> Response:
    """Unlink the phone from the session (a new QR scan links one again)."""
    result = await container_of(request).session_control().logout(caller.identity.association)
    return respond(result, _session_view)


@agent_route(admin=True)
@handles_bad_requests
async def test_message(request: Request, caller: Caller) -> Response:
    """Send a test message now: `{"phone", "text"?}`."""
    body = await json_body(request)
    phone, text = body.get("phone"), body.get("text")
    if not isinstance(phone, str) or not phone.strip():
        raise BadRequest("`phone` must be a phone number")
    if text is not None and not isinstance(text, str):
        raise BadRequest("`text` must be a string")
    send = container_of(request).send_test_message()
    result = await send(caller.identity.association, phone, text)
    return respond(
        result, lambda sent: {"to": sent[0].masked(), "external_id": sent[1]}, status=201
    )


@agent_route(admin=True)
async def get_bot(request: Request, caller: Caller) -> Response:
    """The assistant's settings."""
    return JSONResponse(bot_settings_to_json(caller.identity.association.bot))


def _validation_message(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
        for problem in error.errors()[:5]
    ]
    return "; ".join(problems)


@agent_route(admin=True)
@handles_bad_requests
async def put_bot(request: Request, caller: Caller) -> Response:
    """Change any of the assistant's settings; absent fields keep their value."""
    body = await json_body(request)
    unknown = sorted(set(body) - _BOT_FIELDS)
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(unknown)}")
    merged = {**bot_settings_to_json(caller.identity.association.bot), **body}
    try:
        bot = _BOT_SETTINGS.validate_python(merged)
    except ValidationError as error:
        raise BadRequest(_validation_message(error)) from error
    result = await container_of(request).update_bot_settings()(caller.association_id, bot)
    return respond(result, lambda association: bot_settings_to_json(association.bot))


def _day(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise BadRequest(f"`{name}` must be a date like 2026-01-31") from error


def _statistics_view(stats: Statistics) -> dict[str, Any]:
    return {
        "from": stats.first_day.isoformat(),
        "to": stats.last_day.isoformat(),
        "timezone": stats.timezone,
        "messages_by_day": [
            {"day": day.day.isoformat(), "inbound": day.inbound, "outbound": day.outbound}
            for day in stats.messages_by_day
        ],
        "answered": {
            "by_bot_only": stats.answered.by_bot_only,
            "by_humans": stats.answered.by_humans,
        },
        "handoffs_by_reason": stats.handoffs_by_reason,
        "first_response": {
            "answered": stats.first_response.answered,
            "waiting": stats.first_response.waiting,
            "median_seconds": stats.first_response.median_seconds,
        },
        "delivery_failures": stats.delivery_failures,
    }


@agent_route(admin=True)
@handles_bad_requests
async def get_stats(request: Request, caller: Caller) -> Response:
    """Statistics for local days `from`..`to` (dates) in `tz` (IANA zone; default the
    business-hours zone, else UTC); the default period is the last 30 days."""
    stats_request = StatisticsRequest(
        caller.identity.association,
        first_day=_day(request, "from"),
        last_day=_day(request, "to"),
        timezone=request.query_params.get("tz") or None,
    )
    result = await container_of(request).compute_statistics()(stats_request)
    return respond(result, _statistics_view)


@agent_route(admin=True)
@handles_bad_requests
async def list_alerts(request: Request, caller: Caller) -> Response:
    """Recent alerts (session down, dead letters), newest first."""
    limit = page_limit(request)
    async with container_of(request).uow_factory()() as uow:
        alerts = await uow.alerts.recent(caller.association_id, limit)
    return JSONResponse(
        {
            "items": [
                {"kind": alert.kind, "message": alert.message, "at": alert.at.isoformat()}
                for alert in alerts
            ]
        }
    )


routes = [
    Route(f"{PREFIX}/whatsapp", get_whatsapp, methods=["GET"]),
    Route(f"{PREFIX}/whatsapp", put_whatsapp, methods=["PUT"]),
    Route(f"{PREFIX}/whatsapp/test", test_whatsapp, methods=["POST"]),
    Route(f"{PREFIX}/whatsapp/session/start", start_session, methods=["POST"]),
    Route(f"{PREFIX}/whatsapp/qr", get_qr, methods=["GET"]),
    Route(f"{PREFIX}/whatsapp/status", get_status, methods=["GET"]),
    Route(f"{PREFIX}/whatsapp/logout", logout, methods=["POST"]),
    Route(f"{PREFIX}/whatsapp/test-message", test_message, methods=["POST"]),
    Route(f"{PREFIX}/bot", get_bot, methods=["GET"]),
    Route(f"{PREFIX}/bot", put_bot, methods=["PUT"]),
    Route(f"{PREFIX}/stats", get_stats, methods=["GET"]),
    Route(f"{PREFIX}/alerts", list_alerts, methods=["GET"]),
]
