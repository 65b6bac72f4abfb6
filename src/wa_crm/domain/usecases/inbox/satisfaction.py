"""The satisfaction survey (``model/satisfaction``): asked when an agent resolves a WhatsApp
conversation, answered by the contact's next message.

A rating answer does not open a new conversation: it is stored in the resolved conversation it
rates, which records the rating, and the survey's thanks (if any) is queued there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.conversation import Channel, Conversation
from wa_crm.domain.model.message import Author, MessageType
from wa_crm.domain.model.people import Contact
from wa_crm.domain.model.satisfaction import parse_rating
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.domain.usecases.privacy.consent import outbound_refusal
from wa_crm.ports.system import IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWork


async def ask_for_rating(
    uow: UnitOfWork, ids: IdGenerator, conversation: Conversation, now: datetime
) -> None:
    """Within the unit of work that resolved the conversation: queue the question when the
    association asks one and the contact still accepts messages."""
    association = await uow.associations.get(conversation.association_id)
    survey = association.bot.satisfaction_survey if association else None
    question = survey.question.strip() if survey and survey.enabled else ""
    if not question or conversation.channel is not Channel.WHATSAPP:
        return
    if await outbound_refusal(uow, conversation, Author.SYSTEM) is not None:
        return
    await queue_outbound(uow, ids, conversation, Outgoing(question, Author.SYSTEM), now)
    conversation.ask_rating(now)


@dataclass(frozen=True)
class RatingAnswer:
    """An inbound message that answers the survey of ``conversation`` (locked): ingestion
    stores the message in that conversation, records the rating, then thanks the contact."""

    conversation: Conversation
    rating: int

    def record(self, now: datetime) -> None:
        self.conversation.rate(self.rating, now)

    async def thank(
        self, uow: UnitOfWork, ids: IdGenerator, association: Association, now: datetime
    ) -> None:
        """After the answer is stored, so that agents see it first."""
        thanks = association.bot.satisfaction_survey.thanks.strip()
        if thanks:
            await queue_outbound(uow, ids, self.conversation, Outgoing(thanks, Author.SYSTEM), now)
            await uow.conversations.update(self.conversation)


async def rating_answer(
    uow: UnitOfWork, contact: Contact, kind: MessageType, body: str, now: datetime
) -> RatingAnswer | None:
    """The rating this inbound message gives, if it is one and the contact's latest WhatsApp
    conversation awaits it; None for anything else (then it is an ordinary message)."""
    rating = parse_rating(body) if kind is MessageType.TEXT else None
    if rating is None:
        return None
    latest = next(
        (
            conversation
            for conversation in await uow.conversations.list_for_contact(
                contact.association_id, contact.id
            )
            if conversation.channel is Channel.WHATSAPP
        ),
        None,
    )
    if latest is None or not latest.awaits_rating(now):
        return None
    locked = await uow.conversations.get(contact.association_id, latest.id)
    if locked is None or not locked.awaits_rating(now):
        return None
    return RatingAnswer(locked, rating)
