"""Several job workers on PostgreSQL, each with its own connection pool, as separate processes
would have: every job runs exactly once."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator

import pytest

from wa_crm.adapters.sql import SqlUnitOfWork, create_engine
from wa_crm.adapters.system.clock import SystemClock
from wa_crm.domain.model.jobs import Job, JobStatus, NewJob
from wa_crm.domain.usecases.jobs import JobRunner
from wa_crm.ports.unit_of_work import UnitOfWork

pytestmark = pytest.mark.postgres

JOBS = 120


@pytest.fixture
async def engines(postgres_url: str) -> AsyncIterator[list]:
    created = [create_engine(postgres_url) for _ in range(2)]
    yield created
    for engine in created:
        await engine.dispose()


async def test_racing_workers_run_each_job_exactly_once(engines, cipher) -> None:
    clock = SystemClock()
    runs: collections.Counter[str] = collections.Counter()

    async def record(job: Job) -> None:
        runs[job.key] += 1
        await asyncio.sleep(0)  # let the other workers interleave

    def factory(engine):
        def new() -> UnitOfWork:
            return SqlUnitOfWork(engine, cipher)

        return new

    async with factory(engines[0])() as uow:
        for number in range(JOBS):
            await uow.jobs.schedule(NewJob("record", f"record:{number}", clock.now()), clock.now())
        await uow.commit()

    runners = [
        JobRunner(factory(engine), clock, {"record": record}, f"worker-{i}-{j}", batch_size=3)
        for i, engine in enumerate(engines)
        for j in range(3)
    ]

    async def drain(runner: JobRunner) -> int:
        total = 0
        while claimed := await runner.run_due():
            total += claimed
        return total

    claimed_per_worker = await asyncio.gather(*(drain(runner) for runner in runners))
    assert sum(claimed_per_worker) == JOBS
    assert len(runs) == JOBS and set(runs.values()) == {1}
    assert sum(1 for claimed in claimed_per_worker if claimed) > 1, "the work was shared"
    async with factory(engines[1])() as uow:
        counts = await uow.jobs.count_by_status()
    assert counts[JobStatus.DONE.value] == JOBS
