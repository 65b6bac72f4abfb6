"""The questions the documents could not answer, as admins work them (architecture.md
section 4, item 3): listed most asked first; answered, the answer becomes an FAQ entry titled
with the question, which the assistant uses from then on, and the question leaves the list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import DomainError, UnknownQuestion
from wa_crm.domain.model.knowledge import DocumentKind, KnowledgeDocument, UnansweredQuestion
from wa_crm.domain.usecases.knowledge.documents import KnowledgeDocuments
from wa_crm.domain.usecases.knowledge.limits import MAX_TITLE, text_of
from wa_crm.ports.knowledge import KnowledgeBase

LISTED = 100
"""The most open questions listed at once."""


@dataclass(frozen=True)
class UnansweredQuestions:
    knowledge: KnowledgeBase
    documents: KnowledgeDocuments

    async def listed(self, association_id: str) -> Sequence[UnansweredQuestion]:
        return await self.knowledge.unanswered(association_id, LISTED)

    async def answer(
        self, association_id: str, question_id: str, answer: str
    ) -> Result[KnowledgeDocument, DomainError]:
        """The FAQ entry made of the question and ``answer``. Two admins answering the same
        question at once: the second gets ``UnknownQuestion`` and its entry is taken back."""
        match text_of(answer):
            case Failure(error):
                return Failure(error)
            case Success(text):
                pass
        question = await self.knowledge.get_unanswered(association_id, question_id)
        if question is None or question.answered_by is not None:
            return Failure(_unknown(question_id))
        now = self.documents.clock.now()
        faq = await self.documents.store(
            KnowledgeDocument(
                id=self.documents.ids.new_id(),
                association_id=association_id,
                title=question.text.strip()[:MAX_TITLE],
                text=text,
                kind=DocumentKind.FAQ,
                created_at=now,
                updated_at=now,
            )
        )
        if not await self.knowledge.mark_answered(association_id, question_id, faq.id):
            await self.knowledge.remove(association_id, faq.id)
            return Failure(_unknown(question_id))
        return Success(faq)


def _unknown(question_id: str) -> UnknownQuestion:
    return UnknownQuestion(f"no open question {question_id}")
