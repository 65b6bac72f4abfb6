"""Delivering queued messages to WhatsApp (the ``deliver`` job, one per conversation).

- Messages go out oldest first. A failure that may pass (timeout, refused connection, 429, 5xx)
  stops the run and the job is retried with backoff, the same message first: order per chat
  holds. A 429's ``Retry-After`` is honoured.
- A failure that cannot pass (WhatsApp's reach-out limit, a refused request, a file missing
  from the media store), or the last attempt failing, makes the message a dead letter:
  ``failed`` with its error code (``GatewayErrorCode``: ``reach_out_limit``, ``rejected``, ...;
  WAHA's own wording goes to the log only, since it may quote anything), and an ``alert`` for
  agents; the next message goes on, with attempts of its own. An admin's retry puts it back in
  the queue.
- While the session's circuit breaker is open the job waits (no attempt used, nothing sent); a
  send that ends without WAHA's answer gives back the probe it may have carried.
- So it does while the session is down: WAHA has no such session, or it is not WORKING (404
  or 422 while WAHA restarts it after a config change or a logout). The message stays queued
  with its attempts, the session's status is re-read before anything is sent again
  (``SessionOutages``), and session health alerts if it stays down. Never a dead letter.
- A send that may have gone is not sent twice. Before a message's first send, the time it
  begins is committed, with the WhatsApp id fixed for a text where the engine allows it (NOWEB,
  GOWS); any later attempt (a timeout, a lost answer, a worker that died) first looks in the
  chat for it, by that id or else by its text since the first send, and takes it as sent.
- Sends respect the association's rate limits: messages per second through the session and a
  minimum gap per chat, shared by every worker through the database.
- A bot message shows a typing indicator first; a bot message still queued when a person has
  taken the conversation is not sent: the person speaks now.
- Nor is a message its contact no longer wants: one queued before they opted out, or a bot or
  system message after it (domain/usecases/privacy/consent.py).
- Both are ``failed`` with their reason (``WITHHELD_REASONS``) but are not dead letters: no
  alert, not listed for a retry, not counted as delivery failures.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.conversation import ConversationStatus
from wa_crm.domain.model.errors import DomainError, MessageNotFailed, UnknownMessage
from wa_crm.domain.model.job_commands import Deliver
from wa_crm.domain.model.jobs import Attempt, Postpone, RetryLater
from wa_crm.domain.model.message import (
    OPTED_OUT,
    SUPERSEDED,
    WITHHELD_REASONS,
    Author,
    Message,
    MessageStatus,
    MessageType,
)
from wa_crm.domain.model.statistics import Alert
from wa_crm.domain.usecases.inbound.contacts import connection_of
from wa_crm.domain.usecases.inbound.early_acks import apply_early_ack
from wa_crm.domain.usecases.monitoring.alerts import raise_alert
from wa_crm.domain.usecases.monitoring.session_health import poll_job
from wa_crm.domain.usecases.monitoring.session_outages import SessionOutages
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.domain.usecases.outbound.outbound import deliver_job
from wa_crm.domain.usecases.privacy.consent import withheld
from wa_crm.ports.media import MediaStore
from wa_crm.ports.system import Clock
from wa_crm.ports.telemetry import Telemetry
from wa_crm.ports.unit_of_work import UnitOfWorkFactory
from wa_crm.ports.whatsapp import (
    Connection,
    GatewayError,
    OutgoingFile,
    SentMessage,
    WhatsAppGateway,
)

_log = logging.getLogger("wa_crm.delivery")
LONGEST_SLOT_WAIT = timedelta(seconds=30)
MEDIA_MISSING = "media_missing"
LATE_SLOT_TRIES = 3
SESSION_DOWN = "the WhatsApp session is down (missing or not WORKING): waiting for it"
MIN_OUTAGE_WAIT = timedelta(milliseconds=200)
CLOCK_SKEW = timedelta(seconds=10)
"""How far WhatsApp's timestamps (whole seconds, by WAHA's clock) may lag ours when looking
for a send since it began."""


class MissingMedia(Exception):
    """The file of an outbound message is not in the media store: that message cannot be sent,
    the conversation's next ones can."""


