"""Emergencies (architecture.md section 4, item 5): the contact gets the emergency numbers at
once, the conversation is marked urgent (first in the inbox until resolved) and the agents are
alerted, whoever holds the conversation.

- In a conversation the bot answers, the bot turn decides it (``turn_decision``) and hands off.
- In one that waits for agents (the bot turned off, outside business hours, or already handed
  off), ingest calls ``emergency_without_the_bot``: the numbers are sent anyway and the agents
  alerted. In one an agent talks in, only the mark and the alert: a person is already there.
- A contact who opted out is sent nothing (consent), and the bot does not answer them; their
  emergency still marks the conversation and alerts the agents, whoever holds it.
- The numbers go as a system message, which delivery never withholds when an agent takes the
  conversation a moment later; they are sent once per conversation (the urgent mark says so).
"""

from __future__ import annotations

from datetime import datetime

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.conversation import Conversation, ConversationStatus
from wa_crm.domain.model.guardrails import Guardrail, guardrail_for
from wa_crm.domain.model.message import Author
from wa_crm.domain.model.statistics import Alert
from wa_crm.domain.usecases.monitoring.alerts import raise_alert
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.ports.system import IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWork

ALERT = "A contact reported an emergency; a person must answer now"


async def mark_emergency(
    uow: UnitOfWork, association_id: str, conversation: Conversation, now: datetime
) -> None:
    """Mark the conversation urgent and alert the agents; the caller stores it and commits."""
    conversation.mark_urgent()
    await raise_alert(
        uow, association_id, Alert("emergency", ALERT, now), {"conversation_id": conversation.id}
    )


async def emergency_without_the_bot(
    uow: UnitOfWork,
    ids: IdGenerator,
    association: Association,
    conversation: Conversation,
    text: str,
    now: datetime,
    *,
    contact_opted_out: bool,
) -> None:
    """A contact's message in a conversation the bot does not answer (or to a contact who opted
    out, whom it never answers): if it reports an emergency not reported yet, the numbers
    (unless an agent is talking, or the contact opted out), the mark and the alert. The caller
    commits."""
    if conversation.urgent or not conversation.is_open:
        return
    if conversation.bot_may_speak and not contact_opted_out:
        return  # the bot turn answers it
    if guardrail_for(text) is not Guardrail.EMERGENCY:
        return
    if conversation.status is ConversationStatus.PENDING and not contact_opted_out:
        numbers = Outgoing(association.bot.emergency_message, Author.SYSTEM)
        await queue_outbound(uow, ids, conversation, numbers, now)
    await mark_emergency(uow, association.id, conversation, now)
    await uow.conversations.update(conversation)
