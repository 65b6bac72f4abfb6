"""One bot turn (the debounced ``bot_turn`` job): answer what the contact said since the last
reply, or hand the conversation to the agents (architecture.md section 4).

- The bot speaks only while the conversation is ``bot``; the status is checked again in the
  transaction that queues the reply, so an agent who claims meanwhile is never talked over.
- Nor to a contact who opted out (checked the same way): the turn sends nothing, not even a
  handoff's transition message, and leaves the conversation as it is.
- Rules come first and need no model: a handoff keyword, media the bot cannot read, the
  association's maximum of bot turns, business hours, and a WhatsApp session whose circuit
  breaker is open (people will answer when it is back; the transition message waits in line).
- Otherwise the association's provider answers. Text for an external provider has the personal
  data the association marks as sensitive masked, and the reply has it restored.
- A reply is formatted for WhatsApp and split into messages; the bot's first reply in a
  conversation opens with the greeting for members or leads; fields the model collected are
  stored on the contact.
- ``handoff`` or ``objective_complete`` from the model, or a provider failure
  (``ai_unavailable``), hands off; the contact is never left without an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wa_crm.domain.model.association import Association, BotSettings
from wa_crm.domain.model.conversation import Conversation, HandoffReason
from wa_crm.domain.model.formatting import split_message, to_whatsapp
from wa_crm.domain.model.job_commands import BotTurn
from wa_crm.domain.model.jobs import Attempt
from wa_crm.domain.model.message import Author, Direction, Media, Message, MessageType
from wa_crm.domain.model.people import Contact, ContactKind, Patient
from wa_crm.domain.model.privacy import Masker
from wa_crm.domain.model.text import words
from wa_crm.domain.usecases.bot.handoff import hand_off
from wa_crm.domain.usecases.bot.masking import mask_values, unmask_reply
from wa_crm.domain.usecases.inbound.contacts import connection_of
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.domain.usecases.privacy.consent import outbound_refusal
from wa_crm.ports.ai import (
    AIProvider,
    AIProviderError,
    BotAction,
    BotReply,
    Speaker,
    TurnMessage,
    TurnRequest,
)
from wa_crm.ports.system import Clock, IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

HISTORY_LIMIT = 30
RECENT_ORDERS = 3
_log = logging.getLogger("wa_crm.bot")


@dataclass(frozen=True)
class _Decision:
    """What a turn decided before anything is written."""

    reply: BotReply | None = None
    handoff: HandoffReason | None = None
    summary: str = ""


def _new_inbound(history: Sequence[Message]) -> list[Message]:
    """The contact's messages since the last outbound one (history is oldest first)."""
    unanswered: list[Message] = []
    for message in reversed(history):
        if message.direction is not Direction.IN:
            break
        unanswered.append(message)
    return unanswered[::-1]


def _mentions_keyword(texts: Sequence[str], keywords: Sequence[str]) -> bool:
    said = set().union(*(words(text) for text in texts)) if texts else set()
    return any(words(keyword) and words(keyword) <= said for keyword in keywords)


def rules_first(
    bot: BotSettings, conversation: Conversation, unanswered: Sequence[Message], now: datetime
) -> HandoffReason | None:
    """The handoff rules that need no model, in order of precedence."""
    if not bot.enabled:
        return HandoffReason.BOT_DISABLED
    if not bot.may_answer(now):
        return HandoffReason.OUTSIDE_BUSINESS_HOURS
    if _mentions_keyword([m.body for m in unanswered], bot.handoff_keywords):
        return HandoffReason.KEYWORD
    if any(m.type is not MessageType.TEXT for m in unanswered):
        return HandoffReason.UNSUPPORTED_MEDIA
    if conversation.bot_turns >= bot.max_bot_turns:
        return HandoffReason.MAX_TURNS
    return None


def contact_context(contact: Contact, patient: Patient | None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "kind": contact.kind.value,
        "name": contact.display_name,
        "collected": dict(contact.fields),
    }
    if patient is not None and contact.kind is ContactKind.MEMBER:
        context["first_name"] = patient.first_name
        context["profile"] = dict(patient.profile)
        context["orders"] = [
            {
                "id": order.id,
                "date": order.date.isoformat(),
                "items": order.items,
                "total": str(order.total),
                "status": order.status,
            }
            for order in patient.orders[:RECENT_ORDERS]
        ]
    return context


