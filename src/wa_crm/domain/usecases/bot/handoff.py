"""Handing a conversation from the bot to the agents (architecture.md section 4, item 5).

- The conversation moves to ``pending`` with the reason and a handoff note (reason, what the
  contact wants in at most two lines, the fields collected so far), shown first in the inbox.
- The association's transition message is queued once, and agents get an ``alert`` event;
  when the bot already told the contact why a person takes over (``announce=False``: no
  answer in the documents, a medical question, an emergency), it is not added.
- With automatic assignment on, the conversation gets an ``assign`` job (``assignment.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.conversation import Conversation, HandoffNote, HandoffReason
from wa_crm.domain.model.errors import InvalidTransition
from wa_crm.domain.model.message import Author
from wa_crm.domain.usecases.inbox.assignment import request_assignment
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.ports.system import IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWork


def two_lines(text: str, width: int = 160) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()][:2]
    return "\n".join(line[:width] for line in lines)


async def hand_off(
    uow: UnitOfWork,
    ids: IdGenerator,
    association: Association,
    conversation: Conversation,
    reason: HandoffReason,
    summary: str,
    fields: dict[str, Any],
    now: datetime,
    *,
    announce: bool = True,
) -> Result[None, InvalidTransition]:
    note = HandoffNote(reason=reason, summary=two_lines(summary), fields=dict(fields))
    match conversation.hand_off(reason, note):
        case Failure(error):
            return Failure(error)
    await uow.handoffs.record(association.id, conversation.id, reason.value, now)
    await request_assignment(uow, association, conversation, now)
    transition = association.bot.transition_message.strip()
    if transition and announce:
        await queue_outbound(uow, ids, conversation, Outgoing(transition, Author.SYSTEM), now)
    return Success(None)
