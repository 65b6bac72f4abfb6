"""Automatic assignment of waiting conversations to online agents (issue 9, item 1).

- Off by default; an admin turns it on with a per-agent limit of open conversations and, if
  wanted, the time after which an offline agent's conversations go back to the queue.
- A conversation entering ``pending`` (a handoff, or opened while the bot may not answer) gets
  an ``assign`` job. Every ``assign`` job runs one pass over the association's queue, oldest
  first: each conversation goes to the online agent the roster picks (``model/assignment``),
  until the queue is empty or every online agent is at the limit. What is left waits for the
  next pass: one runs when an agent comes online, when an agent's conversation is resolved,
  released or taken by someone else, and with the periodic check.
- A routed conversation stays ``pending``, now with its assignee, until that agent claims or
  answers it (then it is ``human``): nobody has talked to the contact yet, so it still waits,
  and the status machine keeps ``human`` for what an agent did. Another agent may still claim
  it, as any pending conversation. The agent is told with an ``alert`` event (kind
  ``assigned``), and every inbox with ``conversation.updated``.
- The periodic check (``assignment_check`` job, one per association, every 30 s while
  assignment is on) puts the open conversations of agents offline longer than the configured
  time back in the queue (unassigned, pending) and runs a pass, which also retries what waits.
- Concurrency: a pass and a check hold the association's lock (a row lock on
  PostgreSQL, see the SQL repository) from their first statement to their commit, so two
  processes never count the same free slot or route the same conversation twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from returns.result import Result

from wa_crm.domain.model.assignment import Presence, Roster
from wa_crm.domain.model.association import AssignmentSettings, Association
from wa_crm.domain.model.conversation import Conversation, ConversationStatus
from wa_crm.domain.model.errors import DomainError
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import AssignmentCheck, AssignmentPass
from wa_crm.domain.model.jobs import Attempt, NewJob
from wa_crm.domain.usecases.admin.association_settings import save_settings
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

PASS_SIZE = 100
"""At most this many conversations are routed in one pass (one transaction); a full pass asks
for another at once."""

_log = logging.getLogger("wa_crm.assignment")


def check_job(association_id: str, at: datetime) -> NewJob:
    return new_job(
        AssignmentCheck(association_id),
        key=f"{AssignmentCheck.kind}:{association_id}",
        run_after=at,
    )


async def request_assignment(
    uow: UnitOfWork, association: Association, conversation: Conversation, now: datetime
) -> None:
    """In the unit of work that made ``conversation`` wait for agents: its ``assign`` job, when
    automatic assignment is on."""
    waiting = conversation.status is ConversationStatus.PENDING and conversation.assignee_id is None
    if association.assignment.enabled and waiting:
        job = new_job(
            AssignmentPass(association.id, conversation.id),
            key=f"{AssignmentPass.kind}:{conversation.id}",
            run_after=now,
        )
        await uow.jobs.schedule(job, now)


async def request_pass(uow: UnitOfWork, association_id: str, now: datetime) -> None:
    """Something may let waiting conversations through (an agent came online, an agent's
    conversation closed): a pass soon, when automatic assignment is on."""
    association = await uow.associations.get(association_id)
    if association is not None and association.assignment.enabled:
        job = new_job(
            AssignmentPass(association_id),
            key=f"{AssignmentPass.kind}:pass:{association_id}",
            run_after=now,
        )
        await uow.jobs.schedule(job, now)


async def _route_waiting(uow: UnitOfWork, association: Association, now: datetime) -> None:
    """One pass over the queue, under the lock."""
    presence = await uow.assignment.presence(association.id)
    online = [agent for agent in presence if agent.is_online(now)]
    open_counts = await uow.assignment.open_counts(association.id)
    roster = Roster(online, open_counts, association.assignment.max_open_per_agent)
    wanted = min(roster.capacity, PASS_SIZE)
    if not wanted:
        return
    routed = 0
    for conversation in await uow.assignment.waiting(association.id, wanted):
        agent_id = roster.pick()
        assert agent_id is not None, "no more conversations are read than the agents may take"
        conversation.route_to(agent_id)  # always allowed: waiting means pending and unassigned
        roster.assigned(agent_id)
        await uow.conversations.update(conversation)
        await uow.assignment.assigned(association.id, agent_id, now)
        routed += 1
    if routed == PASS_SIZE:
        await request_pass(uow, association.id, now)


async def _requeue_offline(uow: UnitOfWork, association: Association, now: datetime) -> None:
    """The open conversations of agents offline longer than the setting, back in the queue."""
    minutes = association.assignment.offline_reassign_minutes
    if minutes is None:
        return
    period = timedelta(minutes=minutes)
    presence = {agent.agent_id: agent for agent in await uow.assignment.presence(association.id)}
    for agent_id in await uow.assignment.open_counts(association.id):
        if not presence.get(agent_id, Presence(agent_id)).offline_for(period, now):
            continue
        held = await uow.assignment.held_by(association.id, agent_id)
        for conversation in held:
            conversation.requeue()  # always allowed: what an agent holds is pending or human
            await uow.conversations.update(conversation)
        _log.info(
            "offline agent's conversations requeued",
            extra={"agent_id": agent_id, "conversations": len(held)},
        )


async def _locked_if_assigning(uow: UnitOfWork, association_id: str) -> Association | None:
    """The association, locked for one pass at a time, when automatic assignment is on."""
    await uow.associations.lock(association_id)
    association = await uow.associations.get(association_id)
    if association is None or not association.assignment.enabled:
        return None
    return association


@dataclass(frozen=True)
class AssignWaiting:
    """The ``assign`` job: one pass over the association's queue."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, command: AssignmentPass, attempt: Attempt) -> None:
        association_id = command.association_id
        now = self.clock.now()
        async with self.uow_factory() as uow:
            association = await _locked_if_assigning(uow, association_id)
            if association is None:
                return
            await _route_waiting(uow, association, now)
            await uow.commit()


@dataclass(frozen=True)
class CheckAssignments:
    """The periodic ``assignment_check`` job: requeue what offline agents hold, run a pass, and
    come back after ``every`` while automatic assignment is on."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    every: timedelta = timedelta(seconds=30)

    async def __call__(self, command: AssignmentCheck, attempt: Attempt) -> None:
        association_id = command.association_id
        now = self.clock.now()
        async with self.uow_factory() as uow:
            association = await _locked_if_assigning(uow, association_id)
            if association is None:
                return
            await _requeue_offline(uow, association, now)
            await _route_waiting(uow, association, now)
            await uow.jobs.schedule(check_job(association_id, now + self.every), now)
            await uow.commit()


@dataclass(frozen=True)
class UpdateAssignmentSettings:
    """An admin changes the settings; turned on, the periodic check starts at once (and with
    it a first pass over what already waits)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(
        self, association_id: str, settings: AssignmentSettings
    ) -> Result[Association, DomainError]:
        now = self.clock.now()

        async def check_now_when_enabled(uow: UnitOfWork, _before: Association) -> None:
            if settings.enabled:
                await uow.jobs.schedule(check_job(association_id, now), now)

        return await save_settings(
            self.uow_factory,
            association_id,
            "assignment",
            settings.validated(),
            check_now_when_enabled,
        )
