"""Snoozed conversations come back: a durable job per conversation wakes it at its time.

Snoozing itself is an agent action (``AgentActions.snooze``); a message from the contact wakes
the conversation too (``Conversation.receive``). The job finds nothing to do when the snooze
was ended or moved meanwhile: moving it reschedules the same job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wa_crm.domain.model.conversation import Conversation
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import WakeConversation
from wa_crm.domain.model.jobs import Attempt
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


async def schedule_wake(uow: UnitOfWork, conversation: Conversation, now: datetime) -> None:
    """Within the caller's unit of work, for a conversation that was just snoozed."""
    if conversation.snoozed_until is None:
        return
    await uow.jobs.schedule(
        new_job(
            WakeConversation(conversation.association_id, conversation.id),
            key=f"{WakeConversation.kind}:{conversation.id}",
            run_after=conversation.snoozed_until,
        ),
        now,
    )


@dataclass(frozen=True)
class WakeSnoozed:
    """The job: the conversation is back in the lists, and its assignee gets an alert."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, command: WakeConversation, attempt: Attempt) -> None:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            conversation = await uow.conversations.get(
                command.association_id, command.conversation_id
            )
            until = conversation.snoozed_until if conversation else None
            if conversation is None or until is None or until > now:
                return
            conversation.end_snooze()
            await uow.conversations.update(conversation)
            await uow.commit()
