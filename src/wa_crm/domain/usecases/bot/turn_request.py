"""The request a bot turn sends its provider (architecture.md section 4): the association's
prompt and objective, what is known of the contact, the recent conversation (voice notes as
their transcripts), and the passages of the association's documents found for the question.

For an external provider, the text and the contact's data go with the personal data the
association marks as sensitive masked; the passages are the association's own text and go as
they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.knowledge import Passage
from wa_crm.domain.model.message import Direction, Message
from wa_crm.domain.model.people import Contact, ContactKind, Patient
from wa_crm.domain.model.privacy import Masker
from wa_crm.domain.usecases.bot.contact_said import said
from wa_crm.domain.usecases.bot.masking import mask_values
from wa_crm.ports.ai import Speaker, TurnMessage, TurnRequest

RECENT_ORDERS = 3


def contact_context(contact: Contact, patient: Patient | None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "kind": contact.kind.value,
        "name": contact.display_name,
        "collected": dict(contact.fields),
    }
    if patient is not None and contact.kind is ContactKind.MEMBER:
        context["first_name"] = patient.first_name
        context["profile"] = dict(patient.profile)
        context["orders"] = [
            {
                "id": order.id,
                "date": order.date.isoformat(),
                "items": order.items,
                "total": str(order.total),
                "status": order.status,
            }
            for order in patient.orders[:RECENT_ORDERS]
        ]
    return context


def turn_request(
    association: Association,
    contact: Contact,
    patient: Patient | None,
    history: Sequence[Message],
    passages: tuple[Passage, ...],
    masker: Masker | None,
) -> TurnRequest:
    """``masker``: the external provider's, or None for a local one."""

    def hide(text: str) -> str:
        return masker.mask(text) if masker else text

    bot = association.bot
    turns = tuple(
        TurnMessage(
            Speaker.CONTACT if message.direction is Direction.IN else Speaker.ASSISTANT,
            hide(said(message)),
        )
        for message in history
        if said(message)
    )
    context = contact_context(contact, patient)
    if masker is not None:
        context = mask_values(context, masker)
    return TurnRequest(
        system_prompt=hide(bot.system_prompt),
        objective=hide(bot.objective),
        history=turns,
        contact=context,
        model=bot.model,
        locale=association.locale.value,
        lead_questions=bot.lead_questions,
        attachments=bot.attachments,
        completion_message=bot.objective_complete_message,
        passages=passages,
    )
