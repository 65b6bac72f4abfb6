"""Searching the knowledge base (architecture.md section 4, item 3): agents look passages up,
and the admins' "try a question" sees what the assistant would be given.

With an ``Embedder`` configured the question's vector joins the search (the hybrid rank); an
embedder that fails leaves full text alone, so a search never fails for it. The embedder is an
external service: the question reaches it with documents, e-mails, phones and addresses masked
(a masked value carries no meaning a passage could match anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import DomainError
from wa_crm.domain.model.knowledge import Passage
from wa_crm.domain.model.privacy import Masker
from wa_crm.domain.usecases.knowledge.limits import question_of, results_limit
from wa_crm.ports.ai import AIProviderError
from wa_crm.ports.knowledge import Embedder, KnowledgeBase

_log = logging.getLogger("wa_crm.knowledge")


@dataclass(frozen=True)
class SearchKnowledge:
    knowledge: KnowledgeBase
    embedder: Embedder | None = None

    async def __call__(
        self, association_id: str, question: str, limit: int
    ) -> Result[Sequence[Passage], DomainError]:
        """The passages that best answer ``question``, best first, with their scores."""
        match question_of(question), results_limit(limit):
            case Success(valid_question), Success(valid_limit):
                pass
            case Failure(error), _:
                return Failure(error)
            case _, Failure(error):
                return Failure(error)
        return Success(await self.passages(association_id, valid_question, valid_limit))

    async def passages(self, association_id: str, question: str, limit: int) -> list[Passage]:
        """The search itself, for a question already checked."""
        embedding = await self._embedding(question)
        return await self.knowledge.search(association_id, question, limit, embedding)

    async def _embedding(self, question: str) -> list[float] | None:
        if self.embedder is None:
            return None
        try:
            return (await self.embedder.embed([Masker().mask(question)]))[0]
        except AIProviderError as error:
            _log.warning("Embedder failed; searching text only", extra={"kind": error.kind.value})
            return None
