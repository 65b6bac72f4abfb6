"""``RulesProvider``: the embedded assistant, with no network and no model.

The orchestrator has already answered greetings, applied the health guardrails and searched the
association's documents (``TurnRequest.passages``, best first); this assistant
(architecture.md section 4, item 3):

- tells a member asking about their order the latest order's status (``rules_intents``);
- answers from the best passage when it is relevant, quoting it and naming its title as the
  source (``rules_answers``); with no relevant passage it hands a member's question over with
  reason ``no_answer``, the question as the summary;
- interviews a lead with the association's lead questions, one per turn, collecting each answer
  under the question's field; when all are answered the objective is complete. A lead's question
  is answered from the passages (or noted for the team, reason ``no_answer``, the interview
  going on) and the next interview question follows in the same message; it is never collected
  as an answer;
- sends the configured attachments whose keywords the message mentions.

The provider is stateless: the question being answered is the last one the assistant asked,
and what was collected before comes in ``TurnRequest.contact["collected"]``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from wa_crm.adapters.ai.rules_answers import order_status, quote, relevant_passage
from wa_crm.adapters.ai.rules_intents import is_order_question, is_question
from wa_crm.domain.model.association import LeadQuestion
from wa_crm.domain.model.locale_format import is_english
from wa_crm.domain.model.text import normalized
from wa_crm.ports.ai import NO_ANSWER, BotAction, BotReply, Speaker, TurnRequest

SUMMARY_CHARS = 300

_TEXTS = {
    "pt-BR": {
        "attachment": "Segue o arquivo solicitado.",
        "noted": "Vou anotar sua pergunta para a equipe.",
    },
    "en": {
        "attachment": "Here is the file you asked for.",
        "noted": "I'll note your question for the team.",
    },
}


def _latest_contact_text(request: TurnRequest) -> str:
    pending: list[str] = []
    for message in reversed(request.history):
        if message.speaker is not Speaker.CONTACT:
            break
        pending.append(message.text)
    return "\n".join(reversed(pending)).strip()


def _last_assistant_text(request: TurnRequest) -> str:
    for message in reversed(request.history):
        if message.speaker is Speaker.ASSISTANT:
            return message.text
    return ""


def _summary(text: str) -> str:
    return " ".join(text.split())[:SUMMARY_CHARS]


class RulesProvider:
    async def reply(self, request: TurnRequest) -> BotReply:
        texts = _TEXTS["en" if is_english(request.locale) else "pt-BR"]
        latest = _latest_contact_text(request)
        attachments = self._attachments_for(request, latest)
        if request.contact.get("kind") == "lead":
            return self._interview(request, latest, attachments, texts)
        if is_order_question(latest):
            text = order_status(request.contact, request.locale)
            return BotReply(text, attachments=attachments)
        passage = relevant_passage(request.passages)
        if passage is not None:
            text = quote(latest, passage, request.locale)
            return BotReply(text, attachments=attachments, sources=(passage.title,))
        if attachments:
            return BotReply(texts["attachment"], attachments=attachments)
        return BotReply("", action=BotAction.HANDOFF, reason=NO_ANSWER, summary=_summary(latest))

    def _interview(
        self,
        request: TurnRequest,
        latest: str,
        attachments: tuple[str, ...],
        texts: dict[str, str],
    ) -> BotReply:
        collected = dict(request.contact.get("collected", {}))
        asking = bool(latest) and is_question(latest)
        learnt: dict[str, Any] = {}
        if latest and not asking:
            asked = _last_assistant_text(request)
            learnt = {
                question.field: latest
                for question in request.lead_questions
                if question.question in asked and question.field not in collected
            }
        collected.update(learnt)
        following = _next_question(request.lead_questions, collected)
        if asking:
            return self._lead_question(request, latest, attachments, texts, following)
        if following is not None:
            return BotReply(following.question, collected=learnt, attachments=attachments)
        return _complete(request.completion_message, collected, learnt, attachments)

    @staticmethod
    def _lead_question(
        request: TurnRequest,
        latest: str,
        attachments: tuple[str, ...],
        texts: dict[str, str],
        following: LeadQuestion | None,
    ) -> BotReply:
        """A lead's question: the answer (or a note for the team), then the interview's next
        question, last, so that the lead knows what to answer."""
        passage = relevant_passage(request.passages)
        if passage is None and following is None:
            return BotReply(
                "", action=BotAction.HANDOFF, reason=NO_ANSWER, summary=_summary(latest)
            )
        if passage is None:
            text = f"{texts['noted']}\n\n{following.question if following else ''}".strip()
            return BotReply(
                text, reason=NO_ANSWER, summary=_summary(latest), attachments=attachments
            )
        answer = quote(latest, passage, request.locale)
        if following is None:
            collected = dict(request.contact.get("collected", {}))
            text = f"{answer}\n\n{request.completion_message}".strip()
            completed = _complete(text, collected, {}, attachments)
            return replace(completed, sources=(passage.title,))
        return BotReply(
            f"{answer}\n\n{following.question}",
            attachments=attachments,
            sources=(passage.title,),
        )

    @staticmethod
    def _attachments_for(request: TurnRequest, text: str) -> tuple[str, ...]:
        words = normalized(text)
        return tuple(
            attachment.name
            for attachment in request.attachments
            if any(normalized(keyword) in words for keyword in attachment.keywords)
        )


def _complete(
    text: str, collected: dict[str, Any], learnt: dict[str, Any], attachments: tuple[str, ...]
) -> BotReply:
    return BotReply(
        text,
        action=BotAction.OBJECTIVE_COMPLETE,
        reason="lead questions answered",
        summary=_summary(" / ".join(f"{key}: {value}" for key, value in collected.items())),
        collected=learnt,
        attachments=attachments,
    )


def _next_question(
    questions: tuple[LeadQuestion, ...], collected: dict[str, Any]
) -> LeadQuestion | None:
    return next((question for question in questions if question.field not in collected), None)
