"""Registry imports over HTTP (admins): upload a patients or orders CSV, then follow its progress.

The upload streams into the media store as it arrives, under ``WA_CRM_IMPORT_MAX_BYTES``
(enforced while reading by ``bodies``: 413 ``body_too_large``), and is answered 202 with the
queued import and its ``Location``; a worker imports it in short batches (``usecases.imports``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.imports import Import, ImportKind
from wa_crm.domain.usecases.registry.imports import NewImport
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.bodies import accepts_files
from wa_crm.entrypoints.http.errors import BadRequest, error_response
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.mount import mount_path
from wa_crm.entrypoints.http.query_values import page_limit

PREFIX = "/api/associations/{slug}"
CHUNK_BYTES = 64 * 1024


def import_view(job: Import) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind.value,
        "status": job.status.value,
        "rows_done": job.rows_done,
        "imported": job.imported,
        "bad_rows": job.bad_rows,
        "errors": [{"line": e.line, "reason": e.reason} for e in job.errors],
        "error": job.error,
        "created_by": job.created_by,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


async def _file_part(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


async def _upload(request: Request, kind: ImportKind, caller: Caller) -> Response:
    """The CSV is the body (`text/csv`) or a multipart `file`; multipart files are spooled to
    disk by Starlette past 1 MB, so neither way holds the whole file in memory."""
    queue = container_of(request).queue_import()
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=2) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise BadRequest(
                    "a multipart import needs a `file` part", field="file", reason="required"
                )
            new = NewImport(caller.association_id, kind, caller.agent.id, _file_part(upload))
            result = await queue(new)
    else:
        new = NewImport(caller.association_id, kind, caller.agent.id, request.stream())
        result = await queue(new)
    response = respond(result, import_view, status=202)
    if response.status_code == 202:
        queued = result.unwrap()
        note_audit(request, import_id=queued.id)
        slug = caller.identity.association.slug
        location = f"{mount_path(request)}/api/associations/{slug}/imports/{queued.id}"
        response.headers["Location"] = location
    return response


@accepts_files("import_max_bytes")
@agent_route(admin=True, audit=AuditAction.PATIENTS_IMPORTED)
@handles_bad_requests
async def import_patients(request: Request, caller: Caller) -> Response:
    """Queue an import of patients from CSV (`text/csv` body, or multipart `file`): header
    id,full_name,phone,status plus any profile columns; 202 with the import to follow (admins)."""
    return await _upload(request, ImportKind.PATIENTS, caller)


@accepts_files("import_max_bytes")
@agent_route(admin=True, audit=AuditAction.ORDERS_IMPORTED)
@handles_bad_requests
async def import_orders(request: Request, caller: Caller) -> Response:
    """Queue an import of orders from CSV (`text/csv` body, or multipart `file`): header
    patient_id,order_id,date,items,total,status; 202 with the import to follow (admins)."""
    return await _upload(request, ImportKind.ORDERS, caller)


@agent_route(admin=True, audit=AuditAction.IMPORTS_LISTED)
@handles_bad_requests
async def list_imports(request: Request, caller: Caller) -> Response:
    """The association's imports, newest first, with their progress (admins)."""
    limit = page_limit(request, default=20)
    found = await container_of(request).queries().imports.recent(caller.association_id, limit)
    note_audit(request, import_ids=[job.id for job in found])
    return JSONResponse({"items": [import_view(job) for job in found]})


@agent_route(admin=True, audit=AuditAction.IMPORT_VIEWED, target="import")
async def get_import(request: Request, caller: Caller) -> Response:
    """One import's progress: rows done, imported, bad rows and the first 100 of them (admins)."""
    async with container_of(request).uow_factory()() as uow:
        found = await uow.imports.get(caller.association_id, request.path_params["id"])
    if found is None:
        return error_response(404, "unknown_import", "no such import")
    return JSONResponse(import_view(found))


routes = [
    Route(f"{PREFIX}/patients/import", import_patients, methods=["POST"]),
    Route(f"{PREFIX}/orders/import", import_orders, methods=["POST"]),
    Route(f"{PREFIX}/imports", list_imports, methods=["GET"]),
    Route(f"{PREFIX}/imports/{{id}}", get_import, methods=["GET"]),
]
