"""Conversations that end: a bot conversation nobody wrote in for the association's
``bot.inactivity_close_hours`` is resolved (issue 17; architecture.md section 5, periodic jobs).

- Only conversations with the bot: one waiting for agents (pending), held by one (human) or
  snoozed is the team's to close. Idle means no message since, from either side: the bot answers
  within seconds, so that is the contact's silence.
- The contact is told with ``bot.closing_message`` (a system message, as the satisfaction
  survey), unless they opted out or the message is empty: then it is resolved silently. If
  they write again, a new conversation starts, as after any resolution.
- The ``close_inactive`` job (one per association, ``StartPeriodicJobs``) runs every few
  minutes and closes at most ``BATCH`` conversations per transaction; a full batch runs again at
  once. Each conversation is read again, locked, and checked before it is closed, so a message
  that arrives meanwhile keeps it open, and a second run finds nothing left to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import CloseInactive
from wa_crm.domain.model.jobs import Attempt, NewJob
from wa_crm.domain.model.message import Author
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.domain.usecases.privacy.consent import outbound_refusal
from wa_crm.ports.system import Clock, IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

BATCH = 100
"""At most this many conversations are closed in one transaction."""

_log = logging.getLogger("wa_crm.inactivity")


def close_inactive_job(association_id: str, at: datetime) -> NewJob:
    return new_job(
        CloseInactive(association_id), key=f"{CloseInactive.kind}:{association_id}", run_after=at
    )


def _idle_since(conversation: Conversation, cutoff: datetime) -> bool:
    activity = conversation.last_message_at or conversation.created_at
    return (
        conversation.status is ConversationStatus.BOT
        and conversation.snoozed_until is None
        and activity < cutoff
    )


async def _close(
    uow: UnitOfWork,
    ids: IdGenerator,
    association: Association,
    conversation: Conversation,
    now: datetime,
) -> None:
    closing = association.bot.closing_message.strip()
    may_write = (
        closing
        and conversation.channel is Channel.WHATSAPP
        and await outbound_refusal(uow, conversation, Author.SYSTEM) is None
    )
    if may_write:
        await queue_outbound(uow, ids, conversation, Outgoing(closing, Author.SYSTEM), now)
    conversation.resolve(now)  # always allowed: it is with the bot
    await uow.conversations.update(conversation)


@dataclass(frozen=True)
class CloseInactiveConversations:
    """The periodic ``close_inactive`` job of one association."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator
    every: timedelta = timedelta(minutes=5)

    async def __call__(self, command: CloseInactive, attempt: Attempt) -> None:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            association = await uow.associations.get(command.association_id)
            if association is None:
                return
            cutoff = now - timedelta(hours=association.bot.inactivity_close_hours)
            idle = await uow.conversations.idle_with_bot(association.id, cutoff, BATCH)
            closed = 0
            for candidate in idle:
                conversation = await uow.conversations.get(association.id, candidate.id)
                if conversation is not None and _idle_since(conversation, cutoff):
                    await _close(uow, self.ids, association, conversation, now)
                    closed += 1
            next_run = now if len(idle) == BATCH else now + self.every
            await uow.jobs.schedule(close_inactive_job(association.id, next_run), now)
            await uow.commit()
        if closed:
            _log.info(
                "inactive conversations closed",
                extra={"association_id": association.id, "conversations": closed},
            )
