"""What agents do with a conversation: claim, reply, assign, release to the bot, resolve,
label, snooze.

- Every action is checked against the conversation's status machine; a refused one changes
  nothing and says why.
- A conversation of another association does not exist for the agent (``UnknownConversation``).
- A reply (text, image or document) is queued for delivery in the same transaction that
  records it, and takes the conversation from the bot or the queue (claim by replying). To a
  contact who opted out, only a reply to a message they sent since is accepted.
- A text reply may quote a message of the conversation that is on WhatsApp; it keeps the
  quoted text.
- Typing and reading are passed on to WhatsApp; a failure there is not the agent's problem.
- Resolving asks the contact for a satisfaction rating when the association wants one.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from returns.result import Failure, Result, Success

from wa_crm.domain.model.conversation import Conversation
from wa_crm.domain.model.errors import (
    DomainError,
    InvalidInput,
    UnknownAgent,
    UnknownConversation,
    UnknownMessage,
    UnsupportedFileType,
)
from wa_crm.domain.model.events import AgentTyping
from wa_crm.domain.model.file_types import identify, is_raster_image, plain_file_name, sendable
from wa_crm.domain.model.formatting import MAX_MESSAGE_LENGTH
from wa_crm.domain.model.labels import normalize_labels
from wa_crm.domain.model.message import Author, Direction, Media, Message, MessageType
from wa_crm.domain.usecases.inbound.contacts import connection_of
from wa_crm.domain.usecases.inbound.media import MediaLimits
from wa_crm.domain.usecases.inbox.assignment import request_pass
from wa_crm.domain.usecases.inbox.label_catalog import catalogue
from wa_crm.domain.usecases.inbox.satisfaction import ask_for_rating
from wa_crm.domain.usecases.inbox.snooze import schedule_wake
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.domain.usecases.privacy.consent import outbound_refusal
from wa_crm.ports.media import MediaStore
from wa_crm.ports.system import Clock, IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from wa_crm.ports.whatsapp import GatewayError, WhatsAppGateway

SEEN_MESSAGES = 30
"""How many of the latest messages a read names: WAHA marks up to 30 in a direct chat."""


async def _quotable(
    uow: UnitOfWork, request: AgentRequest, reply_to: str
) -> Result[Message, DomainError]:
    """The message a reply quotes, named by our id or its WhatsApp id: one of this
    conversation, already on WhatsApp (WAHA quotes by WhatsApp id)."""
    association_id = request.association_id
    quoted = await uow.messages.get(association_id, reply_to)
    if quoted is None:
        quoted = await uow.messages.get_by_external_id(association_id, reply_to)
    if quoted is None or quoted.conversation_id != request.conversation_id:
        return Failure(UnknownMessage(f"reply_to: no message {reply_to} in this conversation"))
    if not quoted.external_id:
        return Failure(InvalidInput("reply_to: the quoted message is not on WhatsApp yet"))
    return Success(quoted)


Change = Callable[[Conversation], Result[None, DomainError]]
Then = Callable[[UnitOfWork, Conversation], Awaitable[None]]
"""More work in the unit of work of a change that succeeded (a message to queue, a job)."""


@dataclass(frozen=True)
class AgentRequest:
    association_id: str
    conversation_id: str
    agent_id: str


@dataclass(frozen=True)
class OutgoingFileUpload:
    data: bytes
    filename: str
    mimetype: str
    caption: str = ""


@dataclass(frozen=True)
class AgentActions:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator
    gateway: WhatsAppGateway
    media: MediaStore
    limits: MediaLimits

    async def claim(self, request: AgentRequest) -> Result[Conversation, DomainError]:
        return await self._change(request, lambda c: c.claim(request.agent_id))

    async def release(self, request: AgentRequest) -> Result[Conversation, DomainError]:
        return await self._change(request, lambda c: c.release())

    async def resolve(self, request: AgentRequest) -> Result[Conversation, DomainError]:
        """Closes it, and asks the contact for a rating when the association wants one."""
        now = self.clock.now()
        return await self._change(
            request,
            lambda c: c.resolve(now),
            then=lambda uow, c: ask_for_rating(uow, self.ids, c, now),
        )

    async def label(
        self, request: AgentRequest, labels: Sequence[str]
    ) -> Result[Conversation, DomainError]:
        """Replace the conversation's labels (normalized, see ``model/labels``); the catalog
        gets those it lacks (``label_catalog.catalogue``)."""
        match normalize_labels(labels):
            case Failure(error):
                return Failure(error)
            case Success(normalized):
                pass
        return await self._change(
            request,
            lambda c: _set_labels(c, normalized),
            then=lambda uow, c: catalogue(uow, request.association_id, normalized, self.clock),
        )

    async def snooze(
        self, request: AgentRequest, until: datetime | None
    ) -> Result[Conversation, DomainError]:
        """Out of the default lists until ``until`` (``inbox/snooze``); None wakes it."""
        if until is None:
            return await self._change(request, _wake)
        now = self.clock.now()
        return await self._change(
            request,
            lambda c: c.snooze(until, now),
            then=lambda uow, c: schedule_wake(uow, c, now),
        )

    async def assign(
        self, request: AgentRequest, assignee_id: str
    ) -> Result[Conversation, DomainError]:
        async with self.uow_factory() as uow:
            if await uow.agents.get(request.association_id, assignee_id) is None:
                return Failure(UnknownAgent(f"no agent {assignee_id} in this association"))
        return await self._change(request, lambda c: c.assign(assignee_id))

    async def reply(
        self, request: AgentRequest, text: str, reply_to: str | None = None
    ) -> Result[Message, DomainError]:
        body = text.strip()
        if not body:
            return Failure(InvalidInput("the message is empty"))
        if len(body) > MAX_MESSAGE_LENGTH:
            return Failure(
                InvalidInput(f"the message is longer than {MAX_MESSAGE_LENGTH} characters")
            )
        outgoing = Outgoing(body, Author.AGENT, agent_id=request.agent_id)
        if reply_to is not None:
            async with self.uow_factory() as uow:
                quoted = await _quotable(uow, request, reply_to)
            if isinstance(quoted, Failure):
                return Failure(quoted.failure())
            quote = quoted.unwrap()
            outgoing = dataclasses.replace(
                outgoing, reply_to=quote.external_id, quoted_body=quote.body
            )
        return await self._send(request, outgoing)

    async def _send(
        self, request: AgentRequest, outgoing: Outgoing
    ) -> Result[Message, DomainError]:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            found = await self._conversation(uow, request)
            if isinstance(found, Failure):
                return Failure(found.failure())
            conversation = found.unwrap()
            refusal = await outbound_refusal(uow, conversation, outgoing.author)
            if refusal is not None:
                return Failure(refusal)
            match conversation.reply_by_agent(request.agent_id):
                case Failure(error):
                    return Failure(error)
            message = await queue_outbound(uow, self.ids, conversation, outgoing, now)
            conversation.mark_read()
            await uow.conversations.update(conversation)
            await uow.commit()
        return Success(message)

    async def send_file(
        self, request: AgentRequest, upload: OutgoingFileUpload
    ) -> Result[Message, DomainError]:
        """A raster image is sent as an image, anything else as a document; the file is kept
        in our media store, so delivery (and its retries) never depends on the upload.

        - The file's type is the one its bytes prove, never the browser's word: bytes of no
          type we send (an SVG, an HTML page, an unknown format) are refused.
        """
        if not upload.data:
            return Failure(InvalidInput("the file is empty"))
        mimetype = identify(upload.data, upload.mimetype)
        if mimetype is None or not sendable(mimetype):
            return Failure(
                UnsupportedFileType(
                    "the file is not an image (PNG, JPEG, GIF, WebP), audio, video, PDF or "
                    "Office document; its contents do not match any of them"
                )
            )
        refusal = self.limits.refusal(mimetype, len(upload.data))
        if refusal is not None:
            return Failure(InvalidInput(refusal))
        key = f"{request.association_id}/outbound/{self.ids.new_id()}"
        await self.media.put(key, upload.data, mimetype)
        kind = MessageType.IMAGE if is_raster_image(mimetype) else MessageType.DOCUMENT
        media = Media(key, mimetype, plain_file_name(upload.filename), len(upload.data))
        media = dataclasses.replace(media, stored=True)
        outgoing = Outgoing(upload.caption.strip(), Author.AGENT, kind, media, request.agent_id)
        return await self._send(request, outgoing)

    async def typing(self, request: AgentRequest, start: bool) -> Result[AgentTyping, DomainError]:
        """Shown to the contact through WAHA; the signal returned is for the entrypoint to
        publish to the other agents (not stored, so no unit of work publishes it)."""
        async with self.uow_factory() as uow:
            found = await self._conversation(uow, request)
            if isinstance(found, Failure):
                return Failure(found.failure())
            conversation = found.unwrap()
            association = await uow.associations.get(request.association_id)
            contact = await uow.contacts.get(request.association_id, conversation.contact_id)
        signal = AgentTyping(request.association_id, request.agent_id, conversation.id, start)
        if association is not None and contact is not None:
            show = self.gateway.start_typing if start else self.gateway.stop_typing
            with contextlib.suppress(GatewayError):  # a missed indicator is not worth an error
                await show(connection_of(association), contact.wa_chat_id)
        return Success(signal)

    async def read(self, request: AgentRequest) -> Result[Conversation, DomainError]:
        """Clears the unread count and marks the chat read on WhatsApp (blue ticks), naming the
        contact's latest messages: NOWEB and GOWS mark only the messages named."""
        result = await self._change(request, _mark_read)
        if isinstance(result, Success):
            conversation = result.unwrap()
            async with self.uow_factory() as uow:
                association = await uow.associations.get(request.association_id)
                contact = await uow.contacts.get(request.association_id, conversation.contact_id)
                latest = await uow.messages.list_for_conversation(
                    request.association_id, conversation.id, before=None, limit=SEEN_MESSAGES
                )
            read_ids = [
                message.external_id
                for message in latest
                if message.direction is Direction.IN and message.external_id
            ]
            if association is not None and contact is not None:
                with contextlib.suppress(GatewayError):
                    await self.gateway.send_seen(
                        connection_of(association), contact.wa_chat_id, read_ids
                    )
        return result

    async def _change(
        self, request: AgentRequest, change: Change, then: Then | None = None
    ) -> Result[Conversation, DomainError]:
        async with self.uow_factory() as uow:
            found = await self._conversation(uow, request)
            if isinstance(found, Failure):
                return found
            conversation = found.unwrap()
            holder = conversation.holder
            match change(conversation):
                case Failure(error):
                    return Failure(error)
            if then is not None:
                await then(uow, conversation)
            await uow.conversations.update(conversation)
            if holder is not None and conversation.holder != holder:  # the agent has a free slot
                await request_pass(uow, request.association_id, self.clock.now())
            await uow.commit()
        return Success(conversation)

    @staticmethod
    async def _conversation(
        uow: UnitOfWork, request: AgentRequest
    ) -> Result[Conversation, DomainError]:
        conversation = await uow.conversations.get(request.association_id, request.conversation_id)
        if conversation is None:
            return Failure(UnknownConversation(f"no conversation {request.conversation_id}"))
        if await uow.agents.get(request.association_id, request.agent_id) is None:
            return Failure(UnknownAgent(f"no agent {request.agent_id} in this association"))
        return Success(conversation)


def _mark_read(conversation: Conversation) -> Result[None, DomainError]:
    conversation.mark_read()
    return Success(None)


def _set_labels(conversation: Conversation, labels: tuple[str, ...]) -> Result[None, DomainError]:
    conversation.set_labels(labels)
    return Success(None)


def _wake(conversation: Conversation) -> Result[None, DomainError]:
    conversation.wake()
    return Success(None)
