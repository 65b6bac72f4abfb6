"""One bot turn (the debounced ``bot_turn`` job): answer what the contact said since the last
reply, or hand the conversation to the agents (architecture.md section 4).

- The bot speaks only while the conversation is ``bot``; the status is checked again in the
  transaction that queues the reply, so an agent who claims meanwhile is never talked over.
- Nor to a contact who opted out (checked the same way): the turn sends nothing, not even a
  handoff's transition message, and leaves the conversation as it is.
- What the rules decide without a model comes first (``turn_decision``): emergencies, the bot
  turned off, business hours, keywords, medical questions, media, voice notes, greetings, the
  maximum of bot turns. A voice note still being transcribed makes the turn wait.
- Otherwise the association's provider answers, given the passages of the association's
  documents relevant to the contact's question (greetings dropped). Text for an external
  provider has the personal data the association marks as sensitive masked, and the reply has
  it restored; the passages are the association's own text and go as they are.
- A reply is formatted for WhatsApp and split into messages; the bot's first reply in a
  conversation opens with the greeting for members or leads, unless the turn hands off;
  fields the model collected are stored on the contact.
- ``handoff`` or ``objective_complete`` from the model, or a provider failure
  (``ai_unavailable``), hands off; the contact is never left without an answer. An emergency
  marks the conversation urgent and alerts the agents; a question the documents could not
  answer is recorded for the admins once the turn is written.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wa_crm.domain.model.association import Association, BotSettings
from wa_crm.domain.model.conversation import Conversation, HandoffReason
from wa_crm.domain.model.formatting import split_message, to_whatsapp
from wa_crm.domain.model.job_commands import BotTurn
from wa_crm.domain.model.jobs import Attempt
from wa_crm.domain.model.knowledge import RELEVANT_SCORE, Passage
from wa_crm.domain.model.message import Author, Media, Message, MessageType
from wa_crm.domain.model.people import Contact, ContactKind, Patient
from wa_crm.domain.model.privacy import Masker
from wa_crm.domain.model.small_talk import salutation
from wa_crm.domain.usecases.bot.contact_said import new_inbound, question_in
from wa_crm.domain.usecases.bot.emergency import mark_emergency
from wa_crm.domain.usecases.bot.handoff import hand_off
from wa_crm.domain.usecases.bot.masking import unmask_reply
from wa_crm.domain.usecases.bot.turn_decision import TurnDecision, before_the_model, reading
from wa_crm.domain.usecases.bot.turn_request import turn_request
from wa_crm.domain.usecases.inbound.contacts import connection_of
from wa_crm.domain.usecases.inbound.voice_notes import awaiting_transcript
from wa_crm.domain.usecases.knowledge.limits import MAX_QUESTION
from wa_crm.domain.usecases.knowledge.search import SearchKnowledge
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.domain.usecases.privacy.consent import outbound_refusal
from wa_crm.ports.ai import (
    AIProvider,
    AIProviderError,
    BotReply,
)
from wa_crm.ports.knowledge import Embedder, KnowledgeBase
from wa_crm.ports.system import Clock, IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

HISTORY_LIMIT = 30
PASSAGES = 3
"""The most passages of the association's documents one turn is given."""
_log = logging.getLogger("wa_crm.bot")


