"""The admin API under ``/api/associations/{slug}/`` (design section 7): the WhatsApp connection,
the assistant's and privacy settings, statistics, alerts, the agents, the audit log, and the
export and erasure of a contact's data. Admins only; other agents get 403, except on the agent
list (the inbox needs it to assign conversations). Every change is audited; the audit log itself
is read-only (design section 11).

Secrets (the WAHA API key, the webhook secret) are write-only: answers say whether one is set.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any, TypeVar

import segno
from pydantic import ValidationError
from returns.result import Failure, Success
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.adapters.sql.settings_json import (
    ASSIGNMENT_SETTINGS,
    BOT_SETTINGS,
    PRIVACY_SETTINGS,
    SettingsJson,
)
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.statistics import Statistics
from wa_crm.domain.usecases.admin.whatsapp_session import SessionReport, webhook_url
from wa_crm.domain.usecases.admin.whatsapp_settings import (
    ConnectionCheck,
    ConnectionOverrides,
    WhatsAppChanges,
)
from wa_crm.domain.usecases.monitoring.audit import AuditPage
from wa_crm.domain.usecases.monitoring.statistics import StatisticsRequest
from wa_crm.domain.usecases.privacy.contact_data import Erasure
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.contact_export import contact_zip, zip_filename
from wa_crm.entrypoints.http.errors import BadRequest, domain_error_response, error_response
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.json_input import json_body
from wa_crm.entrypoints.http.query_values import numeric_cursor, page_limit, query_day, query_time
from wa_crm.ports.unit_of_work import AuditQuery
from wa_crm.ports.whatsapp import QrCode, SessionInfo

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

PREFIX = "/api/associations/{slug}"
T = TypeVar("T", bound="DataclassInstance")  # a settings dataclass
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
    return JSONResponse(BOT_SETTINGS.dump(caller.identity.association.bot))


def _validation_message(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
        for problem in error.errors()[:5]
    ]
    return "; ".join(problems)


async def _changed(request: Request, codec: SettingsJson[T], current: T, name: str) -> T:
    """The settings with the body's fields changed (absent fields keep their value)."""
    body = await json_body(request)
    unknown = sorted(set(body) - codec.fields)
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(unknown)}")
    note_audit(request, settings=name, fields=sorted(body))
    try:
        return codec.merge(current, body)
    except ValidationError as error:
        raise BadRequest(_validation_message(error)) from error


@agent_route(admin=True, audit=AuditAction.SETTINGS_CHANGED)
@handles_bad_requests
async def put_bot(request: Request, caller: Caller) -> Response:
    """Change any of the assistant's settings; absent fields keep their value."""
    bot = await _changed(request, BOT_SETTINGS, caller.identity.association.bot, "bot")
    result = await container_of(request).update_bot_settings()(caller.association_id, bot)
    return respond(result, lambda association: BOT_SETTINGS.dump(association.bot))


@agent_route(admin=True)
async def get_assignment(request: Request, caller: Caller) -> Response:
    """Automatic assignment's settings: enabled, max_open_per_agent, offline_reassign_minutes."""
    return JSONResponse(ASSIGNMENT_SETTINGS.dump(caller.identity.association.assignment))


@agent_route(admin=True, audit=AuditAction.SETTINGS_CHANGED)
@handles_bad_requests
async def put_assignment(request: Request, caller: Caller) -> Response:
    """Change any of enabled (boolean), max_open_per_agent (1-500), offline_reassign_minutes
    (1-10080, or null: never); absent fields keep their value."""
    current = caller.identity.association.assignment
    settings = await _changed(request, ASSIGNMENT_SETTINGS, current, "assignment")
    update = container_of(request).update_assignment_settings()
    result = await update(caller.association_id, settings)
    return respond(result, lambda association: ASSIGNMENT_SETTINGS.dump(association.assignment))


@agent_route(admin=True)
async def get_privacy(request: Request, caller: Caller) -> Response:
    """The privacy settings: opt-out and opt-in keywords and confirmations, retention_days."""
    return JSONResponse(PRIVACY_SETTINGS.dump(caller.identity.association.privacy))


@agent_route(admin=True, audit=AuditAction.SETTINGS_CHANGED)
@handles_bad_requests
async def put_privacy(request: Request, caller: Caller) -> Response:
    """Change any of opt_out_keywords, opt_in_keywords (non-empty lists), opt_out_confirmation,
    opt_in_confirmation, retention_days (1-3650, or null: keep everything); absent fields keep
    their value. A new retention period starts its purge now."""
    current = caller.identity.association.privacy
    privacy = await _changed(request, PRIVACY_SETTINGS, current, "privacy")
    result = await container_of(request).update_privacy_settings()(caller.association_id, privacy)
    return respond(result, lambda association: PRIVACY_SETTINGS.dump(association.privacy))


