"""Acks that overtake our send: WAHA may post ``message.ack`` (SERVER, even DEVICE) before its
answer to the send has given us the message's WhatsApp id. Such an ack is kept
(``PendingAckRepository``) and applied when the id is stored, so ticks never stick at "sent";
kept acks no message claims are pruned with the processed event ids (``event_ids``)."""

from __future__ import annotations

from wa_crm.domain.model.message import Message
from wa_crm.ports.unit_of_work import UnitOfWork


async def apply_early_ack(uow: UnitOfWork, message: Message) -> None:
    """Within the unit that stores the message's WhatsApp id: the ack kept for it, if any,
    moves its status on (the caller saves the message)."""
    if message.external_id:
        status = await uow.pending_acks.take(message.association_id, message.external_id)
        if status is not None:
            message.advance(status)