@dataclass(frozen=True)
class RunBotTurn:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator
    providers: Mapping[str, AIProvider]
    breakers: GatewayBreakers
    knowledge: KnowledgeBase
    embedder: Embedder | None = None
    transcriber_available: bool = False
    """The deployment transcribes voice notes: a turn waits for a transcript still to come."""
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
        unanswered = new_inbound(history)
        if contact is None or contact.opted_out or not unanswered:
            return
        if any(awaiting_transcript(association, m, self.transcriber_available) for m in unanswered):
            return  # the transcription job queues this turn again once the text is stored
        decision = before_the_model(
            association.bot,
            association.locale,
            conversation,
            unanswered,
            self.clock.now(),
            self.breakers.is_down(connection_of(association)),
            _next_lead_question(association.bot, contact),
        ) or await self._ask(association, contact, patient, history, unanswered)
        greeted = any(message.author is Author.BOT for message in history)
        written = await self._apply(
            association, conversation_id, contact, patient, decision, greeted
        )
        if written and decision.unanswered:
            await self.knowledge.record_unanswered(
                association.id,
                decision.unanswered[:MAX_QUESTION],
                conversation_id,
                self.clock.now(),
            )

    async def _ask(
        self,
        association: Association,
        contact: Contact,
        patient: Patient | None,
        history: Sequence[Message],
        unanswered: Sequence[Message],
    ) -> TurnDecision:
        bot = association.bot
        question = question_in(unanswered)
        provider = self.providers.get(bot.provider)
        if provider is None:
            _log.error("AI provider not configured", extra={"provider": bot.provider})
            return TurnDecision(handoff=HandoffReason.AI_UNAVAILABLE, summary=question)
        masker = Masker(frozenset(bot.sensitive_data))
        passages = await self._passages(association.id, question)
        external = bot.provider not in self.local_providers
        request = turn_request(
            association, contact, patient, history, passages, masker if external else None
        )
        try:
            reply = await provider.reply(request)
        except AIProviderError as error:
            _log.warning(
                "AI provider failed", extra={"provider": bot.provider, "kind": error.kind.value}
            )
            return TurnDecision(handoff=HandoffReason.AI_UNAVAILABLE, summary=question)
        if external:
            reply = unmask_reply(reply, masker)
        return reading(bot, reply, question)

    async def _passages(self, association_id: str, question: str) -> tuple[Passage, ...]:
        """The relevant passages for the question, best first (``SearchKnowledge`` masks the
        question for an embedder, an external service; full text never leaves)."""
        if not question:
            return ()
        search = SearchKnowledge(self.knowledge, self.embedder)
        found = await search.passages(association_id, question, PASSAGES)
        return tuple(passage for passage in found if passage.score >= RELEVANT_SCORE)

    async def _apply(
        self,
        association: Association,
        conversation_id: str,
        contact: Contact,
        patient: Patient | None,
        decision: TurnDecision,
        greeted: bool,
    ) -> bool:
        """Write the decision in one transaction; False when the bot may no longer speak."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            conversation = await uow.conversations.get(association.id, conversation_id)
            if conversation is None or not conversation.bot_may_speak:
                return False  # an agent took the conversation while the model was thinking
            if await outbound_refusal(uow, conversation, Author.BOT) is not None:
                return False  # the contact opted out while the model was thinking
            reply = decision.reply
            texts: list[str] = []
            if reply is not None:
                greeting = not greeted and decision.handoff is None
                if greeting and decision.replaced_by_greeting:
                    texts.append(_greeting(association.bot, contact, patient))
                else:
                    opening = salutation(_greeting(association.bot, contact, patient))
                    if greeting and opening:  # an answer follows: no "how can we help?" first
                        texts.append(opening)
                    texts.append(reply.text)
            author = Author.SYSTEM if decision.urgent else Author.BOT  # never withheld
            for text in texts:
                for chunk in split_message(to_whatsapp(text)):
                    await queue_outbound(uow, self.ids, conversation, Outgoing(chunk, author), now)
            if reply is not None:
                contact = await self._attach_and_collect(
                    uow, association, conversation, contact, reply
                )
            if not decision.small_talk:
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
                    announce=not decision.announced,
                )
            if decision.urgent:
                await mark_emergency(uow, association.id, conversation, now)
            await uow.conversations.update(conversation)
            await uow.commit()
        return True

    async def _attach_and_collect(
        self,
        uow: UnitOfWork,
        association: Association,
        conversation: Conversation,
        contact: Contact,
        reply: BotReply,
    ) -> Contact:
        """Send the files the reply names and store the fields it collected; the contact as
        stored after that."""
        now = self.clock.now()
        for attachment in association.bot.attachments:
            if attachment.name in reply.attachments:
                media = Media(attachment.media_key, attachment.mimetype, attachment.filename)
                document = Outgoing(
                    attachment.caption, Author.BOT, _file_type(attachment.mimetype), media
                )
                await queue_outbound(uow, self.ids, conversation, document, now)
        if not reply.collected:
            return contact
        stored = await uow.contacts.get(association.id, contact.id)
        if stored is None:
            return contact
        stored.fields = {**stored.fields, **reply.collected}
        await uow.contacts.update(stored)
        return stored


def _greeting(bot: BotSettings, contact: Contact, patient: Patient | None) -> str:
    if contact.kind is ContactKind.MEMBER and patient is not None:
        return bot.greeting_member.replace("{first_name}", patient.first_name)
    return bot.greeting_lead


def _next_lead_question(bot: BotSettings, contact: Contact) -> str | None:
    """What a lead is asked next in the association's interview, if anything."""
    if contact.kind is not ContactKind.LEAD:
        return None
    pending = (q.question for q in bot.lead_questions if q.field not in contact.fields)
    return next(pending, None)


def _file_type(mimetype: str) -> MessageType:
    return MessageType.IMAGE if mimetype.startswith("image/") else MessageType.DOCUMENT
