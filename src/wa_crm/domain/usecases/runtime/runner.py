"""Running durable jobs: claim due ones, run their handler, record the outcome.

- A claim is a lease: a worker that dies mid-job leaves the job to another worker once the
  lease expires; a live worker extends its lease while the handler runs.
- A handler that raises is retried with exponential backoff and jitter until ``max_attempts``,
  then the job is dead with the last error; ``PermanentJobError`` makes it dead at once,
  ``RetryLater`` sets the next attempt's time, and ``Postpone`` waits without using an attempt.
- A job rescheduled while it ran (a newer version) stays pending for the newer version.
- Handlers are registered by command type; the runner claims only the kinds it has handlers
  for, reads each row back into its command (``job_codec``) and hands the handler the command.
  A row that cannot be read back is dead at once, as with ``PermanentJobError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from returns.result import Failure, Result, Success

from wa_crm.domain.model.correlation import correlation_id
from wa_crm.domain.model.errors import JobNotDead, UnknownJob
from wa_crm.domain.model.job_codec import command_of, correlation_of
from wa_crm.domain.model.job_commands import JobCommand
from wa_crm.domain.model.jobs import (
    Attempt,
    Backoff,
    Job,
    JobStatus,
    NewJob,
    PermanentJobError,
    Postpone,
    RetryLater,
)
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

JobHandler = Callable[[Any, Attempt], Awaitable[None]]
"""Runs one command type's jobs. ``Any``: a mapping cannot tie each command type it holds to
its handler's parameter type; the runner only ever calls a handler with its own type."""

_log = logging.getLogger("wa_crm.jobs")


@dataclass(frozen=True)
class JobRunner:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    handlers: Mapping[type[JobCommand], JobHandler]
    worker_id: str
    lease: timedelta = timedelta(minutes=5)
    backoff: Backoff = field(default_factory=Backoff)
    batch_size: int = 10

    async def run_due(self) -> int:
        """Run the jobs due now, one after another; returns how many were claimed."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            jobs = await uow.jobs.claim_due(
                now, self.worker_id, now + self.lease, self._kinds, self.batch_size
            )
            await uow.commit()
        for job in jobs:
            await self._run(job)
        return len(jobs)

    async def run_until(self, stop: asyncio.Event, poll_seconds: float) -> None:
        """Poll for due jobs until ``stop`` is set; an idle worker sleeps ``poll_seconds``."""
        while not stop.is_set():
            try:
                claimed = await self.run_due()
            except Exception:
                _log.exception("job claim failed", extra={"worker": self.worker_id})
                claimed = 0
            if not claimed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_seconds)

    async def _run(self, job: Job) -> None:
        # A batch is claimed under one lease, but only the running job's lease is renewed: a
        # job further down the batch may have been taken over meanwhile. Renew it, or skip it.
        if not await self._renew_lease(job):
            return
        if job.attempts > job.max_attempts:
            await self._fail(job, f"gave up after {job.max_attempts} attempts", retry_in=None)
            return
        heartbeat = asyncio.create_task(self._keep_lease(job))
        traced = correlation_id.set(correlation_of(job) or f"job:{job.id}")
        try:
            command = command_of(job, self.handlers)
            await self.handlers[type(command)](command, job.attempt)
        except PermanentJobError as error:
            await self._fail(job, str(error) or type(error).__name__, retry_in=None)
        except Postpone as error:
            await self._postpone(job, error.after)
        except RetryLater as error:
            await self._fail(job, str(error), retry_in=error.after if job.attempts_left else None)
        except Exception as error:
            _log.warning(
                "job failed",
                exc_info=True,
                extra={"job_kind": job.kind, "job_id": job.id, "attempt": job.attempts},
            )
            retry_in = self.backoff.delay(job.attempts) if job.attempts_left else None
            await self._fail(job, f"{type(error).__name__}: {error}", retry_in=retry_in)
        else:
            async with self.uow_factory() as uow:
                await uow.jobs.complete(job.id, job.version, self.worker_id, self.clock.now())
                await uow.commit()
        finally:
            correlation_id.reset(traced)
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    @property
    def _kinds(self) -> list[str]:
        return [command_type.kind for command_type in self.handlers]

    async def _postpone(self, job: Job, after: timedelta) -> None:
        """Reschedule under the same key (a newer version), then finish this version: the job
        is pending again at the new time with its attempts reset."""
        now = self.clock.now()
        again = NewJob(
            kind=job.kind,
            key=job.key,
            run_after=now + after,
            payload=job.payload,
            association_id=job.association_id,
            max_attempts=job.max_attempts,
        )
        async with self.uow_factory() as uow:
            await uow.jobs.schedule(again, now)
            await uow.jobs.complete(job.id, job.version, self.worker_id, now)
            await uow.commit()

    async def _fail(self, job: Job, error: str, retry_in: timedelta | None) -> None:
        now = self.clock.now()
        retry_at = now + retry_in if retry_in is not None else None
        async with self.uow_factory() as uow:
            await uow.jobs.fail(job.id, job.version, self.worker_id, error[:2000], retry_at, now)
            await uow.commit()
        if retry_at is None:
            _log.error("job is dead", extra={"job_kind": job.kind, "job_id": job.id})

    async def _keep_lease(self, job: Job) -> None:
        interval = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            if not await self._renew_lease(job):
                return

    async def _renew_lease(self, job: Job) -> bool:
        """False when the worker no longer holds the job."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            held = await uow.jobs.extend_lease(job.id, self.worker_id, now + self.lease)
            await uow.commit()
        return held


@dataclass(frozen=True)
class RetryDeadJob:
    """An admin puts a dead job back in the queue, attempts reset."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, job_id: str) -> Result[Job, UnknownJob | JobNotDead]:
        async with self.uow_factory() as uow:
            job = await uow.jobs.get(job_id)
            if job is None:
                return Failure(UnknownJob(f"no job {job_id}"))
            if job.status is not JobStatus.DEAD:
                return Failure(JobNotDead(f"job {job_id} is {job.status}, not dead"))
            retried = await uow.jobs.retry(job_id, self.clock.now())
            await uow.commit()
        assert retried is not None, "a dead job seen in the same transaction must be retryable"
        return Success(retried)
