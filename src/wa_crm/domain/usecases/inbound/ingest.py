"""Ingesting WhatsApp events, already translated from WAHA's wire format by the adapter.

- One transaction per event; the webhook acknowledges only after it commits.
- Idempotent: an event id is processed once, and a WhatsApp message id is stored once per
  association (a unique constraint decides between concurrent duplicates).
- An event sent far outside the accepted window (``EventWindow``) is a replay: it is refused
  before anything is read or stored, and logged without its content.
- Groups, status broadcasts, broadcast lists and newsletters are ignored (and counted).
- A new sender becomes a contact: a member when an active patient owns the number (either
  Brazilian ninth-digit form), else a lead. A ``@lid`` sender is kept by its lid, and a job
  resolves its phone through WAHA.
- An inbound message goes to the contact's open conversation or opens one (with the bot when it
  may answer, else pending); in a bot conversation it (re)schedules the debounced bot turn,
  unless the contact opted out; in one the bot does not answer, an emergency still gets the
  emergency numbers and alerts the agents (``bot/emergency``). A message that is only an
  opt-out or opt-in keyword records the contact's choice and is answered with its confirmation
  instead (``privacy/consent``).
  It also ends a snooze. A message that answers a satisfaction survey is stored in the resolved
  conversation it rates, which records the rating, and opens no new one (satisfaction.py).
- Our own messages (``fromMe``): one we sent updates our stored message; one typed on the
  association's phone is stored as an agent message and takes the conversation from the bot.
- Acks move message status forward only; one for a message whose WhatsApp id is not stored yet
  (it overtook our send's answer) is kept until it is (``early_acks``). Revokes and edits
  update the stored message.
- A reaction is kept on the message it reacts to, one per side of the chat (the newest), and
  published as ``message.updated`` with the message's reactions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from returns.result import Result, Success

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.conversation import Channel, Conversation, HandoffReason
from wa_crm.domain.model.errors import DomainError
from wa_crm.domain.model.event_window import EventWindow, OutOfWindow
from wa_crm.domain.model.events import ContactTyping
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import BotTurn, FetchMedia, ResolveLid
from wa_crm.domain.model.message import (
    Author,
    Direction,
    Message,
    MessageStatus,
    MessageType,
    Reaction,
)
from wa_crm.domain.model.people import Contact
from wa_crm.domain.model.phone import ChatId, ChatKind
from wa_crm.domain.model.whatsapp_events import (
    ContactPresence,
    DeliveryAck,
    InboundMessage,
    IncomingEvent,
    MessageEdited,
    MessageReacted,
    MessageRevoked,
    SessionStatusReport,
    WhatsAppEvent,
)
from wa_crm.domain.usecases.bot.emergency import emergency_without_the_bot
from wa_crm.domain.usecases.inbound.early_acks import apply_early_ack
from wa_crm.domain.usecases.inbound.reactions import show_reactions
from wa_crm.domain.usecases.inbox.assignment import request_assignment
from wa_crm.domain.usecases.inbox.satisfaction import rating_answer
from wa_crm.domain.usecases.monitoring.session_health import record_session_status
from wa_crm.domain.usecases.privacy.consent import ConsentRequest, consent_request, record_choice
from wa_crm.ports.system import Clock, IdGenerator
from wa_crm.ports.unit_of_work import DuplicateKey, UnitOfWork, UnitOfWorkFactory

_ATTEMPTS_ON_RACE = 3

_log = logging.getLogger("wa_crm.ingest")


class Outcome(StrEnum):
    STORED = "stored"
    UPDATED = "updated"
    PUBLISHED = "published"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    TOO_OLD = OutOfWindow.TOO_OLD.value
    AHEAD_OF_CLOCK = OutOfWindow.AHEAD_OF_CLOCK.value


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    detail: str = ""
    message_id: str | None = None
    signal: ContactTyping | None = None
    """The contact's presence: not stored, so the entrypoint publishes it."""


