"""Job workers on PostgreSQL: racing workers with their own connection pools run every job
exactly once, and a killed worker process's job is taken over when its lease expires."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.support.job_commands import Echo

from wa_crm.adapters.sql import SqlUnitOfWork, create_engine
from wa_crm.adapters.sql.engine import read_only_engine
from wa_crm.adapters.sql.queries.monitoring import SqlMonitoringQueries
from wa_crm.adapters.system.clock import SystemClock
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.jobs import Attempt, JobStatus, NewJob
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.ports.unit_of_work import UnitOfWork

pytestmark = pytest.mark.postgres

JOBS = 120
REPOSITORY = Path(__file__).resolve().parents[2]


def echo_job(key: str, clock: SystemClock) -> NewJob:
    return new_job(Echo(key), key=key, run_after=clock.now())


@pytest.fixture
async def engines(postgres_url: str) -> AsyncIterator[list]:
    created = [create_engine(postgres_url) for _ in range(2)]
    yield created
    for engine in created:
        await engine.dispose()


async def test_racing_workers_run_each_job_exactly_once(engines, cipher) -> None:
    clock = SystemClock()
    runs: collections.Counter[str] = collections.Counter()

    async def record(command: Echo, attempt: Attempt) -> None:
        runs[command.label] += 1
        await asyncio.sleep(0)  # let the other workers interleave

    def factory(engine):
        def new() -> UnitOfWork:
            return SqlUnitOfWork(engine, cipher)

        return new

    async with factory(engines[0])() as uow:
        for number in range(JOBS):
            await uow.jobs.schedule(echo_job(f"record:{number}", clock), clock.now())
        await uow.commit()

    runners = [
        JobRunner(factory(engine), clock, {Echo: record}, f"worker-{i}-{j}", batch_size=3)
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
    reader = read_only_engine(engines[1])
    try:
        counts = await SqlMonitoringQueries(reader).job_counts()
    finally:
        await reader.dispose()
    assert counts[JobStatus.DONE.value] == JOBS


WORKER_SCRIPT = """
import asyncio, sys
from datetime import timedelta
from wa_crm.adapters.sql import SqlUnitOfWork, create_engine
from wa_crm.adapters.system.clock import SystemClock
from tests.conftest import TestCipher
from tests.support.job_commands import Echo
from wa_crm.domain.usecases.runtime.runner import JobRunner

async def hang(command, attempt):
    print("running", command.label, flush=True)
    await asyncio.Event().wait()

async def main():
    engine = create_engine(sys.argv[1])
    runner = JobRunner(lambda: SqlUnitOfWork(engine, TestCipher()), SystemClock(), {Echo: hang},
                       "doomed", lease=timedelta(seconds=float(sys.argv[2])))
    await runner.run_due()

asyncio.run(main())
"""


async def test_a_killed_worker_process_leaves_its_job_to_another_after_the_lease(
    postgres_url: str, cipher
) -> None:
    clock = SystemClock()
    engine = create_engine(postgres_url)
    try:
        async with SqlUnitOfWork(engine, cipher) as uow:
            await uow.jobs.schedule(echo_job("record:orphan", clock), clock.now())
            await uow.commit()
        root = REPOSITORY
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER_SCRIPT,
            postgres_url,
            "1.5",
            stdout=asyncio.subprocess.PIPE,
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line.decode().strip() == "running record:orphan"
        process.send_signal(signal.SIGKILL)
        await process.wait()

        runs: list[tuple[str, int]] = []

        async def record(command: Echo, attempt: Attempt) -> None:
            runs.append((command.label, attempt.number))

        survivor = JobRunner(
            lambda: SqlUnitOfWork(engine, cipher),
            clock,
            {Echo: record},
            "survivor",
            lease=timedelta(seconds=30),
        )
        assert await survivor.run_due() == 0, "the dead worker's lease still holds"
        await asyncio.sleep(1.6)
        assert await survivor.run_due() == 1
        assert runs == [("record:orphan", 2)]
    finally:
        await engine.dispose()
