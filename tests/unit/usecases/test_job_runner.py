from __future__ import annotations

import asyncio
import dataclasses
import functools
import random
from datetime import timedelta

import pytest
from tests.support.job_commands import Echo

from wa_crm.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.jobs import (
    Attempt,
    Backoff,
    Job,
    JobStatus,
    PermanentJobError,
    Postpone,
    RetryLater,
)
from wa_crm.domain.usecases.runtime.runner import JobHandler, JobRunner, RetryDeadJob
from wa_crm.testing.clock import FakeClock


class Recorder:
    """A job handler that records each run and fails as told."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.runs: list[tuple[str, int]] = []
        self.failures = failures or []

    async def __call__(self, command: Echo, attempt: Attempt) -> None:
        self.runs.append((command.label, attempt.number))
        if self.failures:
            raise self.failures.pop(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def uow_factory() -> functools.partial[InMemoryUnitOfWork]:
    return functools.partial(InMemoryUnitOfWork, InMemoryStore())


def runner(uow_factory, clock, handler: JobHandler, worker: str = "w1", **kwargs) -> JobRunner:
    return JobRunner(
        uow_factory=uow_factory,
        clock=clock,
        handlers={Echo: handler},
        worker_id=worker,
        backoff=Backoff(base_seconds=2, max_seconds=60),
        **kwargs,
    )


async def schedule(
    uow_factory,
    clock,
    key: str = "echo:1",
    max_attempts: int = 3,
    delay: float = 0,
    label: str | None = None,
) -> Job:
    """The ``Echo`` job under ``key``, labelled with the key unless told otherwise."""
    new = new_job(Echo(label or key), key=key, run_after=clock.now() + timedelta(seconds=delay))
    async with uow_factory() as uow:
        job = await uow.jobs.schedule(
            dataclasses.replace(new, max_attempts=max_attempts), clock.now()
        )
        await uow.commit()
    return job


async def stored(uow_factory, key: str) -> Job:
    async with uow_factory() as uow:
        job = await uow.jobs.get_by_key(key)
    assert job is not None
    return job


async def test_a_due_job_runs_once_and_is_done(uow_factory, clock) -> None:
    handler = Recorder()
    await schedule(uow_factory, clock)
    assert await runner(uow_factory, clock, handler).run_due() == 1
    assert await runner(uow_factory, clock, handler).run_due() == 0
    assert handler.runs == [("echo:1", 1)]
    assert (await stored(uow_factory, "echo:1")).status is JobStatus.DONE


async def test_a_job_is_not_run_before_its_time(uow_factory, clock) -> None:
    handler = Recorder()
    await schedule(uow_factory, clock, delay=3)
    assert await runner(uow_factory, clock, handler).run_due() == 0
    clock.advance(3)
    assert await runner(uow_factory, clock, handler).run_due() == 1


async def test_failures_back_off_then_the_job_is_dead_with_the_last_error(
    uow_factory, clock
) -> None:
    handler = Recorder([RuntimeError("first"), RuntimeError("second"), RuntimeError("third")])
    await schedule(uow_factory, clock, max_attempts=3)
    work = runner(uow_factory, clock, handler)
    await work.run_due()
    job = await stored(uow_factory, "echo:1")
    assert job.status is JobStatus.PENDING and job.last_error == "RuntimeError: first"
    first_wait = job.run_after - clock.now()
    assert timedelta(seconds=1) <= first_wait <= timedelta(seconds=2)
    assert await work.run_due() == 0, "the retry waits for its backoff"
    clock.advance(2)
    await work.run_due()
    second_wait = (await stored(uow_factory, "echo:1")).run_after - clock.now()
    assert timedelta(seconds=2) <= second_wait <= timedelta(seconds=4)
    clock.advance(4)
    await work.run_due()
    job = await stored(uow_factory, "echo:1")
    assert job.status is JobStatus.DEAD and job.last_error == "RuntimeError: third"
    assert [attempt for _, attempt in handler.runs] == [1, 2, 3]


async def test_a_permanent_error_kills_the_job_at_once(uow_factory, clock) -> None:
    handler = Recorder([PermanentJobError("contact must write first")])
    await schedule(uow_factory, clock, max_attempts=6)
    await runner(uow_factory, clock, handler).run_due()
    job = await stored(uow_factory, "echo:1")
    assert (job.status, job.last_error, job.attempts) == (
        JobStatus.DEAD,
        "contact must write first",
        1,
    )


async def test_retry_later_sets_the_next_attempt(uow_factory, clock) -> None:
    handler = Recorder([RetryLater("429", timedelta(seconds=42))])
    await schedule(uow_factory, clock)
    await runner(uow_factory, clock, handler).run_due()
    job = await stored(uow_factory, "echo:1")
    assert job.status is JobStatus.PENDING
    assert job.run_after == clock.now() + timedelta(seconds=42)


async def test_a_dead_job_can_be_retried_with_fresh_attempts(uow_factory, clock) -> None:
    handler = Recorder([PermanentJobError("boom")])
    job = await schedule(uow_factory, clock)
    await runner(uow_factory, clock, handler).run_due()
    retry = RetryDeadJob(uow_factory, clock)
    retried = (await retry(job.id)).unwrap()
    assert (retried.status, retried.attempts) == (JobStatus.PENDING, 0)
    assert (await retry(job.id)).failure().code == "job_not_dead"
    assert (await retry("no-such-job")).failure().code == "unknown_job"
    await runner(uow_factory, clock, handler).run_due()
    assert (await stored(uow_factory, "echo:1")).status is JobStatus.DONE


async def test_rescheduling_while_running_runs_the_newer_version_too(uow_factory, clock) -> None:
    """Debounce: a message arriving during a bot turn gets a turn of its own."""
    started, release = asyncio.Event(), asyncio.Event()
    runs: list[str] = []

    async def slow(command: Echo, attempt: Attempt) -> None:
        runs.append(command.label)
        started.set()
        await release.wait()

    await schedule(uow_factory, clock, label="first")
    work = runner(uow_factory, clock, slow)
    running = asyncio.create_task(work.run_due())
    await started.wait()
    await schedule(uow_factory, clock, delay=3, label="newer")
    release.set()
    await running
    job = await stored(uow_factory, "echo:1")
    assert job.status is JobStatus.PENDING and job.run_after == clock.now() + timedelta(seconds=3)
    clock.advance(3)
    started.clear()
    await work.run_due()
    assert runs == ["first", "newer"]
    assert (await stored(uow_factory, "echo:1")).status is JobStatus.DONE


async def test_a_killed_workers_job_is_taken_over_after_its_lease(uow_factory, clock) -> None:
    await schedule(uow_factory, clock)
    lease = timedelta(seconds=30)
    async with uow_factory() as uow:  # worker "dead" claims and then never reports back
        claimed = await uow.jobs.claim_due(clock.now(), "dead", clock.now() + lease, ["echo"], 1)
        await uow.commit()
    assert len(claimed) == 1
    handler = Recorder()
    survivor = runner(uow_factory, clock, handler, worker="alive", lease=lease)
    assert await survivor.run_due() == 0, "the lease still holds"
    clock.advance(31)
    assert await survivor.run_due() == 1
    assert handler.runs == [("echo:1", 2)]
    assert (await stored(uow_factory, "echo:1")).status is JobStatus.DONE


async def test_a_job_whose_leases_kept_expiring_ends_dead(uow_factory, clock) -> None:
    await schedule(uow_factory, clock, max_attempts=2)
    for _ in range(2):
        async with uow_factory() as uow:
            await uow.jobs.claim_due(clock.now(), "dead", clock.now(), ["echo"], 1)
            await uow.commit()
        clock.advance(1)
    handler = Recorder()
    await runner(uow_factory, clock, handler).run_due()
    assert handler.runs == []
    assert (await stored(uow_factory, "echo:1")).status is JobStatus.DEAD


async def test_a_long_job_keeps_its_lease(uow_factory, clock) -> None:
    lease = timedelta(seconds=0.06)
    release = asyncio.Event()

    async def long_job(command: Echo, attempt: Attempt) -> None:
        await asyncio.sleep(0.1)  # several heartbeats (lease/3 = 20 ms)
        release.set()

    await schedule(uow_factory, clock)
    task = asyncio.create_task(runner(uow_factory, clock, long_job, lease=lease).run_due())
    clock.advance(0.05)
    await asyncio.sleep(0.03)  # a heartbeat extends the lease from the advanced time
    clock.advance(0.05)  # past the first lease: only the heartbeat keeps the job ours
    async with uow_factory() as uow:
        stolen = await uow.jobs.claim_due(clock.now(), "thief", clock.now() + lease, ["echo"], 1)
    assert stolen == []
    await task
    assert release.is_set()


def test_backoff_grows_exponentially_with_jitter_under_its_cap() -> None:
    backoff = Backoff(base_seconds=2, max_seconds=60)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8), (4, 16), (10, 60)]:
        delay = backoff.delay(attempt, rng).total_seconds()
        assert ceiling / 2 <= delay <= ceiling


async def test_a_postponed_job_waits_without_using_its_attempts(uow_factory, clock) -> None:
    handler = Recorder([Postpone("circuit open", timedelta(seconds=30))] * 10)
    await schedule(uow_factory, clock, max_attempts=2)
    work = runner(uow_factory, clock, handler)
    for _ in range(4):
        assert await work.run_due() == 1
        job = await stored(uow_factory, "echo:1")
        assert (job.status, job.attempts) == (JobStatus.PENDING, 0)
        assert job.run_after == clock.now() + timedelta(seconds=30)
        clock.advance(30)
    assert len(handler.runs) == 4


async def test_a_batch_job_whose_lease_was_taken_over_is_not_run_twice(uow_factory, clock) -> None:
    runs: list[str] = []
    lease = timedelta(seconds=10)

    async def slow_then_steal(command: Echo, attempt: Attempt) -> None:
        runs.append(command.label)
        if len(runs) == 1:
            clock.advance(11)  # the rest of the batch's lease expires while this one runs
            async with uow_factory() as uow:
                stolen = await uow.jobs.claim_due(
                    clock.now(), "thief", clock.now() + lease, ["echo"], 10
                )
                await uow.commit()
            assert len(stolen) == 1 and stolen[0].key != command.label

    await schedule(uow_factory, clock, key="echo:1")
    await schedule(uow_factory, clock, key="echo:2")
    await runner(uow_factory, clock, slow_then_steal, lease=lease).run_due()
    assert len(runs) == 1, "the other job belongs to the thief now"


async def test_a_job_whose_payload_cannot_be_read_back_is_dead_with_the_reason(
    uow_factory, clock
) -> None:
    handler = Recorder()
    new = new_job(Echo("echo:1"), key="echo:1", run_after=clock.now())
    async with uow_factory() as uow:
        await uow.jobs.schedule(dataclasses.replace(new, payload={"label": 7}), clock.now())
        await uow.commit()
    await runner(uow_factory, clock, handler).run_due()
    job = await stored(uow_factory, "echo:1")
    assert (job.status, job.last_error) == (JobStatus.DEAD, "echo job's 'label' is not a str: 7")
    assert handler.runs == []
