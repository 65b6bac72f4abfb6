"""Delivering queued messages to WhatsApp (the ``deliver`` job, one per conversation).

- Messages go out oldest first; a failure that may pass stops the run, and the job is retried
  with backoff, the same message first, so order per chat holds.
- A bot message shows a typing indicator first, for at most the association's typing time.
- A failure that cannot pass (WhatsApp's reach-out limit, a refused request), or the last
  attempt failing, marks the message ``failed`` with its error and goes on with the next one.
- A bot message still queued when a person has taken the conversation is not sent: the person
  speaks now.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from wa_crm.domain.model.conversation import ConversationStatus
from wa_crm.domain.model.events import DomainEvent, EventType
from wa_crm.domain.model.jobs import Job, PermanentJobError, RetryLater
from wa_crm.domain.model.message import Author, Message, MessageStatus, MessageType
from wa_crm.domain.usecases.contacts import connection_of
from wa_crm.domain.usecases.publish import publish_committed
from wa_crm.ports.events import EventBus
from wa_crm.ports.media import MediaStore
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory
from wa_crm.ports.whatsapp import (
    Connection,
    GatewayError,
    OutgoingFile,
    SentMessage,
    WhatsAppGateway,
)

_log = logging.getLogger("wa_crm.delivery")
SUPERSEDED = "not sent: a person took the conversation over"


@dataclass(frozen=True)
class DeliverConversationMessages:
    uow_factory: UnitOfWorkFactory
    gateway: WhatsAppGateway
    media: MediaStore
    bus: EventBus
    clock: Clock

    async def __call__(self, job: Job) -> None:
        association_id = job.association_id
        if association_id is None:
            raise PermanentJobError("deliver job without an association")
        conversation_id = str(job.payload["conversation_id"])
        last_attempt = not job.attempts_left
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
            if message.author is Author.BOT and conversation.status is ConversationStatus.HUMAN:
                await self._finish(message, MessageStatus.FAILED, SUPERSEDED)
                continue
            connection = connection_of(association)
            try:
                sent = await self._send(
                    connection, contact.wa_chat_id, message, association.bot.typing_seconds
                )
            except GatewayError as error:
                if error.retryable and not last_attempt:
                    if error.retry_after:
                        raise RetryLater(
                            str(error), timedelta(seconds=error.retry_after)
                        ) from error
                    raise
                _log.warning(
                    "message failed", extra={"code": error.code.value, "message_id": message.id}
                )
                await self._finish(message, MessageStatus.FAILED, f"{error.code.value}: {error}")
                continue
            await self._finish(message, MessageStatus.SENT, None, sent.external_id)

    async def _send(
        self, connection: Connection, chat_id: str, message: Message, typing_seconds: float
    ) -> SentMessage:
        if message.author is Author.BOT and typing_seconds > 0:
            await self._show_typing(connection, chat_id, message.body, typing_seconds)
        if message.type is MessageType.TEXT or message.media is None:
            return await self.gateway.send_text(connection, chat_id, message.body, message.reply_to)
        data = await self.media.get(message.media.url or "")
        if data is None:
            raise PermanentJobError(f"media of message {message.id} is missing from the store")
        file = OutgoingFile(message.media.mimetype, message.media.filename or "file", data)
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
            _log.info("typing indicator not shown", exc_info=True)

    async def _finish(
        self,
        message: Message,
        status: MessageStatus,
        error: str | None,
        external_id: str | None = None,
    ) -> None:
        async with self.uow_factory() as uow:
            stored = await uow.messages.get(message.association_id, message.id)
            if stored is None or stored.status is not MessageStatus.QUEUED:
                return
            if external_id:
                stored.external_id = external_id
            stored.advance(status, error)
            await uow.messages.update(stored)
            uow.record(
                DomainEvent(EventType.MESSAGE_UPDATED, stored.association_id, stored.snapshot())
            )
            await uow.commit()
        await publish_committed(uow, self.bus)
