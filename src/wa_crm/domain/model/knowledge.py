"""The association's knowledge base: documents, the passages they are split into, and the
questions its documents could not answer (architecture.md section 4, item 3).

Search is full-text with Portuguese stemming where accents do not matter; every adapter ranks
its candidates with the same scorer (``knowledge_text``), so memory, SQLite and PostgreSQL
agree on the best passages for the same question. A passage whose score is below
``RELEVANT_SCORE`` does not answer the question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

RELEVANT_SCORE = 0.3
"""The least score (0 to 1) of a passage the assistant answers from: the passage holds at
least this share of the question's idf-weighted terms (``knowledge_text.rank_passages``).
Calibrated on tests/contract/knowledge's corpus: the on-topic questions' best passages score
0.32 to 1 (a question with one word no document has, "que dosagem eu uso?", stays above),
the off-topic ones find nothing or under 0.26 ("qual a cor da sede da associação?")."""


class DocumentKind(StrEnum):
    DOCUMENT = "document"
    """Added by an admin: a text, or a Markdown, text, PDF or DOCX file."""
    FAQ = "faq"
    """An admin's answer to a question the documents could not answer."""


@dataclass(frozen=True)
class KnowledgeDocument:
    id: str
    association_id: str
    title: str
    text: str
    kind: DocumentKind
    created_at: datetime
    updated_at: datetime
    chunks: int = 0
    """How many passages the text was split into."""
    filename: str | None = None
    """The uploaded file's name, when the text came from one."""


@dataclass(frozen=True)
class Passage:
    """A piece of a document found for a question, best first; ``score`` from 0 to 1."""

    document_id: str
    title: str
    text: str
    score: float


@dataclass(frozen=True)
class UnansweredQuestion:
    """A question the documents could not answer; asked again, it is counted, not repeated."""

    id: str
    association_id: str
    text: str
    conversation_id: str | None
    first_asked_at: datetime
    last_asked_at: datetime
    times_asked: int = 1
    answered_by: str | None = None
    """The FAQ document an admin answered it with; answered questions leave the list."""
