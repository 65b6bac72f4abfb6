"""The knowledge base over HTTP under ``/api/associations/{slug}/knowledge/`` (architecture.md
section 7).

Every agent searches it; admins add, replace and remove documents, try a question on the
assistant, and work the questions the documents could not answer. A document is JSON
``{"title", "text"}`` or a multipart ``file`` (with an optional ``title``), up to
``WA_CRM_KNOWLEDGE_FILE_MAX_BYTES`` (enforced while reading by ``bodies``: 413
``body_too_large``). Writes, the unanswered list (contacts' own words) and tried questions are
audited; the documents and the search are the association's reference text, read unaudited.
"""

from __future__ import annotations

from typing import Any

from returns.pipeline import is_successful
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.knowledge import KnowledgeDocument, Passage, UnansweredQuestion
from wa_crm.domain.usecases.knowledge.documents import DocumentSource, UploadedFile
from wa_crm.domain.usecases.knowledge.limits import MAX_RESULTS
from wa_crm.domain.usecases.knowledge.try_question import TriedQuestion
from wa_crm.entrypoints.http.auth import Caller, agent_route, note_audit
from wa_crm.entrypoints.http.bodies import accepts_files
from wa_crm.entrypoints.http.errors import BadRequest
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.json_input import (
    json_body,
    only_fields,
    require_storable,
    text_field,
)

PREFIX = "/api/associations/{slug}/knowledge"
DEFAULT_RESULTS = 5


def document_view(document: KnowledgeDocument) -> dict[str, Any]:
    return {
        "id": document.id,
        "title": document.title,
        "kind": document.kind.value,
        "chunks": document.chunks,
        "filename": document.filename,
        "created_at": document.created_at.isoformat(),
        "updated_at": document.updated_at.isoformat(),
    }


def passage_view(passage: Passage) -> dict[str, Any]:
    return {
        "document_id": passage.document_id,
        "title": passage.title,
        "text": passage.text,
        "score": round(passage.score, 4),
    }


def question_view(question: UnansweredQuestion) -> dict[str, Any]:
    return {
        "id": question.id,
        "text": question.text,
        "conversation_id": question.conversation_id,
        "first_asked_at": question.first_asked_at.isoformat(),
        "last_asked_at": question.last_asked_at.isoformat(),
        "times_asked": question.times_asked,
    }


def tried_view(tried: TriedQuestion) -> dict[str, Any]:
    return {
        "answer": tried.text,
        "action": tried.action.value,
        "reason": tried.reason,
        "sources": list(tried.sources),
        "passages": [passage_view(passage) for passage in tried.passages],
    }


