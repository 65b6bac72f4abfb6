"""Export and erasure of one contact's data, by an admin (architecture.md section 11).

The contact's data: the contact itself, the patient records linked to it or owning its phone
(with their phones and orders), its conversations, their messages and the messages' files, the
agents' private notes on those conversations, and the questions of those conversations the
knowledge base could not answer (the patient's own words; ``KnowledgeBase``).

Erasure is irreversible and confirmed by typing the contact's name (``erasure_name``):

- Deleted: the messages (folded into the anonymous rollups first, so statistics stay as they
  were) and their files in the media store; the notes; the patient records above, so that a
  search for the name or the phone finds nothing (other contacts of such a patient become
  leads); the chat's send slot, which is named after the chat; the conversations' unanswered
  questions, answered ones too (the FAQ entries admins wrote for them stay). The knowledge base
  is outside the unit of work, so they go after its commit: should that fail, the erasure is run
  again with the contact's placeholder name (``erasure_name``) and finds the same conversations.
- Anonymised: the contact keeps its id, without name, phone, lid, collected fields, patient link
  or opt-out state; its chat id becomes ``erased:<contact id>``, so the same person writing
  again is a new contact. Its conversations stay, with their handoffs, for the statistics, but
  lose their handoff notes; open ones are resolved.
- A later patient CSV import that lists the patient brings their registry row back: the registry
  is the association's own, and the erasure removes wa_crm's copy of it.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from returns.result import Failure, Result, Success

from wa_crm.domain.model.conversation import Conversation
from wa_crm.domain.model.errors import DomainError, NotConfirmed, UnknownContact
from wa_crm.domain.model.knowledge import UnansweredQuestion
from wa_crm.domain.model.message import Message
from wa_crm.domain.model.note import Note
from wa_crm.domain.model.people import Contact, ContactKind, Patient
from wa_crm.domain.usecases.outbound.delivery import chat_slot_key
from wa_crm.domain.usecases.privacy.retention import delete_files
from wa_crm.ports.knowledge import KnowledgeBase
from wa_crm.ports.media import MediaStore
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

ERASED_CHAT_PREFIX = "erased:"


def erasure_name(contact: Contact) -> str:
    """What an admin types to confirm an erasure: the display name, else the phone number,
    else the chat id (the inbox shows the same)."""
    return contact.display_name.strip() or contact.phone or contact.wa_chat_id


def confirms(typed: str, contact: Contact) -> bool:
    """Trimmed and case-insensitive; accents and their composition must match."""

    def normal(text: str) -> str:
        return unicodedata.normalize("NFC", text).strip().casefold()

    return normal(typed) == normal(erasure_name(contact))


def anonymised(contact: Contact) -> Contact:
    return dataclasses.replace(
        contact,
        wa_chat_id=f"{ERASED_CHAT_PREFIX}{contact.id}",
        phone=None,
        lid=None,
        display_name="",
        kind=ContactKind.LEAD,
        patient_id=None,
        fields={},
        opted_out_at=None,
        opt_out_source=None,
    )


async def patients_of(uow: UnitOfWork, contact: Contact) -> list[Patient]:
    """The patient linked to the contact, and any that owns its phone (an inactive one, which
    the link skips)."""
    found: dict[str, Patient] = {}
    if contact.patient_id:
        linked = await uow.patients.get(contact.association_id, contact.patient_id)
        if linked is not None:
            found[linked.id] = linked
    if contact.phone:
        for owner in await uow.patients.find_by_phone(contact.association_id, contact.phone):
            found.setdefault(owner.id, owner)
    return list(found.values())


@dataclass(frozen=True)
class ExportedFile:
    message_id: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class ContactExport:
    contact: Contact
    patients: tuple[Patient, ...]
    conversations: tuple[Conversation, ...]
    messages: tuple[Message, ...]
    """Oldest first within each conversation."""
    files: tuple[ExportedFile, ...]
    """The files of the messages that are still in the media store."""
    notes: tuple[Note, ...]
    unanswered_questions: tuple[UnansweredQuestion, ...]
    """Recorded from the contact's conversations, oldest first."""