@dataclass(frozen=True)
class IngestWhatsAppEvent:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator
    window: EventWindow = field(default_factory=EventWindow)

    async def __call__(self, command: IncomingEvent) -> Result[IngestResult, DomainError]:
        # An event that names no time cannot be judged: event and message ids still dedup it.
        sent_at = command.sent_at
        if sent_at is not None and (refusal := self.window.refusal(sent_at, self.clock.now())):
            return Success(self._refuse(command, sent_at, refusal))
        for attempt in range(1, _ATTEMPTS_ON_RACE + 1):
            try:
                return Success(await self._once(command))
            except DuplicateKey:
                # A concurrent event created the same contact or conversation: run again and
                # find theirs. Nothing of this attempt was committed.
                if attempt == _ATTEMPTS_ON_RACE:
                    raise
        raise AssertionError("unreachable")

    def _refuse(
        self, command: IncomingEvent, sent_at: datetime, refusal: OutOfWindow
    ) -> IngestResult:
        _log.warning(
            "webhook event outside the accepted time window",
            extra={
                "association_id": command.association_id,
                "event": type(command.event).__name__,
                "reason": refusal.value,
                "sent_at": sent_at.isoformat(),
            },
        )
        return IngestResult(Outcome(refusal.value), f"sent at {sent_at.isoformat()}")

    async def _once(self, command: IncomingEvent) -> IngestResult:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            association = await uow.associations.get(command.association_id)
            if association is None:
                return IngestResult(Outcome.IGNORED, "association no longer exists")
            if not await uow.processed_events.remember(association.id, command.event_id, now):
                return IngestResult(Outcome.DUPLICATE, "event already processed")
            result = await _Ingestion(uow, association, self.ids, now).handle(command.event)
            if result.outcome is Outcome.DUPLICATE:
                await uow.rollback()
                return result
            await uow.commit()
        return result