async def _document_source(request: Request) -> DocumentSource:
    """JSON ``{"title", "text"}``, or a multipart ``file`` with an optional ``title``."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        body = await json_body(request)
        only_fields(body, "title", "text")
        return DocumentSource(text_field(body, "title"), text_field(body, "text"))
    limit = container_of(request).settings().knowledge_file_max_bytes
    async with request.form(max_files=1, max_fields=1, max_part_size=limit + 1) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequest(
                "a multipart document needs a `file` part", field="file", reason="required"
            )
        title = form.get("title") or ""
        if not isinstance(title, str):
            raise BadRequest("`title` must be text, not a file", field="title", reason="wrong_type")
        require_storable("title", title)
        filename = upload.filename or "document"
        require_storable("file name", filename)
        content = await upload.read(limit + 1)
        file = UploadedFile(filename, upload.content_type or "", content)
    return DocumentSource(title or None, None, file)


@agent_route()
@handles_bad_requests
async def search(request: Request, caller: Caller) -> Response:
    """The passages that best answer `q`, best first, with a score from 0 to 1 (agents)."""
    question = request.query_params.get("q", "")
    raw_limit = request.query_params.get("limit", str(DEFAULT_RESULTS))
    if not raw_limit.isascii() or not raw_limit.isdigit() or len(raw_limit) > 2:
        raise BadRequest(
            f"limit must be a whole number from 1 to {MAX_RESULTS}",
            field="limit",
            reason="out_of_range",
            params={"min": 1, "max": MAX_RESULTS},
        )
    require_storable("q", question)
    found = await container_of(request).search_knowledge()(
        caller.association_id, question, int(raw_limit)
    )
    return respond(found, lambda passages: {"items": [passage_view(p) for p in passages]})


@agent_route(admin=True)
async def list_documents(request: Request, caller: Caller) -> Response:
    """The association's documents and FAQ entries, newest first, without their text
    (admins)."""
    documents = await container_of(request).knowledge_documents().listed(caller.association_id)
    return JSONResponse({"items": [document_view(document) for document in documents]})


@accepts_files("knowledge_file_max_bytes")
@agent_route(admin=True, audit=AuditAction.KNOWLEDGE_DOCUMENT_ADDED)
@handles_bad_requests
async def add_document(request: Request, caller: Caller) -> Response:
    """Add a document: JSON `{"title", "text"}`, or a multipart `file` (Markdown, text, PDF or
    DOCX) with an optional `title` (default: the file's name); 201 with its passages' count
    (admins)."""
    source = await _document_source(request)
    locale = caller.identity.association.locale
    added = (
        await container_of(request).knowledge_documents().add(caller.association_id, source, locale)
    )
    if is_successful(added):
        note_audit(request, document_id=added.unwrap().id, chunks=added.unwrap().chunks)
    return respond(added, document_view, status=201)


@accepts_files("knowledge_file_max_bytes")
@agent_route(admin=True, audit=AuditAction.KNOWLEDGE_DOCUMENT_REPLACED, target="knowledge_document")
@handles_bad_requests
async def replace_document(request: Request, caller: Caller) -> Response:
    """Replace a document's title and text, as a JSON body or a file like when adding one
    (admins)."""
    source = await _document_source(request)
    locale = caller.identity.association.locale
    replaced = (
        await container_of(request)
        .knowledge_documents()
        .replace(caller.association_id, request.path_params["id"], source, locale)
    )
    if is_successful(replaced):
        note_audit(request, chunks=replaced.unwrap().chunks)
    return respond(replaced, document_view)


@agent_route(admin=True, audit=AuditAction.KNOWLEDGE_DOCUMENT_REMOVED, target="knowledge_document")
async def remove_document(request: Request, caller: Caller) -> Response:
    """Remove a document and its passages (admins)."""
    removed = (
        await container_of(request)
        .knowledge_documents()
        .remove(caller.association_id, request.path_params["id"])
    )
    return respond(removed, lambda _: {"deleted": request.path_params["id"]})


@agent_route(admin=True, audit=AuditAction.UNANSWERED_LISTED)
async def list_unanswered(request: Request, caller: Caller) -> Response:
    """The questions the documents could not answer, most asked first (admins)."""
    questions = await container_of(request).unanswered_questions().listed(caller.association_id)
    note_audit(request, question_ids=[question.id for question in questions])
    return JSONResponse({"items": [question_view(question) for question in questions]})


@agent_route(admin=True, audit=AuditAction.UNANSWERED_ANSWERED, target="unanswered_question")
@handles_bad_requests
async def answer_unanswered(request: Request, caller: Caller) -> Response:
    """Answer a question: `{"answer"}` becomes an FAQ entry titled with the question, which the
    assistant uses from then on; the question leaves the list; 201 with the entry (admins)."""
    body = await json_body(request)
    only_fields(body, "answer")
    answered = (
        await container_of(request)
        .unanswered_questions()
        .answer(caller.association_id, request.path_params["id"], text_field(body, "answer"))
    )
    if is_successful(answered):
        note_audit(request, document_id=answered.unwrap().id)
    return respond(answered, document_view, status=201)


@agent_route(admin=True, audit=AuditAction.QUESTION_TRIED)
@handles_bad_requests
async def try_question(request: Request, caller: Caller) -> Response:
    """What the assistant would answer `{"question"}` (at most 500 characters), from which
    documents, and the passages found with their scores; nothing is sent (admins)."""
    body = await json_body(request)
    only_fields(body, "question")
    question = text_field(body, "question")
    tried = await container_of(request).try_question()(caller.association_id, question)
    return respond(tried, tried_view)


routes = [
    Route(f"{PREFIX}/search", search, methods=["GET"]),
    Route(f"{PREFIX}/documents", list_documents, methods=["GET"]),
    Route(f"{PREFIX}/documents", add_document, methods=["POST"]),
    Route(f"{PREFIX}/documents/{{id}}", replace_document, methods=["PUT"]),
    Route(f"{PREFIX}/documents/{{id}}", remove_document, methods=["DELETE"]),
    Route(f"{PREFIX}/unanswered", list_unanswered, methods=["GET"]),
    Route(f"{PREFIX}/unanswered/{{id}}/answer", answer_unanswered, methods=["POST"]),
    Route(f"{PREFIX}/try", try_question, methods=["POST"]),
]