def chat_slot_key(association: Association, chat_id: str) -> str:
    """The send slot that keeps a chat's sends apart (an erasure forgets it: it names the chat)."""
    return f"chat:{association.id}:{chat_id}"


_PEOPLE_DECIDED = frozenset({ConversationStatus.HUMAN, ConversationStatus.RESOLVED})
"""A bot message still queued when an agent took the conversation, or resolved it, is not
sent: the bot never speaks after a person's decision (a resolved conversation's closing and
survey messages are the system's)."""


@dataclass(frozen=True)
class DeliverConversationMessages:
    uow_factory: UnitOfWorkFactory
    gateway: WhatsAppGateway
    media: MediaStore
    clock: Clock
    breakers: GatewayBreakers
    telemetry: Telemetry
    outages: SessionOutages

    async def __call__(self, command: Deliver, attempt: Attempt) -> None:
        association_id, conversation_id = command.association_id, command.conversation_id
        last_attempt = attempt.is_last
        while True:
            async with self.uow_factory() as uow:
                association = await uow.associations.get(association_id)
                conversation = await uow.conversations.get(association_id, conversation_id)
                message = await uow.messages.next_queued(association_id, conversation_id)
                contact = (
                    await uow.contacts.get(association_id, conversation.contact_id)
                    if conversation
                    else None
                )
            if message is None or association is None or conversation is None or contact is None:
                return
            if message.author is Author.BOT and conversation.status in _PEOPLE_DECIDED:
                await self._finish(message, MessageStatus.FAILED, SUPERSEDED)
                continue
            if withheld(contact, message):
                await self._finish(message, MessageStatus.FAILED, OPTED_OUT)
                continue
            try:
                file = await self._file_of(message)
            except MissingMedia as missing:
                await self._dead_letter(message, MEDIA_MISSING, str(missing))
                continue
            connection = connection_of(association)
            if not self.breakers.allow(connection):
                wait = max(self.breakers.wait(connection), timedelta(seconds=1))
                raise Postpone("the WAHA session's circuit is open", wait)
            if not await self.outages.is_up(connection):
                raise Postpone(SESSION_DOWN, self._outage_wait(connection))
            try:
                sent = await self._sent_before(connection, contact.wa_chat_id, message)
                if sent is None:
                    if message.send_started_at is None:
                        message = await self._begin_sending(connection, contact.wa_chat_id, message)
                    typing = association.bot.typing_seconds
                    if message.author is Author.BOT and typing > 0:
                        # before the slot, so that the message itself goes at its slot
                        await self._show_typing(
                            connection, contact.wa_chat_id, message.body, typing
                        )
                    await self._wait_for_slot(association, contact.wa_chat_id)
                    sent = await self._send(connection, contact.wa_chat_id, message, file)
            except GatewayError as error:
                self.breakers.failed(connection, error)
                if error.session_down:
                    await self._session_went_down(association_id, connection)
                    raise Postpone(SESSION_DOWN, self._outage_wait(connection)) from None
                if error.retryable and not last_attempt:
                    if error.retry_after:
                        raise RetryLater(
                            str(error), timedelta(seconds=error.retry_after)
                        ) from error
                    raise
                await self._dead_letter(message, error.code.value, str(error))
                if error.retryable:
                    # This message used up the job's attempts; the next ones get their own.
                    raise Postpone("attempts renewed for the next messages", timedelta(0)) from None
                continue
            except BaseException:
                # No answer from WAHA (postponed for the rate limit, cancelled, a database
                # error): a probe this call carried is given back, or the breaker would stay
                # half-open and refuse every later send of this process.
                self.breakers.released(connection)
                raise
            self.breakers.succeeded(connection)
            self.outages.came_back(connection)
            self.telemetry.message_sent((self.clock.now() - message.created_at).total_seconds())
            # the chat's next gap counts from WAHA's answer, however late this send went
            chat_free = self.clock.now() + timedelta(seconds=association.whatsapp.chat_gap_seconds)
            await self._finish(
                message,
                MessageStatus.SENT,
                None,
                sent.external_id,
                (chat_slot_key(association, contact.wa_chat_id), chat_free),
            )

    async def _begin_sending(
        self, connection: Connection, chat_id: str, message: Message
    ) -> Message:
        """Before the first send: a text gets its WhatsApp id now where the engine allows it,
        stored with the time the send begins, both committed before anything is sent."""
        fixed_id = None
        if message.type is MessageType.TEXT:
            fixed_id = await self.gateway.new_message_id(connection, chat_id)
        async with self.uow_factory() as uow:
            stored = await uow.messages.get(message.association_id, message.id)
            if stored is None or stored.status is not MessageStatus.QUEUED:
                await uow.commit()
                return message
            stored.begin_sending(self.clock.now(), fixed_id)
            await uow.messages.update(stored)
            await uow.commit()
        return stored

    async def _sent_before(
        self, connection: Connection, chat_id: str, message: Message
    ) -> SentMessage | None:
        """A send begun before (it timed out, its answer was lost, its worker died) may have
        reached WhatsApp: the chat is looked at first, by the id fixed for the message, else
        for our message with its text since that send began whose id no other message of ours
        holds. None when it is not there, or when WAHA cannot list the chat (then it goes
        again, with its fixed id if it has one)."""
        if message.send_started_at is None:
            return None
        since = message.send_started_at - CLOCK_SKEW
        own = await self.gateway.own_messages(connection, chat_id, since)
        if own is None:
            _log.info(
                "cannot look in the chat for an earlier send", extra={"message_id": message.id}
            )
            return None
        if message.external_id:
            fixed = any(found.external_id == message.external_id for found in own)
            return SentMessage(message.external_id) if fixed else None
        has_media = message.type is not MessageType.TEXT
        candidates = [
            found.external_id
            for found in reversed(own)  # oldest first: the first send, if it went
            if found.has_media == has_media and found.body.strip() == message.body.strip()
        ]
        async with self.uow_factory() as uow:
            for external_id in candidates:
                if await uow.messages.get_by_external_id(message.association_id, external_id):
                    continue  # an earlier message of ours with the same text
                return SentMessage(external_id)
        return None

    async def _session_went_down(self, association_id: str, connection: Connection) -> None:
        """The first to find the session down asks for its status now: session health records
        it, and alerts if it stays down."""
        if self.outages.went_down(connection):
            now = self.clock.now()
            async with self.uow_factory() as uow:
                await uow.jobs.schedule(poll_job(association_id, now), now)
                await uow.commit()

    def _outage_wait(self, connection: Connection) -> timedelta:
        return max(self.outages.wait(connection), MIN_OUTAGE_WAIT)

    async def _wait_for_slot(self, association: Association, chat_id: str) -> None:
        """Wait for this send's place under the chat's gap and the session's rate, shared by
        every worker through the database.

        - The chat comes first (its next free time is set when a send to it is answered) and
          holds no place in the session's queue while it waits.
        - Then a session slot: the send must go at that slot. One that would go later (its
          process stalled, or the slot was stale when handed out) reserves again, a few times
          at most: sent late, it would land among later slots and burst over the rate.
        """
        settings = association.whatsapp
        session_key = f"session:{settings.base_url}#{settings.session}"
        chat_key = chat_slot_key(association, chat_id)
        per_message = timedelta(seconds=1 / max(settings.messages_per_second, 0.001))
        ready, late_tries = self.clock.now(), 0
        while True:
            now = max(self.clock.now(), ready)
            slot = None
            async with self.uow_factory() as uow:
                ready = await uow.send_slots.reserve(chat_key, now, timedelta(0))
                if ready <= now:
                    slot = await uow.send_slots.reserve(session_key, now, per_message)
                await uow.commit()
            if slot is None:
                await self._sleep_until(ready, "the chat's gap is long")
                continue
            await self._sleep_until(slot, "the session's send rate is saturated")
            if self.clock.now() - slot <= per_message / 2 or late_tries >= LATE_SLOT_TRIES:
                return
            late_tries += 1

    async def _sleep_until(self, moment: datetime, reason: str) -> None:
        # measured after the commit: waiting for the slot rows' locks must not delay the send
        # past its slot (late sends followed by punctual ones would burst over the limit)
        wait = moment - self.clock.now()
        if wait > LONGEST_SLOT_WAIT:
            raise Postpone(reason, wait)
        if wait > timedelta(0):
            await asyncio.sleep(wait.total_seconds())

    async def _file_of(self, message: Message) -> OutgoingFile | None:
        """The message's file from the media store; None for a text message."""
        if message.type is MessageType.TEXT or message.media is None:
            return None
        data = await self.media.get(message.media.url or "")
        if data is None:
            raise MissingMedia(f"the file of message {message.id} is missing from the store")
        return OutgoingFile(message.media.mimetype, message.media.filename or "file", data)

    async def _send(
        self,
        connection: Connection,
        chat_id: str,
        message: Message,
        file: OutgoingFile | None,
    ) -> SentMessage:
        if file is None:
            return await self.gateway.send_text(
                connection, chat_id, message.body, message.reply_to, message.external_id
            )
        if message.type is MessageType.IMAGE:
            return await self.gateway.send_image(connection, chat_id, file, message.body)
        return await self.gateway.send_document(connection, chat_id, file, message.body)

    async def _show_typing(
        self, connection: Connection, chat_id: str, text: str, limit: float
    ) -> None:
        """A typing pause proportional to the text, as WAHA's advice against bans suggests."""
        try:
            await self.gateway.start_typing(connection, chat_id)
            await asyncio.sleep(min(limit, 0.5 + len(text) / 60))
            await self.gateway.stop_typing(connection, chat_id)
        except GatewayError:
            # a session found down here is met again by the send, which waits for it
            _log.info("typing indicator not shown", exc_info=True)

    async def _dead_letter(self, message: Message, code: str, detail: str) -> None:
        _log.warning("dead letter: %s", detail, extra={"code": code, "message_id": message.id})
        self.telemetry.dead_letter(code)
        await self._finish(message, MessageStatus.FAILED, code)

    async def _finish(
        self,
        message: Message,
        status: MessageStatus,
        error: str | None,
        external_id: str | None = None,
        chat_free: tuple[str, datetime] | None = None,
    ) -> None:
        """Record the outcome; ``chat_free`` (a chat's slot key and a time) keeps the chat's
        next send from going before that time."""
        async with self.uow_factory() as uow:
            if chat_free is not None:
                await uow.send_slots.reserve(chat_free[0], chat_free[1], timedelta(0))
            stored = await uow.messages.get(message.association_id, message.id)
            if stored is None or stored.status is not MessageStatus.QUEUED:
                await uow.commit()
                return
            if external_id:
                stored.external_id = external_id
            stored.advance(status, error)
            await apply_early_ack(uow, stored)
            await uow.messages.update(stored)
            if status is MessageStatus.FAILED and error not in WITHHELD_REASONS:
                await raise_alert(
                    uow,
                    stored.association_id,
                    Alert(
                        "dead_letter",
                        f"a message could not be delivered: {error}",
                        self.clock.now(),
                    ),
                    {
                        "message_id": stored.id,
                        "conversation_id": stored.conversation_id,
                        "error": error,
                    },
                )
            await uow.commit()


@dataclass(frozen=True)
class RetryDeadLetter:
    """An admin sends a failed message again: back to ``queued`` and its delivery scheduled."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, association_id: str, message_id: str) -> Result[Message, DomainError]:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            message = await uow.messages.get(association_id, message_id)
            if message is None:
                return Failure(UnknownMessage(f"no message {message_id}"))
            if not message.requeue():
                return Failure(
                    MessageNotFailed(
                        f"message {message_id} is {message.status}, not a dead letter"
                        if message.status is not MessageStatus.FAILED
                        else f"message {message_id} was withheld on purpose ({message.error})"
                    )
                )
            await uow.messages.update(message)
            await uow.jobs.schedule(deliver_job(association_id, message.conversation_id, now), now)
            await uow.commit()
        return Success(message)
