"""Admins' documents in the knowledge base: added from a text or a file, replaced, removed,
listed (architecture.md section 4, item 3).

A document's text is split into passages (``knowledge_text.split_into_passages``), the units the
assistant is given. With an ``Embedder`` configured, every passage gets its vector for the hybrid
rank; an embedder that fails must not lose the admin's document, so it is stored without vectors
(full text still finds it) and the failure is logged. Adapters search a passage with its
document's title, so an FAQ entry is found by the words of the question it is titled with.

A file is read by the ``DocumentReader`` in a worker thread (a PDF of some megabytes takes a
while to parse, and the event loop serves everyone else meanwhile); a file it cannot read is an
``UnreadableFile`` whose message, in the association's language, says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Locale
from wa_crm.domain.model.errors import DomainError, UnknownDocument, UnreadableFile
from wa_crm.domain.model.knowledge import DocumentKind, KnowledgeDocument
from wa_crm.domain.model.knowledge_text import split_into_passages
from wa_crm.domain.usecases.knowledge.limits import MAX_TITLE, text_of, title_of
from wa_crm.ports.ai import AIProviderError
from wa_crm.ports.knowledge import DocumentReader, Embedder, KnowledgeBase, UnreadableDocument
from wa_crm.ports.system import Clock, IdGenerator

_log = logging.getLogger("wa_crm.knowledge")

_UNREADABLE: dict[str, dict[Locale, str]] = {
    "unsupported_type": {
        Locale.PT_BR: "Formato de arquivo não aceito: envie Markdown, texto, PDF ou DOCX.",
        Locale.EN: "File type not accepted: send Markdown, plain text, PDF or DOCX.",
    },
    "no_text": {
        Locale.PT_BR: "Não encontramos texto no arquivo (um PDF escaneado, por exemplo); "
        "cole o texto no formulário.",
        Locale.EN: "The file has no text we can read (a scanned PDF, say); paste the text "
        "in the form instead.",
    },
    "encrypted": {
        Locale.PT_BR: "O PDF está protegido por senha; envie uma cópia sem senha.",
        Locale.EN: "The PDF is password-protected; send a copy without a password.",
    },
    "damaged": {
        Locale.PT_BR: "O arquivo está corrompido ou incompleto; exporte-o de novo e envie.",
        Locale.EN: "The file is damaged or incomplete; export it again and send it.",
    },
    "too_large": {
        Locale.PT_BR: "O arquivo se expande para muito mais do que o texto de um documento; "
        "envie o texto em um arquivo menor.",
        Locale.EN: "The file unpacks to far more than a document's text; send the text in a "
        "smaller file.",
    },
    "not_utf8": {
        Locale.PT_BR: "O arquivo de texto não está em UTF-8; salve-o em UTF-8 e envie de novo.",
        Locale.EN: "The text file is not UTF-8; save it as UTF-8 and send it again.",
    },
}
_UNREADABLE_OTHERWISE = {
    Locale.PT_BR: "Não conseguimos ler o arquivo; verifique se ele abre e envie de novo.",
    Locale.EN: "We could not read the file; check that it opens and send it again.",
}


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class DocumentSource:
    """What an admin sends: a title and a text, or a file (its title defaults to the file's
    name without its extension)."""

    title: str | None = None
    text: str | None = None
    file: UploadedFile | None = None


@dataclass(frozen=True)
class KnowledgeDocuments:
    knowledge: KnowledgeBase
    reader: DocumentReader
    clock: Clock
    ids: IdGenerator
    embedder: Embedder | None = None

    async def listed(self, association_id: str) -> Sequence[KnowledgeDocument]:
        """Newest first."""
        return await self.knowledge.documents(association_id)

    async def add(
        self, association_id: str, source: DocumentSource, locale: Locale = Locale.PT_BR
    ) -> Result[KnowledgeDocument, DomainError]:
        match await self._content(source, locale):
            case Failure(error):
                return Failure(error)
            case Success((title, text)):
                pass
        now = self.clock.now()
        document = KnowledgeDocument(
            id=self.ids.new_id(),
            association_id=association_id,
            title=title,
            text=text,
            kind=DocumentKind.DOCUMENT,
            created_at=now,
            updated_at=now,
            filename=source.file.filename if source.file else None,
        )
        return Success(await self.store(document))

    async def replace(
        self,
        association_id: str,
        document_id: str,
        source: DocumentSource,
        locale: Locale = Locale.PT_BR,
    ) -> Result[KnowledgeDocument, DomainError]:
        """A new title and text for the document; it keeps its id, kind and creation time."""
        current = await self.knowledge.get(association_id, document_id)
        if current is None:
            return Failure(UnknownDocument(f"no document {document_id}"))
        match await self._content(source, locale):
            case Failure(error):
                return Failure(error)
            case Success((title, text)):
                pass
        changed = replace(
            current,
            title=title,
            text=text,
            updated_at=self.clock.now(),
            filename=source.file.filename if source.file else None,
        )
        return Success(await self.store(changed))

    async def remove(self, association_id: str, document_id: str) -> Result[None, DomainError]:
        if not await self.knowledge.remove(association_id, document_id):
            return Failure(UnknownDocument(f"no document {document_id}"))
        return Success(None)

    async def store(self, document: KnowledgeDocument) -> KnowledgeDocument:
        """Split, embed when an embedder is configured, and save; the document as saved, with
        its number of passages."""
        passages = split_into_passages(document.text)
        saved = replace(document, chunks=len(passages))
        await self.knowledge.save(saved, passages, await self._embeddings(passages))
        return saved

    async def _embeddings(self, passages: Sequence[str]) -> list[list[float]] | None:
        if self.embedder is None or not passages:
            return None
        try:
            return await self.embedder.embed(passages)
        except AIProviderError as error:
            _log.warning(
                "Embedder failed; document stored for full-text search only",
                extra={"kind": error.kind.value, "passages": len(passages)},
            )
            return None

    async def _content(
        self, source: DocumentSource, locale: Locale
    ) -> Result[tuple[str, str], DomainError]:
        """The title and text, checked; a file's text read by the reader."""
        text, title = source.text or "", source.title
        if source.file is not None:
            upload = source.file
            try:
                text = await asyncio.to_thread(
                    self.reader.text_of, upload.filename, upload.content_type, upload.content
                )
            except UnreadableDocument as error:
                _log.info("Uploaded document refused", extra={"reason": error.code})
                messages = _UNREADABLE.get(error.code, _UNREADABLE_OTHERWISE)
                return Failure(UnreadableFile(messages[locale]))
            if not (title or "").strip():
                title = title_from_filename(upload.filename)
        match title_of(title or ""), text_of(text):
            case Success(valid_title), Success(valid_text):
                return Success((valid_title, valid_text))
            case Failure(error), _:
                return Failure(error)
            case _, Failure(error):
                return Failure(error)
        raise AssertionError("unreachable")


def title_from_filename(filename: str) -> str:
    """``Regras de entrega.pdf`` → ``Regras de entrega`` (folders a browser sent dropped)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem = name.rsplit(".", 1)[0].strip() if "." in name.lstrip(".") else name
    return stem[:MAX_TITLE]
