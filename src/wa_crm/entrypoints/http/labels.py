"""The label catalog under ``/api/associations/{slug}/`` (architecture.md section 7).

- ``GET labels``: every agent; each label's name, colour and how many conversations carry it,
  with the palette the colours come from (the inbox colours its chips with it).
- ``POST labels`` ``{"name", "colour"?}``, ``PUT labels/{name}`` ``{"name"?, "colour"?}``,
  ``DELETE labels/{name}``: admins, audited with the label's name (its id in the catalog).
  Renaming or deleting rewrites the association's conversations in the same transaction.
Names are normalized as on conversations (``labels.normalize_label``); a colour outside the
palette is a 422.
"""

from __future__ import annotations

from typing import Any

from returns.pipeline import is_successful
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.label_catalog import DEFAULT_COLOUR, PALETTE, LabelUsage
from wa_crm.domain.model.labels import normalize_label
from wa_crm.domain.usecases.inbox.label_catalog import LabelChanges
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.errors import BadRequest
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.json_input import json_body, only_fields

PREFIX = "/api/associations/{slug}"
PALETTE_VIEW = [{"name": name, "colour": colour} for name, colour in PALETTE]


def label_view(usage: LabelUsage) -> dict[str, Any]:
    return {"name": usage.name, "colour": usage.colour, "conversations": usage.conversations}


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"`{name}` must be a string")
    return value


@agent_route()
async def list_labels(request: Request, caller: Caller) -> Response:
    """The label catalog by name: name, colour and how many conversations carry each; labels
    found on conversations that no admin named yet come in the default colour. Also the
    palette of colours an admin chooses from."""
    found = await container_of(request).label_catalog().list(caller.association_id)
    return JSONResponse(
        {
            "items": [label_view(usage) for usage in found],
            "palette": PALETTE_VIEW,
            "default_colour": DEFAULT_COLOUR,
        }
    )


@agent_route(admin=True, audit=AuditAction.LABEL_CREATED)
@handles_bad_requests
async def create_label(request: Request, caller: Caller) -> Response:
    """Add a label to the catalog: `{"name", "colour"?}` (a colour of the palette; the default
    one when absent). 409 when the catalog has it already (admins)."""
    body = only_fields(await json_body(request), "name", "colour")
    name = _optional_text(body, "name")
    if name is None:
        raise BadRequest("`name` is required")
    catalog = container_of(request).label_catalog()
    result = await catalog.create(caller.association_id, name, _optional_text(body, "colour"))
    if is_successful(result):
        note_audit(request, label=result.unwrap().name)
    return respond(result, label_view, status=201)


@agent_route(admin=True, audit=AuditAction.LABEL_UPDATED)
@handles_bad_requests
async def update_label(request: Request, caller: Caller) -> Response:
    """Rename and/or recolour: `{"name"?, "colour"?}`. A new name rewrites every conversation
    carrying the label; renaming onto an existing label merges them (admins)."""
    body = only_fields(await json_body(request), "name", "colour")
    changes = LabelChanges(_optional_text(body, "name"), _optional_text(body, "colour"))
    catalog = container_of(request).label_catalog()
    result = await catalog.update(caller.association_id, request.path_params["name"], changes)
    if is_successful(result):
        note_audit(request, label=result.unwrap().name, renamed=int(changes.name is not None))
    return respond(result, label_view)


@agent_route(admin=True, audit=AuditAction.LABEL_DELETED)
async def delete_label(request: Request, caller: Caller) -> Response:
    """Remove the label from the catalog and from every conversation carrying it; answers how
    many conversations did (admins)."""
    raw = request.path_params["name"]
    catalog = container_of(request).label_catalog()
    result = await catalog.delete(caller.association_id, raw)
    name = normalize_label(raw).value_or(raw)
    if is_successful(result):
        note_audit(request, label=name, conversations=result.unwrap())
    return respond(result, lambda changed: {"deleted": name, "conversations": changed})


routes = [
    Route(f"{PREFIX}/labels", list_labels, methods=["GET"]),
    Route(f"{PREFIX}/labels", create_label, methods=["POST"]),
    Route(f"{PREFIX}/labels/{{name}}", update_label, methods=["PUT"]),
    Route(f"{PREFIX}/labels/{{name}}", delete_label, methods=["DELETE"]),
]
