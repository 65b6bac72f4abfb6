"""What agents do with a conversation: claim, reply, assign, release to the bot, resolve.

- Every action is checked against the conversation's status machine; a refused one changes
  nothing and says why.
- A conversation of another association does not exist for the agent (``UnknownConversation``).
- A reply is queued for delivery in the same transaction that records it, and takes the
  conversation from the bot or the queue (claim by replying).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from returns.result import Failure, Result, Success

from wa_crm.domain.model.conversation import Conversation
from wa_crm.domain.model.errors import DomainError, InvalidInput, UnknownAgent, UnknownConversation
from wa_crm.domain.model.formatting import MAX_MESSAGE_LENGTH
from wa_crm.domain.model.message import Author, Message
from wa_crm.domain.usecases.outbound import Outgoing, queue_outbound
from wa_crm.domain.usecases.publish import publish_committed
from wa_crm.ports.events import EventBus
from wa_crm.ports.system import Clock, IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

Change = Callable[[Conversation], Result[None, DomainError]]


@dataclass(frozen=True)
class AgentRequest:
    association_id: str
    conversation_id: str
    agent_id: str


@dataclass(frozen=True)
class AgentActions:
    uow_factory: UnitOfWorkFactory
    bus: EventBus
    clock: Clock
    ids: IdGenerator

    async def claim(self, request: AgentRequest) -> Result[Conversation, DomainError]:
        return await self._change(request, lambda c: c.claim(request.agent_id))

    async def release(self, request: AgentRequest) -> Result[Conversation, DomainError]:
        return await self._change(request, lambda c: c.release())

    async def resolve(self, request: AgentRequest) -> Result[Conversation, DomainError]:
        now = self.clock.now()
        return await self._change(request, lambda c: c.resolve(now))

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
        now = self.clock.now()
        async with self.uow_factory() as uow:
            found = await self._conversation(uow, request)
            if isinstance(found, Failure):
                return found
            conversation = found.unwrap()
            match conversation.reply_by_agent(request.agent_id):
                case Failure(error):
                    return Failure(error)
            outgoing = Outgoing(body, Author.AGENT, agent_id=request.agent_id, reply_to=reply_to)
            message = await queue_outbound(uow, self.ids, conversation, outgoing, now)
            conversation.mark_read()
            await uow.conversations.update(conversation)
            uow.record(*conversation.pull_events())
            await uow.commit()
        await publish_committed(uow, self.bus)
        return Success(message)

    async def _change(
        self, request: AgentRequest, change: Change
    ) -> Result[Conversation, DomainError]:
        async with self.uow_factory() as uow:
            found = await self._conversation(uow, request)
            if isinstance(found, Failure):
                return found
            conversation = found.unwrap()
            match change(conversation):
                case Failure(error):
                    return Failure(error)
            await uow.conversations.update(conversation)
            uow.record(*conversation.pull_events())
            await uow.commit()
        await publish_committed(uow, self.bus)
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
