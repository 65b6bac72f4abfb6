"""The periodic jobs of every association: the session poll, the retention purge and (when on)
the assignment check.

Each job reschedules itself when it runs. At start-up every association gets each job it should
have and lacks, either none yet or one that died, so neither a crash nor a dead job stops it for
good; a pending or running job keeps its time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.jobs import JobStatus, NewJob
from wa_crm.domain.usecases.assignment import check_job
from wa_crm.domain.usecases.retention import purge_job
from wa_crm.domain.usecases.session_health import poll_job
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


EVERY_ASSOCIATION: tuple[PeriodicJob, ...] = (session_poll, retention_purge, assignment_check)
_ALIVE = (JobStatus.PENDING, JobStatus.RUNNING)


@dataclass(frozen=True)
class StartPeriodicJobs:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    jobs: tuple[PeriodicJob, ...] = EVERY_ASSOCIATION

    async def __call__(self) -> None:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            for association in await uow.associations.list():
                for job_for in self.jobs:
                    job = job_for(association, now)
                    if job is None:
                        continue
                    existing = await uow.jobs.get_by_key(job.key)
                    if existing is None or existing.status not in _ALIVE:
                        await uow.jobs.schedule(job, now)
            await uow.commit()
