"""The periodic jobs of every association: the session poll, the retention purge, (when on) the
assignment check, the pruning of expired browser sessions, the closing of inactive bot
conversations and the first-response check.

Each job reschedules itself when it runs. At start-up every association gets each job it should
have and lacks, either none yet or one that died, so neither a crash nor a dead job stops it for
good; a pending or running job keeps its time. The same goes for the service's own jobs, which
keep tables every association shares in check (the pruning of processed event ids).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.jobs import JobStatus, NewJob
from wa_crm.domain.usecases.access.browser_sessions import prune_sessions_job
from wa_crm.domain.usecases.inbound.event_ids import prune_event_ids_job
from wa_crm.domain.usecases.inbox.assignment import check_job
from wa_crm.domain.usecases.inbox.first_response import first_response_job
from wa_crm.domain.usecases.inbox.inactivity import close_inactive_job
from wa_crm.domain.usecases.monitoring.session_health import poll_job
from wa_crm.domain.usecases.privacy.retention import purge_job
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

PeriodicJob = Callable[[Association, datetime], NewJob | None]
"""The association's job at a time, or None when the association needs none."""


def session_poll(association: Association, at: datetime) -> NewJob:
    return poll_job(association.id, at)


def retention_purge(association: Association, at: datetime) -> NewJob:
    return purge_job(association.id, at)


def assignment_check(association: Association, at: datetime) -> NewJob | None:
    return check_job(association.id, at) if association.assignment.enabled else None


def session_prune(association: Association, at: datetime) -> NewJob:
    return prune_sessions_job(association.id, at)


def inactivity_close(association: Association, at: datetime) -> NewJob:
    return close_inactive_job(association.id, at)


def first_response_check(association: Association, at: datetime) -> NewJob:
    return first_response_job(association.id, at)


EVERY_ASSOCIATION: tuple[PeriodicJob, ...] = (
    session_poll,
    retention_purge,
    assignment_check,
    session_prune,
    inactivity_close,
    first_response_check,
)
ServiceJob = Callable[[datetime], NewJob]
"""A job the whole service has one of, at a time."""

SERVICE_WIDE: tuple[ServiceJob, ...] = (prune_event_ids_job,)
_ALIVE = (JobStatus.PENDING, JobStatus.RUNNING)


@dataclass(frozen=True)
class StartPeriodicJobs:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    jobs: tuple[PeriodicJob, ...] = EVERY_ASSOCIATION
    service_jobs: tuple[ServiceJob, ...] = SERVICE_WIDE

    async def __call__(self) -> None:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            wanted: list[NewJob | None] = [job_for(now) for job_for in self.service_jobs]
            for association in await uow.associations.list():
                wanted.extend(job_for(association, now) for job_for in self.jobs)
            for job in wanted:
                if job is None:
                    continue
                existing = await uow.jobs.get_by_key(job.key)
                if existing is None or existing.status not in _ALIVE:
                    await uow.jobs.schedule(job, now)
            await uow.commit()
