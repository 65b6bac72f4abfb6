"""A contact's data: its export as a ZIP and its irreversible erasure."""

from __future__ import annotations

from typing import Any

from returns.result import Failure, Success
from starlette.requests import Request
from starlette.responses import Response

from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.usecases.privacy.contact_data import Erasure
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.contact_export import contact_zip, zip_filename
from wa_crm.entrypoints.http.errors import BadRequest, domain_error_response
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.json_input import json_body


@agent_route(admin=True, audit=AuditAction.CONTACT_EXPORTED, target="contact")
async def export_contact(request: Request, caller: Caller) -> Response:
    """Everything stored about a contact, as a ZIP: contact.json, patient.json,
    conversations.json, messages.json, notes.json, unanswered_questions.json and
    media/<message id>-<file name>."""
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
        unanswered_questions=len(found.unanswered_questions),
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
    shown (trimmed, any case). Messages, files, notes, the questions the knowledge base could not
    answer, collected fields, name, phone and patient records go; anonymous statistics stay. A
    later patient import brings the registry row back."""
    confirm_name = (await json_body(request)).get("confirm_name")
    if not isinstance(confirm_name, str):
        raise BadRequest(
            "`confirm_name` must be the contact's name", field="confirm_name", reason="required"
        )
    erase = container_of(request).erase_contact_data()
    result = await erase(caller.association_id, request.path_params["id"], confirm_name)

    def view(erasure: Erasure) -> dict[str, Any]:
        counts = {
            "messages": erasure.messages,
            "media_files": erasure.media_files,
            "conversations": erasure.conversations,
            "patients": erasure.patients,
            "notes": erasure.notes,
            "unanswered_questions": erasure.unanswered_questions,
        }
        note_audit(request, **counts)
        return {"contact_id": erasure.contact_id, **counts}

    return respond(result, view)