@dataclass(frozen=True)
class RunBotTurn:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator
    providers: Mapping[str, AIProvider]
    breakers: GatewayBreakers
    local_providers: frozenset[str] = frozenset({"rules"})

    async def __call__(self, command: BotTurn, attempt: Attempt) -> None:
        association_id, conversation_id = command.association_id, command.conversation_id
        async with self.uow_factory() as uow:
            association = await uow.associations.get(association_id)
            conversation = await uow.conversations.get(association_id, conversation_id)
            if association is None or conversation is None or not conversation.bot_may_speak:
                return
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
        unanswered = _new_inbound(history)
        if contact is None or contact.opted_out or not unanswered:
            return
        decision = await self._decide(
            association, conversation, contact, patient, history, unanswered
        )
        greeted = any(message.author is Author.BOT for message in history)
        await self._apply(association, conversation_id, contact, patient, decision, greeted)

    async def _decide(
        self,
        association: Association,
        conversation: Conversation,
        contact: Contact,
        patient: Patient | None,
        history: Sequence[Message],
        unanswered: Sequence[Message],
    ) -> _Decision:
        bot, now = association.bot, self.clock.now()
        said = "\n".join(m.body for m in unanswered if m.body)
        rule = rules_first(bot, conversation, unanswered, now)
        if rule is None and self.breakers.is_down(connection_of(association)):
            rule = HandoffReason.DELIVERY_UNAVAILABLE  # a reply could not reach the contact now
        if rule is not None:
            return _Decision(handoff=rule, summary=said)
        provider = self.providers.get(bot.provider)
        if provider is None:
            _log.error("AI provider not configured", extra={"provider": bot.provider})
            return _Decision(handoff=HandoffReason.AI_UNAVAILABLE, summary=said)
        masker = (
            None if bot.provider in self.local_providers else Masker(frozenset(bot.sensitive_data))
        )
        request = self._request(association, contact, patient, history, masker)
        try:
            reply = await provider.reply(request)
        except AIProviderError as error:
            _log.warning(
                "AI provider failed", extra={"provider": bot.provider, "kind": error.kind.value}
            )
            return _Decision(handoff=HandoffReason.AI_UNAVAILABLE, summary=said)
        if masker is not None:
            reply = unmask_reply(reply, masker)
        if reply.action is BotAction.NONE:
            return _Decision(reply=reply)
        reason = (
            HandoffReason.OBJECTIVE_COMPLETE
            if reply.action is BotAction.OBJECTIVE_COMPLETE
            else HandoffReason.AI_REQUEST
        )
        return _Decision(reply=reply, handoff=reason, summary=reply.summary or said)

    def _request(
        self,
        association: Association,
        contact: Contact,
        patient: Patient | None,
        history: Sequence[Message],
        masker: Masker | None,
    ) -> TurnRequest:
        def hide(text: str) -> str:
            return masker.mask(text) if masker else text

        bot = association.bot
        turns = tuple(
            TurnMessage(
                Speaker.CONTACT if message.direction is Direction.IN else Speaker.ASSISTANT,
                hide(message.body),
            )
            for message in history
            if message.body
        )
        context = contact_context(contact, patient)
        if masker is not None:
            context = mask_values(context, masker)
        return TurnRequest(
            system_prompt=hide(bot.system_prompt),
            objective=hide(bot.objective),
            history=turns,
            contact=context,
            model=bot.model,
            locale=association.locale.value,
            lead_questions=bot.lead_questions,
            attachments=bot.attachments,
            completion_message=bot.objective_complete_message,
        )

    async def _apply(
        self,
        association: Association,
        conversation_id: str,
        contact: Contact,
        patient: Patient | None,
        decision: _Decision,
        greeted: bool,
    ) -> None:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            conversation = await uow.conversations.get(association.id, conversation_id)
            if conversation is None or not conversation.bot_may_speak:
                return  # an agent took the conversation while the model was thinking
            if await outbound_refusal(uow, conversation, Author.BOT) is not None:
                return  # the contact opted out while the model was thinking
            texts: list[str] = []
            reply = decision.reply
            if reply is not None:
                if not greeted:
                    texts.append(_greeting(association.bot, contact, patient))
                texts.append(reply.text)
            for text in texts:
                for chunk in split_message(to_whatsapp(text)):
                    await queue_outbound(
                        uow, self.ids, conversation, Outgoing(chunk, Author.BOT), now
                    )
            if reply is not None:
                for attachment in association.bot.attachments:
                    if attachment.name in reply.attachments:
                        media = Media(
                            attachment.media_key, attachment.mimetype, attachment.filename
                        )
                        document = Outgoing(
                            attachment.caption, Author.BOT, _file_type(attachment.mimetype), media
                        )
                        await queue_outbound(uow, self.ids, conversation, document, now)
                if reply.collected:
                    stored = await uow.contacts.get(association.id, contact.id)
                    if stored is not None:
                        stored.fields = {**stored.fields, **reply.collected}
                        await uow.contacts.update(stored)
                        contact = stored
            conversation.count_bot_turn()
            if decision.handoff is not None:
                await hand_off(
                    uow,
                    self.ids,
                    association,
                    conversation,
                    decision.handoff,
                    decision.summary,
                    contact.fields,
                    now,
                )
            await uow.conversations.update(conversation)
            await uow.commit()


def _greeting(bot: BotSettings, contact: Contact, patient: Patient | None) -> str:
    if contact.kind is ContactKind.MEMBER and patient is not None:
        return bot.greeting_member.replace("{first_name}", patient.first_name)
    return bot.greeting_lead


def _file_type(mimetype: str) -> MessageType:
    return MessageType.IMAGE if mimetype.startswith("image/") else MessageType.DOCUMENT
