"""An admin tries a question on the association's assistant (architecture.md section 4): what
it would answer a contact who asked it, from which documents, and the passages it was given.

The request is the bot turn's, for a contact who says only the question: the association's
prompt and objective, and the passages found for the question that are relevant (score at
least ``RELEVANT_SCORE``). The page also shows the passages that were found but fell short, with
their scores, so an admin sees why a document did or did not answer. An external model gets the
text masked as in a bot turn. Nothing is recorded and nothing is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Locale
from wa_crm.domain.model.errors import AIUnavailable, DomainError, UnknownAssociation
from wa_crm.domain.model.knowledge import RELEVANT_SCORE, Passage
from wa_crm.domain.model.privacy import Masker
from wa_crm.domain.usecases.bot.masking import unmask_reply
from wa_crm.domain.usecases.knowledge.limits import question_of
from wa_crm.domain.usecases.knowledge.search import SearchKnowledge
from wa_crm.ports.ai import (
    AIProvider,
    AIProviderError,
    BotAction,
    Speaker,
    TurnMessage,
    TurnRequest,
)
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

FOUND = 5
"""How many passages are looked up (and shown) for a tried question."""

_FAILED = {
    Locale.PT_BR: "O assistente não respondeu agora; tente de novo em instantes.",
    Locale.EN: "The assistant did not answer just now; try again in a moment.",
}
_log = logging.getLogger("wa_crm.knowledge")


@dataclass(frozen=True)
class TriedQuestion:
    text: str
    action: BotAction
    reason: str
    sources: tuple[str, ...]
    """Titles of the documents the answer came from (among the passages given)."""
    passages: tuple[Passage, ...]
    """Every passage found, best first, relevant or not."""


@dataclass(frozen=True)
class TryQuestion:
    uow_factory: UnitOfWorkFactory
    providers: Mapping[str, AIProvider]
    search: SearchKnowledge
    local_providers: frozenset[str] = frozenset({"rules"})

    async def __call__(
        self, association_id: str, question: str
    ) -> Result[TriedQuestion, DomainError]:
        match question_of(question):
            case Failure(error):
                return Failure(error)
            case Success(valid):
                pass
        async with self.uow_factory() as uow:
            association = await uow.associations.get(association_id)
        if association is None:
            return Failure(UnknownAssociation(f"no association {association_id}"))
        bot, locale = association.bot, association.locale
        found = tuple(await self.search.passages(association_id, valid, FOUND))
        given = tuple(passage for passage in found if passage.score >= RELEVANT_SCORE)
        provider = self.providers.get(bot.provider)
        if provider is None:
            _log.error("AI provider not configured", extra={"provider": bot.provider})
            return Failure(AIUnavailable(_FAILED[locale]))
        local = bot.provider in self.local_providers
        masker = Masker(frozenset(() if local else bot.sensitive_data))
        request = TurnRequest(
            system_prompt=masker.mask(bot.system_prompt),
            objective=masker.mask(bot.objective),
            history=(TurnMessage(Speaker.CONTACT, masker.mask(valid)),),
            model=bot.model,
            locale=locale.value,
            lead_questions=bot.lead_questions,
            attachments=bot.attachments,
            completion_message=bot.objective_complete_message,
            passages=given,
        )
        try:
            reply = unmask_reply(await provider.reply(request), masker)
        except AIProviderError as error:
            _log.warning(
                "AI provider failed a tried question",
                extra={"provider": bot.provider, "kind": error.kind.value},
            )
            return Failure(AIUnavailable(_FAILED[locale]))
        titles = {passage.title for passage in given}
        sources = tuple(dict.fromkeys(title for title in reply.sources if title in titles))
        return Success(
            TriedQuestion(reply.text.strip(), reply.action, reply.reason, sources, found)
        )
