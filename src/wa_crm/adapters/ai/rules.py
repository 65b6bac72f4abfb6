"""``RulesProvider``: the embedded assistant, with no network and no model.

- A lead is asked the association's lead questions one per turn; each answer is collected
  under the question's field, and when all are answered the objective is complete.
- A member asking about orders gets the latest order's status; a message that mentions an
  attachment's keyword gets that attachment; anything else goes to a person.

The provider is stateless: the question being answered is the last one the assistant asked,
and what was collected before comes in ``TurnRequest.contact["collected"]``.
"""

from __future__ import annotations

from typing import Any

from wa_crm.domain.model.text import normalized
from wa_crm.ports.ai import BotAction, BotReply, Speaker, TurnRequest

ORDER_WORDS = ("pedido", "entrega", "encomenda", "compra", "order", "delivery", "rastreio")

_TEXTS = {
    "pt-BR": {
        "order": "Seu último pedido ({id}, de {date}) está: {status}. Itens: {items}.",
        "no_order": "Não encontrei pedidos no seu cadastro.",
        "unknown": "Vou chamar alguém da equipe para ajudar com isso.",
        "attachment": "Segue o arquivo solicitado.",
    },
    "en": {
        "order": "Your latest order ({id}, from {date}) is: {status}. Items: {items}.",
        "no_order": "I found no orders on your record.",
        "unknown": "I'll ask someone from the team to help with that.",
        "attachment": "Here is the file you asked for.",
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


class RulesProvider:
    async def reply(self, request: TurnRequest) -> BotReply:
        texts = _TEXTS.get(request.locale, _TEXTS["pt-BR"])
        latest = _latest_contact_text(request)
        attachments = self._attachments_for(request, latest)
        if request.contact.get("kind") == "lead":
            return self._interview(request, latest, attachments)
        if any(word in normalized(latest) for word in ORDER_WORDS):
            return BotReply(self._order_status(request.contact, texts), attachments=attachments)
        if attachments:
            return BotReply(texts["attachment"], attachments=attachments)
        summary = latest.splitlines()[0][:160] if latest else ""
        return BotReply(
            texts["unknown"], action=BotAction.HANDOFF, reason="no rule matched", summary=summary
        )

    def _interview(
        self, request: TurnRequest, latest: str, attachments: tuple[str, ...]
    ) -> BotReply:
        questions = request.lead_questions
        collected = dict(request.contact.get("collected", {}))
        learnt: dict[str, Any] = {}
        asked = _last_assistant_text(request)
        for question in questions:
            if question.question in asked and question.field not in collected and latest:
                learnt[question.field] = latest
        collected.update(learnt)
        for question in questions:
            if question.field not in collected:
                return BotReply(question.question, collected=learnt, attachments=attachments)
        summary = " / ".join(f"{key}: {value}" for key, value in collected.items())[:300]
        return BotReply(
            request.completion_message,
            action=BotAction.OBJECTIVE_COMPLETE,
            reason="lead questions answered",
            summary=summary,
            collected=learnt,
            attachments=attachments,
        )

    @staticmethod
    def _order_status(contact: dict[str, Any], texts: dict[str, str]) -> str:
        orders = contact.get("orders") or []
        if not orders:
            return texts["no_order"]
        latest = orders[0]
        return texts["order"].format(
            id=latest["id"], date=latest["date"], status=latest["status"], items=latest["items"]
        )

    @staticmethod
    def _attachments_for(request: TurnRequest, text: str) -> tuple[str, ...]:
        words = normalized(text)
        return tuple(
            attachment.name
            for attachment in request.attachments
            if any(normalized(keyword) in words for keyword in attachment.keywords)
        )