@dataclass
class _Ingestion:
    """One event's work inside its transaction."""

    uow: UnitOfWork
    association: Association
    ids: IdGenerator
    now: datetime

    async def handle(self, event: WhatsAppEvent) -> IngestResult:
        match event:
            case InboundMessage():
                return await self._message(event)
            case DeliveryAck():
                return await self._ack(event)
            case MessageRevoked(candidates):
                return await self._change(candidates, revoked=True, body=None)
            case MessageEdited(candidates, body):
                return await self._change(candidates, revoked=False, body=body)
            case MessageReacted():
                return await self._reaction(event)
            case ContactPresence():
                return await self._presence(event)
            case SessionStatusReport():
                return await self._session(event)

    async def _message(self, event: InboundMessage) -> IngestResult:
        match ChatId.parse(event.chat_id):
            case Success(chat) if chat.is_direct:
                pass
            case Success(chat):
                return IngestResult(Outcome.IGNORED, f"{chat.kind.value} chat")
            case _:
                return IngestResult(Outcome.IGNORED, "unreadable chat id")
        if event.from_me:
            ours = await self.uow.messages.get_by_external_id(
                self.association.id, event.external_id
            )
            if ours is not None:
                return await self._confirm_sent(ours)
        contact = await self._contact(chat, event.push_name)
        if event.from_me and event.sent_through_api:
            matched = await self._match_api_send(contact, event)
            if matched is not None:
                return matched
        rating = None
        if not event.from_me:  # a survey answer goes to the resolved conversation it rates
            rating = await rating_answer(self.uow, contact, event.type, event.body, self.now)
        conversation = rating.conversation if rating else await self._open_conversation(contact)
        consent = self._consent(event, contact)
        if event.push_name and event.push_name != contact.display_name:
            # After the conversation's row lock, the order a bot turn takes them in too: the
            # opposite order could deadlock on PostgreSQL.
            contact.display_name = event.push_name
            await self.uow.contacts.update(contact)
        reply_to, quoted_body = event.reply_to, event.quoted_body
        if reply_to and (quoted := await self._stored(event.quote_candidates or (reply_to,))):
            reply_to, quoted_body = quoted.external_id, quoted.body
        message = Message(
            id=self.ids.new_id(),
            association_id=self.association.id,
            conversation_id=conversation.id,
            external_id=event.external_id,
            direction=Direction.OUT if event.from_me else Direction.IN,
            author=Author.AGENT if event.from_me else Author.CONTACT,
            type=event.type,
            body=event.body,
            media=event.media,
            reply_to=reply_to,
            quoted_body=quoted_body,
            status=MessageStatus.SENT if event.from_me else MessageStatus.RECEIVED,
            created_at=self.now,  # our clock orders the history; WAHA sends whole seconds
        )
        if not await self.uow.messages.add_if_absent(message):
            return IngestResult(Outcome.DUPLICATE, "message already stored")
        if message.media is not None and message.media.url:
            await self._schedule_media_fetch(message)
        if event.from_me:
            conversation.record_outbound(message.id, message.created_at, message.author)
            conversation.take_over_from_phone()  # only a bot conversation changes hands
            conversation.answered_by_agent()
            await self.uow.handoffs.mark_answered(conversation.id, message.created_at)
        elif rating is not None:
            rating.record(self.now)
        else:
            conversation.receive(message.id, message.created_at)
            if consent is None and conversation.bot_may_speak and not contact.opted_out:
                await self._schedule_bot_turn(conversation)
        # Stored after the message (and the message after the conversation's creation, if any),
        # so that the message's fact goes out first: it is what agents wait for, and every
        # fact before it delays it by a whole fan-out.
        await self.uow.conversations.update(conversation)
        if rating is not None:  # the contact's answer before our thanks
            await rating.thank(self.uow, self.ids, self.association, self.now)
        elif consent is not None:  # the contact's message before our answer to it
            await record_choice(
                self.uow, self.ids, self.association, conversation, contact, consent, self.now
            )
        elif not event.from_me:
            await emergency_without_the_bot(
                self.uow,
                self.ids,
                self.association,
                conversation,
                message.body,
                self.now,
                contact_opted_out=contact.opted_out,
            )
        return IngestResult(Outcome.STORED, message_id=message.id)

    def _consent(self, event: InboundMessage, contact: Contact) -> ConsentRequest | None:
        if event.from_me or event.type is not MessageType.TEXT:
            return None
        return consent_request(event.body, contact, self.association.privacy)

    async def _contact(self, chat: ChatId, push_name: str) -> Contact:
        contacts, association_id = self.uow.contacts, self.association.id
        phone = chat.phone
        contact = await contacts.find_by_chat_id(association_id, chat.value)
        if contact is None and phone is not None:
            contact = await contacts.find_by_phone(association_id, phone.e164)
        if contact is None and chat.kind is ChatKind.LID:
            contact = await contacts.find_by_lid(association_id, chat.value)
        if contact is not None:
            return contact
        contact = Contact(
            id=self.ids.new_id(),
            association_id=association_id,
            wa_chat_id=chat.value,
            created_at=self.now,
            phone=phone.e164 if phone else None,
            lid=chat.value if chat.kind is ChatKind.LID else None,
            display_name=push_name,
        )
        if phone is not None:
            owners = await self.uow.patients.find_by_phone(association_id, phone.e164)
            contact.match_patient(next((p for p in owners if p.is_active), None))
        elif chat.kind is ChatKind.LID:  # a phone id phonenumbers rejects has nothing to resolve
            await self.uow.jobs.schedule(
                new_job(
                    ResolveLid(association_id, contact.id),
                    key=f"{ResolveLid.kind}:{contact.id}",
                    run_after=self.now,
                ),
                self.now,
            )
        await contacts.add(contact)
        return contact

    async def _open_conversation(self, contact: Contact) -> Conversation:
        association = self.association
        conversation = await self.uow.conversations.find_open(
            association.id, contact.id, Channel.WHATSAPP
        )
        if conversation is not None:
            return conversation
        earlier = await self.uow.conversations.list_for_contact(association.id, contact.id)
        conversation = Conversation.open(
            id=self.ids.new_id(),
            association_id=association.id,
            contact_id=contact.id,
            channel=Channel.WHATSAPP,
            session=association.whatsapp.session,
            at=self.now,
            bot_available=association.bot.may_answer(self.now),
            unavailable_reason=HandoffReason.OUTSIDE_BUSINESS_HOURS
            if association.bot.enabled
            else HandoffReason.BOT_DISABLED,
            previous=next((c for c in earlier if c.channel is Channel.WHATSAPP), None),
        )
        await self.uow.conversations.add(conversation)
        if conversation.handoff_reason is not None:
            await self.uow.handoffs.record(
                association.id, conversation.id, conversation.handoff_reason.value, self.now
            )
            await request_assignment(self.uow, association, conversation, self.now)
        return conversation

    async def _schedule_media_fetch(self, message: Message) -> None:
        """At once: WAHA deletes received files after 180 s by default."""
        await self.uow.jobs.schedule(
            new_job(
                FetchMedia(self.association.id, message.id),
                key=f"{FetchMedia.kind}:{message.id}",
                run_after=self.now,
            ),
            self.now,
        )

    async def _schedule_bot_turn(self, conversation: Conversation) -> None:
        debounce = timedelta(seconds=self.association.bot.debounce_seconds)
        await self.uow.jobs.schedule(
            new_job(
                BotTurn(self.association.id, conversation.id),
                key=f"{BotTurn.kind}:{conversation.id}",
                run_after=self.now + debounce,
            ),
            self.now,
        )

    async def _confirm_sent(self, message: Message) -> IngestResult:
        if not message.advance(MessageStatus.SENT):
            return IngestResult(Outcome.DUPLICATE, "own message already known")
        await self.uow.messages.update(message)
        return self._updated(message)

    async def _match_api_send(self, contact: Contact, event: InboundMessage) -> IngestResult | None:
        """A send whose WhatsApp id is not stored yet (the answer carried none, or its echo
        overtook it) is recognised by its ``message.any`` echo, in the contact's latest
        conversation even when that one is resolved (a survey, a thank-you): otherwise the echo
        would open a conversation of its own."""
        conversations = await self.uow.conversations.list_for_contact(
            self.association.id, contact.id
        )
        if not conversations:
            return None
        for message in await self.uow.messages.list_awaiting_external_id(
            self.association.id, conversations[0].id
        ):
            if message.body.strip() == event.body.strip():
                message.match_echo(event.external_id)
                await apply_early_ack(self.uow, message)
                await self.uow.messages.update(message)
                return self._updated(message)
        return None

    async def _ack(self, event: DeliveryAck) -> IngestResult:
        message = await self.uow.messages.get_by_external_id(self.association.id, event.external_id)
        if message is None:
            # it may have overtaken our send's answer: kept until the id is stored (early_acks)
            await self.uow.pending_acks.keep(
                self.association.id, event.external_id, event.status, self.now
            )
            return IngestResult(Outcome.STORED, "ack kept until its message's id is stored")
        if not message.advance(event.status):
            return IngestResult(Outcome.IGNORED, "ack does not move the status forward")
        await self.uow.messages.update(message)
        return self._updated(message)

    async def _change(
        self, candidates: tuple[str, ...], *, revoked: bool, body: str | None
    ) -> IngestResult:
        for external_id in candidates:
            message = await self.uow.messages.get_by_external_id(self.association.id, external_id)
            if message is not None:
                break
        else:
            return IngestResult(Outcome.IGNORED, "change to an unknown message")
        if revoked:
            message.revoke()
        else:
            message.edit(body or "")
        await self.uow.messages.update(message)
        return self._updated(message)

    async def _reaction(self, event: MessageReacted) -> IngestResult:
        message = await self._stored(event.candidates)
        if message is None:
            return IngestResult(Outcome.IGNORED, "reaction to an unknown message")
        reaction = Reaction(event.emoji, event.from_me, event.timestamp)
        if not await self.uow.messages.react(self.association.id, message.id, reaction):
            return IngestResult(Outcome.IGNORED, "a newer reaction is already stored")
        await show_reactions(self.uow, message)
        return IngestResult(Outcome.UPDATED, message_id=message.id)

    async def _stored(self, candidates: tuple[str, ...]) -> Message | None:
        for external_id in candidates:
            message = await self.uow.messages.get_by_external_id(self.association.id, external_id)
            if message is not None:
                return message
        return None

    async def _presence(self, event: ContactPresence) -> IngestResult:
        match ChatId.parse(event.chat_id):
            case Success(chat):
                contact = await self.uow.contacts.find_by_chat_id(self.association.id, chat.value)
            case _:
                contact = None
        if contact is None:
            return IngestResult(Outcome.IGNORED, "presence of an unknown contact")
        conversation = await self.uow.conversations.find_open(
            self.association.id, contact.id, Channel.WHATSAPP
        )
        conversation_id = conversation.id if conversation else None
        typing = ContactTyping(self.association.id, contact.id, conversation_id, event.typing)
        return IngestResult(Outcome.PUBLISHED, signal=typing)

    async def _session(self, event: SessionStatusReport) -> IngestResult:
        await record_session_status(
            self.uow, self.association, event.status, event.phone, self.now, event.reported_at
        )
        return IngestResult(Outcome.UPDATED, "session status")

    def _updated(self, message: Message) -> IngestResult:
        return IngestResult(Outcome.UPDATED, message_id=message.id)
