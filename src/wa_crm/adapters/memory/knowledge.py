"""The KnowledgeBase port in dicts, for tests and the library without a database
(architecture.md section 3).

Every passage of the association holding a question's term is a candidate, ranked with the
shared scorer (``knowledge_text.rank_passages``) as the SQL adapters rank theirs, so all of them
agree on the best passages.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from wa_crm.domain.model.knowledge import KnowledgeDocument, Passage, UnansweredQuestion
from wa_crm.domain.model.knowledge_text import (
    Candidate,
    best_passages,
    question_key,
    question_terms,
    search_terms,
    stored_embedding,
)


@dataclass(frozen=True)
class _Stored:
    document: KnowledgeDocument
    passages: tuple[Candidate, ...]


class InMemoryKnowledgeBase:
    def __init__(self) -> None:
        self._documents: dict[tuple[str, str], _Stored] = {}
        self._unanswered: dict[tuple[str, str], tuple[str, UnansweredQuestion]] = {}

    async def save(
        self,
        document: KnowledgeDocument,
        passages: Sequence[str],
        embeddings: Sequence[Sequence[float]] | None = None,
    ) -> None:
        if embeddings is not None and len(embeddings) != len(passages):
            raise ValueError("one embedding per passage")
        candidates = tuple(
            Candidate(
                document_id=document.id,
                position=position,
                title=document.title,
                text=text,
                terms=tuple(search_terms(f"{document.title}\n{text}")),
                embedding=None if embeddings is None else stored_embedding(embeddings[position]),
            )
            for position, text in enumerate(passages)
        )
        key = (document.association_id, document.id)
        replaced = self._documents.get(key)
        created_at = replaced.document.created_at if replaced else document.created_at
        stored = replace(document, chunks=len(passages), created_at=created_at)
        self._documents[key] = _Stored(stored, candidates)

    async def remove(self, association_id: str, document_id: str) -> bool:
        return self._documents.pop((association_id, document_id), None) is not None

    async def get(self, association_id: str, document_id: str) -> KnowledgeDocument | None:
        stored = self._documents.get((association_id, document_id))
        return stored.document if stored else None

    async def documents(self, association_id: str) -> list[KnowledgeDocument]:
        mine = [s.document for (a, _), s in self._documents.items() if a == association_id]
        return sorted(mine, key=lambda d: (d.created_at, d.id), reverse=True)

    async def search(
        self,
        association_id: str,
        question: str,
        limit: int,
        embedding: Sequence[float] | None = None,
    ) -> list[Passage]:
        passages = [
            candidate
            for (owner, _), stored in self._documents.items()
            if owner == association_id
            for candidate in stored.passages
        ]
        terms = question_terms(question)
        candidates = [
            candidate
            for candidate in passages
            if not set(terms).isdisjoint(candidate.terms)
            or (embedding is not None and candidate.embedding is not None)
        ]
        return best_passages(question, candidates, len(passages), limit, embedding)

    async def record_unanswered(
        self, association_id: str, text: str, conversation_id: str | None, at: datetime
    ) -> UnansweredQuestion:
        key = question_key(text)
        for (owner, _), (stored_key, question) in self._unanswered.items():
            if owner == association_id and stored_key == key and question.answered_by is None:
                counted = replace(question, times_asked=question.times_asked + 1, last_asked_at=at)
                self._unanswered[(owner, question.id)] = (key, counted)
                return counted
        question = UnansweredQuestion(
            id=str(uuid.uuid4()),
            association_id=association_id,
            text=text,
            conversation_id=conversation_id,
            first_asked_at=at,
            last_asked_at=at,
        )
        self._unanswered[(association_id, question.id)] = (key, question)
        return question

    async def unanswered(self, association_id: str, limit: int) -> list[UnansweredQuestion]:
        open_questions = [
            question
            for (owner, _), (_, question) in self._unanswered.items()
            if owner == association_id and question.answered_by is None
        ]
        open_questions.sort(key=lambda q: (-q.times_asked, -q.last_asked_at.timestamp(), q.id))
        return open_questions[:limit]

    async def get_unanswered(
        self, association_id: str, question_id: str
    ) -> UnansweredQuestion | None:
        stored = self._unanswered.get((association_id, question_id))
        return stored[1] if stored else None

    async def mark_answered(self, association_id: str, question_id: str, document_id: str) -> bool:
        stored = self._unanswered.get((association_id, question_id))
        if stored is None or stored[1].answered_by is not None:
            return False
        key, question = stored
        self._unanswered[(association_id, question_id)] = (
            key,
            replace(question, answered_by=document_id),
        )
        return True

    async def unanswered_of_conversations(
        self, association_id: str, conversation_ids: Sequence[str]
    ) -> list[UnansweredQuestion]:
        wanted = set(conversation_ids)
        found = [
            question
            for (owner, _), (_, question) in self._unanswered.items()
            if owner == association_id and question.conversation_id in wanted
        ]
        return sorted(found, key=lambda q: (q.first_asked_at, q.id))

    async def forget_unanswered(self, association_id: str, conversation_ids: Sequence[str]) -> int:
        forgotten = await self.unanswered_of_conversations(association_id, conversation_ids)
        for question in forgotten:
            del self._unanswered[(association_id, question.id)]
        return len(forgotten)

    async def purge_unanswered_before(
        self, association_id: str, before: datetime, limit: int
    ) -> int:
        expired = sorted(
            (
                question
                for (owner, _), (_, question) in self._unanswered.items()
                if owner == association_id and question.first_asked_at < before
            ),
            key=lambda q: (q.first_asked_at, q.id),
        )[: max(limit, 0)]
        for question in expired:
            del self._unanswered[(association_id, question.id)]
        return len(expired)
