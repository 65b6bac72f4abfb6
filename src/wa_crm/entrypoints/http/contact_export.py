"""One contact's data as a ZIP file: ``contact.json``, ``patient.json`` (the patient records, a
list), ``conversations.json``, ``messages.json``, ``notes.json`` (the agents' private notes),
``unanswered_questions.json`` (what the knowledge base could not answer in their conversations)
and ``media/<message id>-<file name>``.

The JSON shapes are the API's; a message's ``media.file`` names its file inside the ZIP (null
when the file is not in the media store), instead of a URL of this server.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from wa_crm.domain.model.knowledge import UnansweredQuestion
from wa_crm.domain.model.note import Note
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.privacy.contact_data import ContactExport
from wa_crm.entrypoints.http.knowledge import question_view
from wa_crm.entrypoints.http.views import patient_view

_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f/\\:]")
_NOT_IN_ZIP_NAME = re.compile(r"[^\w-]", re.ASCII)


def _contact_record(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "wa_chat_id": contact.wa_chat_id,
        "phone": contact.phone,
        "lid": contact.lid,
        "display_name": contact.display_name,
        "kind": contact.kind.value,
        "patient_id": contact.patient_id,
        "fields": contact.fields,
        "created_at": contact.created_at.isoformat(),
        "opted_out_at": contact.opted_out_at.isoformat() if contact.opted_out_at else None,
        "opt_out_source": contact.opt_out_source,
    }


def _note_record(note: Note) -> dict[str, Any]:
    record = note.snapshot(agent_name=None)
    del record["agent_name"]
    return record


def _question_record(question: UnansweredQuestion) -> dict[str, Any]:
    """As ``GET knowledge/unanswered`` lists it, with the FAQ entry that answered it, if any."""
    return question_view(question) | {"answered_by": question.answered_by}


def media_path(message_id: str, filename: str) -> str:
    """The file's path in the ZIP: no folders, no control characters, no hidden files."""
    safe = _UNSAFE_IN_NAME.sub("_", filename).lstrip(".") or "file"
    return f"media/{_UNSAFE_IN_NAME.sub('_', message_id)}-{safe}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def contact_zip(export: ContactExport) -> bytes:
    paths = {file.message_id: media_path(file.message_id, file.filename) for file in export.files}
    messages = []
    for message in export.messages:
        data = message.snapshot()
        if data["media"] is not None:
            data["media"].pop("url")
            data["media"]["file"] = paths.get(message.id)
        messages.append(data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("contact.json", _json(_contact_record(export.contact)))
        archive.writestr("patient.json", _json([patient_view(p) for p in export.patients]))
        archive.writestr("conversations.json", _json([c.snapshot() for c in export.conversations]))
        archive.writestr("messages.json", _json(messages))
        archive.writestr("notes.json", _json([_note_record(note) for note in export.notes]))
        questions = [_question_record(question) for question in export.unanswered_questions]
        archive.writestr("unanswered_questions.json", _json(questions))
        for file in export.files:
            archive.writestr(paths[file.message_id], file.data)
    return buffer.getvalue()


def zip_filename(contact: Contact) -> str:
    return f"contact-{_NOT_IN_ZIP_NAME.sub('_', contact.id)}.zip"
