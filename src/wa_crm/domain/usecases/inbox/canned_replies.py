"""Canned replies: admins write them, every agent finds them by shortcut or words and renders
one for a conversation (its placeholders filled) before sending it as an ordinary reply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from returns.result import Failure, Result, Success

from wa_crm.domain.model.canned_reply import CannedReply, CannedReplyDraft
from wa_crm.domain.model.errors import (
    AlreadyExists,
    DomainError,
    UnknownAgent,
    UnknownCannedReply,
    UnknownConversation,
)
from wa_crm.domain.model.people import Contact, Patient
from wa_crm.ports.queries import InboxQueries
from wa_crm.ports.system import Clock, IdGenerator
from wa_crm.ports.unit_of_work import DuplicateKey, UnitOfWorkFactory


@dataclass(frozen=True)
class CannedReplyChanges:
    """None keeps the current value."""

    shortcut: str | None = None
    text: str | None = None
    title: str | None = None


def first_name(contact: Contact | None, patient: Patient | None) -> str:
    """The patient's first name for a member, else the first word of the name the bot
    collected, else of the WhatsApp name; "" when none is known."""
    if patient is not None and patient.first_name:
        return patient.first_name
    if contact is None:
        return ""
    for name in (str(contact.fields.get("name") or ""), contact.display_name):
        if name.strip():
            return name.split(maxsplit=1)[0]
    return ""


@dataclass(frozen=True)
class CannedReplies:
    uow_factory: UnitOfWorkFactory
    inbox: InboxQueries
    clock: Clock
    ids: IdGenerator

    async def search(self, association_id: str, text: str, limit: int) -> Sequence[CannedReply]:
        return await self.inbox.canned_replies(association_id, text, limit)

    async def create(
        self, association_id: str, draft: CannedReplyDraft
    ) -> Result[CannedReply, DomainError]:
        match draft.validated():
            case Failure(error):
                return Failure(error)
            case Success(valid):
                pass
        now = self.clock.now()
        reply = CannedReply(
            id=self.ids.new_id(),
            association_id=association_id,
            shortcut=valid.shortcut,
            title=valid.title,
            text=valid.text,
            created_at=now,
            updated_at=now,
        )
        async with self.uow_factory() as uow:
            try:
                await uow.canned_replies.add(reply)
            except DuplicateKey:
                return Failure(_taken(reply.shortcut))
            await uow.commit()
        return Success(reply)

    async def update(
        self, association_id: str, reply_id: str, changes: CannedReplyChanges
    ) -> Result[CannedReply, DomainError]:
        async with self.uow_factory() as uow:
            current = await uow.canned_replies.get(association_id, reply_id)
            if current is None:
                return Failure(UnknownCannedReply(f"no canned reply {reply_id}"))
            draft = CannedReplyDraft(
                shortcut=current.shortcut if changes.shortcut is None else changes.shortcut,
                text=current.text if changes.text is None else changes.text,
                title=current.title if changes.title is None else changes.title,
            )
            match draft.validated():
                case Failure(error):
                    return Failure(error)
                case Success(valid):
                    pass
            reply = CannedReply(
                id=current.id,
                association_id=association_id,
                shortcut=valid.shortcut,
                title=valid.title,
                text=valid.text,
                created_at=current.created_at,
                updated_at=self.clock.now(),
            )
            try:
                await uow.canned_replies.update(reply)
            except DuplicateKey:
                return Failure(_taken(reply.shortcut))
            await uow.commit()
        return Success(reply)

    async def delete(self, association_id: str, reply_id: str) -> Result[None, DomainError]:
        async with self.uow_factory() as uow:
            if not await uow.canned_replies.delete(association_id, reply_id):
                return Failure(UnknownCannedReply(f"no canned reply {reply_id}"))
            await uow.commit()
        return Success(None)

    async def render(
        self, association_id: str, reply_id: str, conversation_id: str, agent_id: str
    ) -> Result[str, DomainError]:
        """The reply's text for this conversation's contact, sent by this agent."""
        async with self.uow_factory() as uow:
            reply = await uow.canned_replies.get(association_id, reply_id)
            if reply is None:
                return Failure(UnknownCannedReply(f"no canned reply {reply_id}"))
            agent = await uow.agents.get(association_id, agent_id)
            if agent is None:
                return Failure(UnknownAgent(f"no agent {agent_id} in this association"))
            conversation = await uow.conversations.get(association_id, conversation_id)
            if conversation is None:
                return Failure(UnknownConversation(f"no conversation {conversation_id}"))
            contact = await uow.contacts.get(association_id, conversation.contact_id)
            patient = (
                await uow.patients.get(association_id, contact.patient_id)
                if contact is not None and contact.patient_id
                else None
            )
        values = {"first_name": first_name(contact, patient), "agent_name": agent.name}
        return Success(reply.render(values))


def _taken(shortcut: str) -> AlreadyExists:
    return AlreadyExists(f"a canned reply with shortcut {shortcut!r} exists already")
