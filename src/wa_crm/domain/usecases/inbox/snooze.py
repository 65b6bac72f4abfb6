"""Snoozed conversations come back: a durable job per conversation wakes it at its time.

Snoozing itself is an agent action (``AgentActions.snooze``); a message from the contact wakes
the conversation too (``Conversation.receive``). The job finds nothing to do when the snooze
was ended or moved meanwhile: moving it reschedules the same job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wa_crm.domain.model.conversation import Conversation
from wa_crm.domain.model.correlation import carried
from wa_crm.domain.model.events import DomainEvent, EventType
from wa_crm.domain.model.jobs import Job, NewJob, PermanentJobError
from wa_crm.domain.usecases.jobs.publish import publish_committed
from wa_crm.ports.events import EventBus
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

WAKE_SNOOZED_JOB = "wake_snoozed"


async def schedule_wake(uow: UnitOfWork, conversation: Conversation, now: datetime) -> None:
    """Within the caller's unit of work, for a conversation that was just snoozed."""
    if conversation.snoozed_until is None:
        return
    await uow.jobs.schedule(
        NewJob(
            kind=WAKE_SNOOZED_JOB,
            key=f"{WAKE_SNOOZED_JOB}:{conversation.id}",
            run_after=conversation.snoozed_until,
            payload=carried({"conversation_id": conversation.id}),
            association_id=conversation.association_id,
        ),
        now,
    )


@dataclass(frozen=True)
class WakeSnoozed:
    """The job: the conversation is back in the lists, and its assignee gets an alert."""

    uow_factory: UnitOfWorkFactory
    bus: EventBus
    clock: Clock

    async def __call__(self, job: Job) -> None:
        if job.association_id is None:
            raise PermanentJobError("wake_snoozed job without an association")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            conversation = await uow.conversations.get(
                job.association_id, str(job.payload["conversation_id"])
            )
            until = conversation.snoozed_until if conversation else None
            if conversation is None or until is None or until > now:
                return
            conversation.wake()
            await uow.conversations.update(conversation)
            uow.record(*conversation.pull_events(), _snooze_ended(conversation))
            await uow.commit()
        await publish_committed(uow, self.bus)


def _snooze_ended(conversation: Conversation) -> DomainEvent:
    return DomainEvent(
        EventType.ALERT,
        conversation.association_id,
        {
            "kind": "snooze_ended",
            "conversation_id": conversation.id,
            "assignee_id": conversation.assignee_id,
        },
    )
