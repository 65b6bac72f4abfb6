"""Ports of the knowledge base (architecture.md sections 3 and 4).

``KnowledgeBase`` keeps each association's documents, split into passages, and the questions
they could not answer; it is its own port, outside the unit of work: the assistant searches it
outside any transaction, and what it stores is the admins' reference text, not the CRM's
records. ``Embedder`` turns texts into vectors for the optional hybrid rank; ``DocumentReader``
turns an uploaded file into text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from wa_crm.domain.model.knowledge import KnowledgeDocument, Passage, UnansweredQuestion


class KnowledgeBase(Protocol):
    async def save(
        self,
        document: KnowledgeDocument,
        passages: Sequence[str],
        embeddings: Sequence[Sequence[float]] | None = None,
    ) -> None:
        """Add the document, or replace the one with its id (text, title and passages)."""
        ...

    async def remove(self, association_id: str, document_id: str) -> bool:
        """False when the association has no such document."""
        ...

    async def get(self, association_id: str, document_id: str) -> KnowledgeDocument | None: ...

    async def documents(self, association_id: str) -> list[KnowledgeDocument]:
        """Newest first."""
        ...

    async def search(
        self,
        association_id: str,
        question: str,
        limit: int,
        embedding: Sequence[float] | None = None,
    ) -> list[Passage]:
        """The passages that best answer ``question``, best first, at most ``limit``;
        with ``embedding`` (the question's), ranked by the hybrid of full-text and vector
        similarity."""
        ...

    async def record_unanswered(
        self, association_id: str, text: str, conversation_id: str | None, at: datetime
    ) -> UnansweredQuestion:
        """Record a question; the same question (any case, accents or punctuation) asked
        again is counted on its open record."""
        ...

    async def unanswered(self, association_id: str, limit: int) -> list[UnansweredQuestion]:
        """Open questions, most asked first, then most recent."""
        ...

    async def get_unanswered(
        self, association_id: str, question_id: str
    ) -> UnansweredQuestion | None: ...

    async def mark_answered(self, association_id: str, question_id: str, document_id: str) -> bool:
        """False when the association has no such open question."""
        ...

    async def unanswered_of_conversations(
        self, association_id: str, conversation_ids: Sequence[str]
    ) -> list[UnansweredQuestion]:
        """The questions recorded from these conversations, answered ones too, oldest first:
        what a contact's export lists (architecture.md section 11)."""
        ...

    async def forget_unanswered(self, association_id: str, conversation_ids: Sequence[str]) -> int:
        """Delete the questions recorded from these conversations (a contact's erasure),
        answered ones too; how many. Their FAQ documents stay: an admin wrote them. A question
        is recorded with the conversation that first asked it; the same question asked from
        another conversation only counted, so only the first asker's words are stored."""
        ...

    async def purge_unanswered_before(
        self, association_id: str, before: datetime, limit: int
    ) -> int:
        """Delete at most ``limit`` questions first asked strictly before ``before``
        (retention: the text is the first asker's words, however often asked since), answered
        ones too, oldest first; how many. Their FAQ documents stay."""
        ...


class Embedder(Protocol):
    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order; raises ``AIProviderError`` when none can be had."""
        ...


class UnreadableDocument(Exception):
    """The file is not of a kind we read, or its text cannot be extracted; says which.

    ``code`` is stable, for the caller's message in the admin's language: ``unsupported_type``,
    ``not_utf8``, ``encrypted``, ``damaged`` or ``no_text``; the message is for logs (English,
    never the file's content)."""

    def __init__(self, message: str, code: str = "unreadable") -> None:
        super().__init__(message)
        self.code = code


class DocumentReader(Protocol):
    def text_of(self, filename: str, content_type: str, content: bytes) -> str:
        """The file's text (Markdown, plain text, PDF or DOCX); raises UnreadableDocument."""
        ...
