"""The agents' assistant (architecture.md sections 4 and 7): a reply drafted for the agent, and
a summary of the conversation saved as a private note.

- Both ask the association's model, with what the bot turn would give it: the recent
  conversation, the contact as the bot knows them (``contact_context``), the association's
  prompt; the draft also gets the knowledge base's passages for the contact's last messages.
  Personal data is masked as for a bot turn (``bot/masking``), and restored in the answer.
- A draft is only returned: the agent edits it and sends it, or not. The summary is a note by
  the agent who asked for it, so it shows to the other agents like any note.
- Only a model may draft: an association whose assistant is the local ``rules`` provider (or
  one this server has no key for) is refused with ``AssistUnavailable``; a model that fails
  gives ``AIUnavailable`` and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import BotSettings, Locale
from wa_crm.domain.model.errors import (
    AIUnavailable,
    AssistUnavailable,
    DomainError,
    UnknownConversation,
)
from wa_crm.domain.model.knowledge import RELEVANT_SCORE, Passage
from wa_crm.domain.model.message import Direction, Message
from wa_crm.domain.model.note import MAX_NOTE_LENGTH
from wa_crm.domain.model.privacy import Masker
from wa_crm.domain.usecases.bot.bot_turn import HISTORY_LIMIT
from wa_crm.domain.usecases.bot.masking import mask_values, unmask_reply
from wa_crm.domain.usecases.bot.turn_request import contact_context
from wa_crm.domain.usecases.inbox.notes import AuthoredNote, Notes
from wa_crm.domain.usecases.knowledge.search import SearchKnowledge
from wa_crm.ports.ai import (
    AIProvider,
    AIProviderError,
    BotReply,
    Speaker,
    TurnMessage,
    TurnRequest,
    TurnTask,
)
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

PASSAGES = 4
"""The most passages a draft is written from."""
QUESTION_MESSAGES = 3
"""How many of the contact's last messages the knowledge base is asked about."""

_UNAVAILABLE = {
    Locale.PT_BR: "O assistente precisa de um modelo de IA (OpenAI ou Anthropic): "
    "escolha um nas configurações do assistente.",
    Locale.EN: "The assistant needs an AI model (OpenAI or Anthropic): choose one in the "
    "assistant's settings.",
}
_FAILED = {
    Locale.PT_BR: "O modelo de IA não respondeu agora; tente de novo em instantes.",
    Locale.EN: "The AI model did not answer just now; try again in a moment.",
}
_SUMMARY_HEADING = {
    Locale.PT_BR: "Resumo do assistente:",
    Locale.EN: "Assistant's summary:",
}
_log = logging.getLogger("wa_crm.assist")


@dataclass(frozen=True)
class Suggestion:
    """A draft for the agent; ``sources``: titles of the documents it came from."""

    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class _Asked:
    reply: BotReply
    passages: tuple[Passage, ...]
    locale: Locale


