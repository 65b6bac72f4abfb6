"""Private notes on a conversation: written by agents for agents.

A note is stored apart from the messages and never queued for WhatsApp; a ``note.created``
event shows it at once to the other agents who have the conversation open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import DomainError, InvalidInput, UnknownAgent, UnknownConversation
from wa_crm.domain.model.note import MAX_NOTE_LENGTH, Note
from wa_crm.ports.system import Clock, IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

MAX_NOTES = 500

AuthoredNote = tuple[Note, str | None]
"""A note and its agent's name (None when the agent no longer exists)."""


@dataclass(frozen=True)
class Notes:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator

    async def add(
        self, association_id: str, conversation_id: str, agent_id: str, text: str
    ) -> Result[AuthoredNote, DomainError]:
        body = text.strip()
        if not body:
            return Failure(InvalidInput("the note is empty"))
        if len(body) > MAX_NOTE_LENGTH:
            return Failure(InvalidInput(f"the note is longer than {MAX_NOTE_LENGTH} characters"))
        async with self.uow_factory() as uow:
            agent = await uow.agents.get(association_id, agent_id)
            if agent is None:
                return Failure(UnknownAgent(f"no agent {agent_id} in this association"))
            if await uow.conversations.get(association_id, conversation_id) is None:
                return Failure(UnknownConversation(f"no conversation {conversation_id}"))
            note = Note.write(
                id=self.ids.new_id(),
                association_id=association_id,
                conversation_id=conversation_id,
                agent_id=agent_id,
                author_name=agent.name,
                text=body,
                at=self.clock.now(),
            )
            await uow.notes.add(note)
            await uow.commit()
        return Success((note, agent.name))

    async def list(
        self, association_id: str, conversation_id: str
    ) -> Result[Sequence[AuthoredNote], DomainError]:
        """The newest ``MAX_NOTES`` notes, oldest first."""
        async with self.uow_factory() as uow:
            if await uow.conversations.get(association_id, conversation_id) is None:
                return Failure(UnknownConversation(f"no conversation {conversation_id}"))
            notes = await uow.notes.list_for_conversation(
                association_id, conversation_id, MAX_NOTES
            )
            names = {agent.id: agent.name for agent in await uow.agents.list(association_id)}
        return Success([(note, names.get(note.agent_id)) for note in notes])
