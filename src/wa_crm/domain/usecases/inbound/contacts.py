"""Resolving ``@lid`` contacts to phone numbers through WhatsApp (a job per new lid contact).

- WhatsApp hides some senders' numbers behind a privacy id (lid); until it is resolved the lid
  is the contact's key and the contact is a lead.
- Once WAHA reveals the phone, the contact gets it and becomes a member if an active patient
  owns it. WhatsApp may never reveal it: then the contact simply stays a lead keyed by lid.
"""

from __future__ import annotations

from dataclasses import dataclass

from returns.result import Success

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.job_commands import ResolveLid
from wa_crm.domain.model.jobs import Attempt, PermanentJobError
from wa_crm.domain.model.phone import ChatId
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory
from wa_crm.ports.whatsapp import Connection, WhatsAppGateway


def connection_of(association: Association) -> Connection:
    settings = association.whatsapp
    return Connection(settings.base_url, settings.api_key, settings.session)


@dataclass(frozen=True)
class ResolveLidContact:
    """Job handler for ``resolve_lid``; gateway failures propagate so the job is retried."""

    uow_factory: UnitOfWorkFactory
    gateway: WhatsAppGateway
    clock: Clock

    async def __call__(self, command: ResolveLid, attempt: Attempt) -> None:
        association_id, contact_id = command.association_id, command.contact_id
        async with self.uow_factory() as uow:
            association = await uow.associations.get(association_id)
            contact = await uow.contacts.get(association_id, contact_id)
        if association is None or contact is None or contact.lid is None or contact.phone:
            return
        pn = await self.gateway.resolve_lid(connection_of(association), contact.lid)
        if pn is None:
            return
        match ChatId.parse(pn):
            case Success(chat) if chat.phone is not None:
                phone = chat.phone
            case _:
                raise PermanentJobError("WAHA answered a lid lookup with an unreadable number")
        async with self.uow_factory() as uow:
            contact = await uow.contacts.get(association_id, contact_id)
            if contact is None:
                return
            contact.phone = phone.e164
            owners = await uow.patients.find_by_phone(association_id, phone.e164)
            contact.match_patient(next((p for p in owners if p.is_active), None))
            await uow.contacts.update(contact)
            await uow.commit()
