"""The JSON shapes of the agent API (the same shapes events carry, plus what pages need)."""

from __future__ import annotations

from typing import Any

from wa_crm.domain.model.conversation import Conversation
from wa_crm.domain.model.message import Message
from wa_crm.domain.model.people import Contact, Patient
from wa_crm.domain.usecases.privacy.consent import consent_flag


def contact_summary(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {
        "id": contact.id,
        "display_name": contact.display_name,
        "phone": contact.phone,
        "wa_chat_id": contact.wa_chat_id,
        "kind": contact.kind.value,
        "patient_id": contact.patient_id,
        "fields": contact.fields,
        "opted_out_at": contact.opted_out_at.isoformat() if contact.opted_out_at else None,
        "opt_out_source": contact.opt_out_source,
    }


def conversation_view(conversation: Conversation, contact: Contact | None) -> dict[str, Any]:
    """Without the contact (an action's answer), the consent flag is left out, not guessed."""
    consent = consent_flag(contact) if contact is not None else {}
    return {**conversation.snapshot(), **consent, "contact": contact_summary(contact)}


def media_url(base: str, slug: str, message_id: str) -> str:
    """Where a stored file is served, under the app's mount path ``base`` ("" at the root)."""
    return f"{base}/api/associations/{slug}/media/{message_id}"


def message_view(message: Message, slug: str, *, base: str) -> dict[str, Any]:
    """Media is served by us (``/media/{id}``), never from WAHA, once it is in our store;
    ``base`` is the app's mount path (``mount.mount_path``)."""
    data = message.snapshot()
    if data["media"] is not None:
        stored = message.media is not None and message.media.stored
        data["media"]["url"] = media_url(base, slug, message.id) if stored else None
    return data


def patient_view(patient: Patient | None) -> dict[str, Any] | None:
    if patient is None:
        return None
    return {
        "id": patient.id,
        "full_name": patient.full_name,
        "status": patient.status.value,
        "phones": list(patient.phones),
        "profile": patient.profile,
        "orders": [
            {
                "id": order.id,
                "date": order.date.isoformat(),
                "items": order.items,
                "total": str(order.total),
                "status": order.status,
            }
            for order in patient.orders
        ],
    }
