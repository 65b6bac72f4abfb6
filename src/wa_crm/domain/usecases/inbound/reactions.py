"""Reactions: an emoji on a message, from the contact or from the association's number.

- WhatsApp keeps one reaction per person and message, and the association's number is one
  person: an agent's reaction replaces the one any agent (or the phone) set before; "" removes.
- An agent reacts through WAHA first; only a reaction WhatsApp accepted is stored and shown.
  Its echo (``message.reaction`` with ``fromMe``) then changes nothing: it is not newer.
- Only a message with a WhatsApp id can carry a reaction (a queued one has none yet).
- Every change is published as ``message.updated``: the message's snapshot with ``reactions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import (
    DomainError,
    InvalidInput,
    UnknownConversation,
    UnknownMessage,
    WhatsAppServerError,
)
from wa_crm.domain.model.message import Message, Reaction, reaction_problem
from wa_crm.domain.usecases.inbound.contacts import connection_of
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from wa_crm.ports.whatsapp import GatewayError, WhatsAppGateway


def reactions_view(reactions: Sequence[Reaction]) -> list[dict[str, Any]]:
    """The contact's reaction first, then ours."""
    ordered = sorted(reactions, key=lambda reaction: reaction.from_me)
    return [{"emoji": r.emoji, "from_me": r.from_me, "at": r.at.isoformat()} for r in ordered]


async def show_reactions(uow: UnitOfWork, message: Message) -> list[Reaction]:
    """After a reaction is stored: the message raises the change with all its reactions, and
    is stored again so that its unit of work takes the fact. Returns the reactions."""
    reactions = await uow.messages.reactions_of(message.association_id, [message.id])
    current = reactions.get(message.id, [])
    message.show_reactions(tuple(current))
    await uow.messages.update(message)
    return list(current)


@dataclass(frozen=True)
class Reacted:
    message: Message
    reactions: list[Reaction]


@dataclass(frozen=True)
class Reacting:
    association_id: str
    conversation_id: str
    message_id: str
    emoji: str


@dataclass(frozen=True)
class ReactToMessage:
    """An agent sets (or, with "", removes) the association's reaction to a message."""

    uow_factory: UnitOfWorkFactory
    gateway: WhatsAppGateway
    clock: Clock

    async def __call__(self, command: Reacting) -> Result[Reacted, DomainError]:
        if problem := reaction_problem(command.emoji):
            return Failure(InvalidInput(problem))
        async with self.uow_factory() as uow:
            association = await uow.associations.get(command.association_id)
            conversation = await uow.conversations.get(
                command.association_id, command.conversation_id
            )
            message = await uow.messages.get(command.association_id, command.message_id)
        if association is None or conversation is None:
            return Failure(UnknownConversation(f"no conversation {command.conversation_id}"))
        if message is None or message.conversation_id != conversation.id:
            return Failure(UnknownMessage(f"no message {command.message_id} in this conversation"))
        if not message.external_id:
            return Failure(InvalidInput("the message is not on WhatsApp yet: react once it is"))
        try:
            await self.gateway.react(connection_of(association), message.external_id, command.emoji)
        except GatewayError as error:
            refusal = f"WhatsApp did not take the reaction ({error.code})"
            return Failure(WhatsAppServerError(refusal))
        async with self.uow_factory() as uow:
            reaction = Reaction(command.emoji, True, self.clock.now())
            await uow.messages.react(command.association_id, message.id, reaction)
            # stored again as it is now, not as read before WAHA's answer
            stored = await uow.messages.get(command.association_id, message.id)
            reactions = await show_reactions(uow, stored) if stored is not None else []
            await uow.commit()
        return Success(Reacted(message, reactions))
