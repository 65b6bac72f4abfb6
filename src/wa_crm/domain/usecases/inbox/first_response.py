"""The first-response target: a conversation waiting for agents that none answered within the
association's ``assignment.first_response_minutes`` is marked late (issue 17; architecture.md
section 5, periodic jobs).

- The wait starts at the conversation's oldest handoff no agent has answered (the handoffs
  table, which the statistics read too) and counts only the opening hours of
  ``bot.business_hours`` (``model/business_time``), plain elapsed time when none are set.
- Late means ``conversation.sla_breached_at`` set, which the inbox list shows, and one
  ``sla_breached`` alert (``monitoring/alerts``: the agents' pages, the monitoring page, the
  operators' sink), once per conversation. The mark goes when an agent answers or the
  conversation leaves the agents (``Conversation.answered_by_agent``, ``_move``).
- Only pending conversations are checked: one an agent took (human) has been seen, and a
  snoozed one was put aside on purpose.
- The ``check_first_response`` job (one per association, ``StartPeriodicJobs``) runs every
  minute, marks at most ``BATCH`` conversations per transaction, and runs again at once when
  there may be more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from wa_crm.domain.model.association import Association, Locale
from wa_crm.domain.model.business_time import business_time_between
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import CheckFirstResponse
from wa_crm.domain.model.jobs import Attempt, NewJob
from wa_crm.domain.model.statistics import Alert
from wa_crm.domain.usecases.monitoring.alerts import raise_alert
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

BATCH = 100
"""At most this many conversations are marked in one transaction."""

SLA_BREACHED = "sla_breached"
"""The kind of the alert a late conversation raises."""

_MESSAGES = {
    Locale.PT_BR: "Uma conversa aguarda há mais de {minutes} min a primeira resposta da equipe.",
    Locale.EN: "A conversation has waited more than {minutes} min for the team's first answer.",
}


def first_response_job(association_id: str, at: datetime) -> NewJob:
    return new_job(
        CheckFirstResponse(association_id),
        key=f"{CheckFirstResponse.kind}:{association_id}",
        run_after=at,
    )


async def _mark_late(
    uow: UnitOfWork, association: Association, conversation_id: str, since: datetime, now: datetime
) -> None:
    conversation = await uow.conversations.get(association.id, conversation_id)
    if conversation is None or conversation.snoozed_until is not None:
        return
    if not conversation.mark_late(now):  # taken or marked meanwhile
        return
    await uow.conversations.update(conversation)
    minutes = association.assignment.first_response_minutes
    message = _MESSAGES[association.locale].format(minutes=minutes)
    await raise_alert(
        uow,
        association.id,
        Alert(SLA_BREACHED, message, now),
        {"conversation_id": conversation.id, "waiting_since": since.isoformat()},
    )


@dataclass(frozen=True)
class CheckFirstResponses:
    """The periodic ``check_first_response`` job of one association."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    every: timedelta = timedelta(minutes=1)

    async def __call__(self, command: CheckFirstResponse, attempt: Attempt) -> None:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            association = await uow.associations.get(command.association_id)
            if association is None:
                return
            next_run = now + self.every
            minutes = association.assignment.first_response_minutes
            if minutes is not None:
                target = timedelta(minutes=minutes)
                hours = association.bot.business_hours
                # Business time never exceeds the clock's: these are all that may be late.
                waiting = await uow.conversations.awaiting_answer(
                    association.id, now - target, BATCH
                )
                for conversation, since in waiting:
                    if business_time_between(since, now, hours) < target:
                        break  # the others started waiting later: none of them is late either
                    await _mark_late(uow, association, conversation.id, since, now)
                else:
                    if len(waiting) == BATCH:
                        next_run = now
            await uow.jobs.schedule(first_response_job(association.id, next_run), now)
            await uow.commit()