@dataclass(frozen=True)
class ExportContactData:
    uow_factory: UnitOfWorkFactory
    media: MediaStore
    knowledge: KnowledgeBase

    async def __call__(
        self, association_id: str, contact_id: str
    ) -> Result[ContactExport, DomainError]:
        async with self.uow_factory() as uow:
            contact = await uow.contacts.get(association_id, contact_id)
            if contact is None:
                return Failure(UnknownContact("no such contact"))
            patients = await patients_of(uow, contact)
            conversations = await uow.conversations.list_for_contact(association_id, contact.id)
            messages = [
                message
                for conversation in conversations
                for message in await uow.messages.all_of_conversation(
                    association_id, conversation.id
                )
            ]
            notes = [
                note
                for conversation in conversations
                for note in await uow.notes.all_of_conversation(association_id, conversation.id)
            ]
        files = []
        for message in messages:
            media = message.media
            if media is not None and media.stored and media.url:
                data = await self.media.get(media.url)
                if data is not None:
                    files.append(ExportedFile(message.id, media.filename or "file", data))
        questions = await self.knowledge.unanswered_of_conversations(
            association_id, [conversation.id for conversation in conversations]
        )
        return Success(
            ContactExport(
                contact,
                tuple(patients),
                tuple(conversations),
                tuple(messages),
                tuple(files),
                tuple(notes),
                tuple(questions),
            )
        )


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed: counts only."""

    contact_id: str
    messages: int
    media_files: int
    conversations: int
    """Kept, anonymous."""
    patients: int
    notes: int
    unanswered_questions: int


@dataclass(frozen=True)
class EraseContactData:
    uow_factory: UnitOfWorkFactory
    media: MediaStore
    clock: Clock
    knowledge: KnowledgeBase

    async def __call__(
        self, association_id: str, contact_id: str, confirm_name: str
    ) -> Result[Erasure, DomainError]:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            association = await uow.associations.get(association_id)
            contact = await uow.contacts.get(association_id, contact_id)
            if association is None or contact is None:
                return Failure(UnknownContact("no such contact"))
            if not confirms(confirm_name, contact):
                return Failure(
                    NotConfirmed(
                        "the confirmation is not the contact's name: type the name as shown "
                        "to erase this contact's data",
                        field="confirm_name",
                    )
                )
            conversations = await uow.conversations.list_for_contact(association_id, contact.id)
            deleted, notes = await _empty_conversations(uow, conversations, now)
            patients = await _delete_patients(uow, contact)
            await uow.send_slots.forget(chat_slot_key(association, contact.wa_chat_id))
            await uow.contacts.update(anonymised(contact))
            # Before the commit: should it fail, the erasure is run again, and no file is left
            # behind that no message points to any more.
            files = await delete_files(self.media, deleted)
            await uow.commit()
        questions = await self.knowledge.forget_unanswered(
            association_id, [conversation.id for conversation in conversations]
        )
        return Success(
            Erasure(contact.id, len(deleted), files, len(conversations), patients, notes, questions)
        )


async def _empty_conversations(
    uow: UnitOfWork, conversations: Sequence[Conversation], now: datetime
) -> tuple[list[Message], int]:
    """Delete the conversations' messages and notes, drop their handoff notes, resolve the open
    ones; returns the deleted messages and how many notes there were."""
    deleted: list[Message] = []
    notes = 0
    for conversation in conversations:
        deleted += await uow.messages.delete_of_conversation(
            conversation.association_id, conversation.id
        )
        notes += await uow.notes.delete_of_conversation(
            conversation.association_id, conversation.id
        )
        conversation.handoff_note = None
        if conversation.is_open:
            conversation.resolve(now)
        await uow.conversations.update(conversation)
    return deleted, notes


async def _delete_patients(uow: UnitOfWork, contact: Contact) -> int:
    """The contact's patient records; other contacts of theirs become leads. How many."""
    patients = await patients_of(uow, contact)
    for patient in patients:
        for other in await uow.contacts.list_by_patient(contact.association_id, patient.id):
            if other.id != contact.id:
                other.match_patient(None)
                await uow.contacts.update(other)
        await uow.patients.delete(contact.association_id, patient.id)
    return len(patients)
