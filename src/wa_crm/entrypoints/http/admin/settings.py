"""The association's settings for the assistant, automatic assignment and privacy: each read
whole and changed field by field (absent fields keep their value)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wa_crm.adapters.sql.settings_json import (
    ASSIGNMENT_SETTINGS,
    BOT_SETTINGS,
    PRIVACY_SETTINGS,
    SettingsJson,
)
from wa_crm.domain.model.audit import AuditAction
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.errors import BadRequest
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.json_input import json_body, only_fields
from wa_crm.entrypoints.http.validation import validation_reason

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")  # a settings dataclass


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


def _refusal(error: ValidationError) -> BadRequest:
    """The first problem's field, reason and limits (pydantic's ``loc``, ``type``, ``ctx``)
    beside the English message of all of them."""
    first = error.errors()[0]
    reason, params = validation_reason(first["type"], first.get("ctx") or {})
    field = str(first["loc"][0]) if first["loc"] else None
    return BadRequest(_validation_message(error), field=field, reason=reason, params=params)


async def _changed(request: Request, codec: SettingsJson[T], current: T, name: str) -> T:
    """The settings with the body's fields changed (absent fields keep their value)."""
    body = await json_body(request)
    only_fields(body, *codec.fields)
    note_audit(request, settings=name, fields=sorted(body))
    try:
        return codec.merge(current, body)
    except ValidationError as error:
        raise _refusal(error) from error


@agent_route(admin=True, audit=AuditAction.SETTINGS_CHANGED)
@handles_bad_requests
async def put_bot(request: Request, caller: Caller) -> Response:
    """Change any of the assistant's settings; absent fields keep their value."""
    bot = await _changed(request, BOT_SETTINGS, caller.identity.association.bot, "bot")
    result = await container_of(request).update_bot_settings()(caller.association_id, bot)
    return respond(result, lambda association: BOT_SETTINGS.dump(association.bot))


@agent_route(admin=True)
async def get_assignment(request: Request, caller: Caller) -> Response:
    """Automatic assignment's settings: enabled, max_open_per_agent, offline_reassign_minutes,
    and the first-response target, first_response_minutes."""
    return JSONResponse(ASSIGNMENT_SETTINGS.dump(caller.identity.association.assignment))


@agent_route(admin=True, audit=AuditAction.SETTINGS_CHANGED)
@handles_bad_requests
async def put_assignment(request: Request, caller: Caller) -> Response:
    """Change any of enabled (boolean), max_open_per_agent (1-500), offline_reassign_minutes
    (1-10080, or null: never), first_response_minutes (1-1440, or null: no target); absent
    fields keep their value."""
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