@dataclass(frozen=True)
class AgentAssist:
    uow_factory: UnitOfWorkFactory
    providers: Mapping[str, AIProvider]
    search: SearchKnowledge
    notes: Notes
    local_providers: frozenset[str] = frozenset({"rules"})

    def offers(self, bot: BotSettings) -> bool:
        """Whether the assistant drafts for an association with these settings: its provider
        is a model this server has configured (the inbox shows the buttons only then)."""
        return bot.provider in self.providers and bot.provider not in self.local_providers

    async def suggest_reply(
        self, association_id: str, conversation_id: str
    ) -> Result[Suggestion, DomainError]:
        """A draft answer to the contact; never sent."""
        asked = await self._ask(association_id, conversation_id, TurnTask.SUGGEST_REPLY)
        return asked.map(lambda asked: Suggestion(asked.reply.text.strip(), _sources(asked)))

    async def summarize(
        self, association_id: str, conversation_id: str, agent_id: str
    ) -> Result[AuthoredNote, DomainError]:
        """The conversation summed up in a private note by ``agent_id``."""
        asked = await self._ask(association_id, conversation_id, TurnTask.SUMMARIZE)
        if not is_successful(asked):
            return Failure(asked.failure())
        summary, locale = asked.unwrap().reply.text.strip(), asked.unwrap().locale
        text = f"{_SUMMARY_HEADING[locale]}\n{summary}"[:MAX_NOTE_LENGTH]
        return await self.notes.add(association_id, conversation_id, agent_id, text)

    async def _ask(
        self, association_id: str, conversation_id: str, task: TurnTask
    ) -> Result[_Asked, DomainError]:
        async with self.uow_factory() as uow:
            association = await uow.associations.get(association_id)
            conversation = await uow.conversations.get(association_id, conversation_id)
            if association is None or conversation is None:
                return Failure(UnknownConversation(f"no conversation {conversation_id}"))
            contact = await uow.contacts.get(association_id, conversation.contact_id)
            patient = (
                await uow.patients.get(association_id, contact.patient_id)
                if contact and contact.patient_id
                else None
            )
            history = list(
                reversed(
                    await uow.messages.list_for_conversation(
                        association_id, conversation_id, before=None, limit=HISTORY_LIMIT
                    )
                )
            )
        bot, locale = association.bot, association.locale
        if not self.offers(bot):
            return Failure(AssistUnavailable(_UNAVAILABLE[locale]))
        provider = self.providers[bot.provider]
        masker = Masker(frozenset(bot.sensitive_data))
        try:
            passages = (
                await self._passages(association_id, history, masker)
                if task is TurnTask.SUGGEST_REPLY
                else ()
            )
            request = TurnRequest(
                system_prompt=masker.mask(bot.system_prompt),
                objective=masker.mask(bot.objective),
                history=_turns(history, masker),
                contact=mask_values(contact_context(contact, patient), masker) if contact else {},
                model=bot.model,
                locale=locale.value,
                passages=passages,
                task=task,
            )
            reply = unmask_reply(await provider.reply(request), masker)
        except AIProviderError as error:
            _log.warning(
                "AI provider failed an agent's request",
                extra={"provider": bot.provider, "kind": error.kind.value, "task": task.value},
            )
            return Failure(AIUnavailable(_FAILED[locale]))
        if not reply.text.strip():
            _log.warning("AI provider answered nothing", extra={"task": task.value})
            return Failure(AIUnavailable(_FAILED[locale]))
        return Success(_Asked(reply, passages, locale))

    async def _passages(
        self, association_id: str, history: Sequence[Message], masker: Masker
    ) -> tuple[Passage, ...]:
        """The relevant passages for the contact's last messages, each searched alone (a
        greeting beside a question would dilute its score), best first. Searched masked: the
        embedder is an external service."""
        said = [_text(m) for m in history if m.direction is Direction.IN and _text(m)]
        best: dict[tuple[str, str], Passage] = {}
        for text in said[-QUESTION_MESSAGES:]:
            for passage in await self.search.passages(association_id, masker.mask(text), PASSAGES):
                key = (passage.document_id, passage.text)
                if passage.score >= RELEVANT_SCORE and passage.score > _score(best.get(key)):
                    best[key] = passage
        ranked = sorted(best.values(), key=lambda passage: passage.score, reverse=True)
        return tuple(ranked[:PASSAGES])


def _turns(history: Sequence[Message], masker: Masker) -> tuple[TurnMessage, ...]:
    """The conversation as the model reads it: the contact, and the association (bot and
    agents) answering."""
    return tuple(
        TurnMessage(
            Speaker.CONTACT if message.direction is Direction.IN else Speaker.ASSISTANT,
            masker.mask(_text(message)),
        )
        for message in history
        if _text(message)
    )


def _text(message: Message) -> str:
    """What a message says: its text, caption, or a voice note's transcript."""
    return message.body or message.transcript or ""


def _score(passage: Passage | None) -> float:
    return -1.0 if passage is None else passage.score


def _sources(asked: _Asked) -> tuple[str, ...]:
    """The titles the model named that are among the passages it was given, in its order."""
    given = {passage.title for passage in asked.passages}
    return tuple(dict.fromkeys(title for title in asked.reply.sources if title in given))