@agent_route(admin=True, audit=AuditAction.CONTACT_EXPORTED, target="contact")
async def export_contact(request: Request, caller: Caller) -> Response:
    """Everything stored about a contact, as a ZIP: contact.json, patient.json,
    conversations.json, messages.json, notes.json and media/<message id>-<file name>."""
    export = container_of(request).export_contact_data()
    result = await export(caller.association_id, request.path_params["id"])
    match result:
        case Failure(error):
            return domain_error_response(error)
        case Success(found):
            pass
    note_audit(
        request,
        conversations=len(found.conversations),
        messages=len(found.messages),
        media_files=len(found.files),
        notes=len(found.notes),
    )
    return Response(
        contact_zip(found),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{zip_filename(found.contact)}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@agent_route(admin=True, audit=AuditAction.CONTACT_ERASED, target="contact")
@handles_bad_requests
async def erase_contact(request: Request, caller: Caller) -> Response:
    """Erase a contact's data, irreversibly: `{"confirm_name"}` must be the contact's name as
    shown (trimmed, any case). Messages, files, notes, collected fields, name, phone and patient
    records go; anonymous statistics stay. A later patient import brings the registry row back."""
    confirm_name = (await json_body(request)).get("confirm_name")
    if not isinstance(confirm_name, str):
        raise BadRequest("`confirm_name` must be the contact's name")
    erase = container_of(request).erase_contact_data()
    result = await erase(caller.association_id, request.path_params["id"], confirm_name)

    def view(erasure: Erasure) -> dict[str, Any]:
        counts = {
            "messages": erasure.messages,
            "media_files": erasure.media_files,
            "conversations": erasure.conversations,
            "patients": erasure.patients,
            "notes": erasure.notes,
        }
        note_audit(request, **counts)
        return {"contact_id": erasure.contact_id, **counts}

    return respond(result, view)


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
        "labels": stats.conversations_by_label,
        "satisfaction": {
            "ratings": stats.satisfaction.ratings,
            "average": stats.satisfaction.average,
        },
    }


@agent_route(admin=True)
@handles_bad_requests
async def get_stats(request: Request, caller: Caller) -> Response:
    """Statistics for local days `from`..`to` (dates) in `tz` (IANA zone; default the
    business-hours zone, else UTC); the default period is the last 30 days."""
    stats_request = StatisticsRequest(
        caller.identity.association,
        first_day=query_day(request, "from"),
        last_day=query_day(request, "to"),
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


@agent_route()
async def list_agents(request: Request, caller: Caller) -> Response:
    """The association's agents: id, name, role, whether they are online (their inbox is
    open) and whether an admin disabled them; admins also see e-mails. Every agent may read
    it: the inbox offers it to assign a conversation."""
    agents = await container_of(request).list_agents()(caller.association_id)
    return JSONResponse(
        {
            "items": [
                {
                    "id": a.agent.id,
                    "name": a.agent.name,
                    "role": a.agent.role.value,
                    "online": a.online,
                    "disabled": a.agent.is_disabled,
                    **({"email": a.agent.email} if caller.agent.is_admin else {}),
                }
                for a in agents
            ]
        }
    )


def _audit_query(request: Request) -> AuditQuery:
    return AuditQuery(
        start=query_time(request, "from"),
        end=query_time(request, "to"),
        actor=request.query_params.get("actor") or None,
        before_id=numeric_cursor(request),
        limit=page_limit(request),
    )


def _audit_view(page: AuditPage) -> dict[str, Any]:
    return {
        "items": [
            {
                "actor": entry.actor,
                "actor_name": page.agent_names.get(entry.actor),
                "action": entry.action.value,
                "target_type": entry.target_type,
                "target_id": entry.target_id,
                "at": entry.at.isoformat(),
                "details": entry.details,
            }
            for _, entry in page.entries
        ],
        "next_cursor": str(page.next_before_id) if page.next_before_id else None,
    }


@agent_route(admin=True)
@handles_bad_requests
async def list_audit(request: Request, caller: Caller) -> Response:
    """The audit log, newest first: `from` (inclusive) and `to` (exclusive) are ISO times with
    a time zone, `actor` an agent id (or `system`); cursor pagination. No route changes it."""
    query = _audit_query(request)
    page = await container_of(request).read_audit_log()(caller.association_id, query)
    return JSONResponse(_audit_view(page))


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
    Route(f"{PREFIX}/assignment", get_assignment, methods=["GET"]),
    Route(f"{PREFIX}/assignment", put_assignment, methods=["PUT"]),
    Route(f"{PREFIX}/privacy", get_privacy, methods=["GET"]),
    Route(f"{PREFIX}/privacy", put_privacy, methods=["PUT"]),
    Route(f"{PREFIX}/contacts/{{id}}/export", export_contact, methods=["GET"]),
    Route(f"{PREFIX}/contacts/{{id}}/erase", erase_contact, methods=["POST"]),
    Route(f"{PREFIX}/stats", get_stats, methods=["GET"]),
    Route(f"{PREFIX}/alerts", list_alerts, methods=["GET"]),
    Route(f"{PREFIX}/agents", list_agents, methods=["GET"]),
    Route(f"{PREFIX}/audit", list_audit, methods=["GET"]),
]
