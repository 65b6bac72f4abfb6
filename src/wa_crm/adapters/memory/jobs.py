"""The job queue in memory, with the same leasing and versioning rules as the SQL one."""

from __future__ import annotations

import copy
import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from wa_crm.adapters.memory.store import StoredJob, Workspace
from wa_crm.domain.model.jobs import Job, JobStatus, NewJob


class InMemoryJobRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def schedule(self, job: NewJob, now: datetime) -> Job:
        existing = next((row.job for row in self._rows.values() if row.job.key == job.key), None)
        if existing is None:
            scheduled = Job(
                id=str(uuid.uuid4()),
                kind=job.kind,
                key=job.key,
                payload=job.payload,
                status=JobStatus.PENDING,
                run_after=job.run_after,
                attempts=0,
                max_attempts=job.max_attempts,
                version=1,
                created_at=now,
                association_id=job.association_id,
            )
        else:
            changes: dict[str, Any] = {
                "run_after": job.run_after,
                "payload": job.payload,
                "max_attempts": job.max_attempts,
                "version": existing.version + 1,
            }
            if existing.status is not JobStatus.RUNNING:  # a running job keeps its lease
                changes |= {"status": JobStatus.PENDING, "attempts": 0, "last_error": None}
                changes |= {"locked_by": None, "locked_until": None}
            scheduled = dataclasses.replace(existing, **changes)
        return self._store(scheduled, now)

    async def claim_due(
        self, now: datetime, worker_id: str, lease_until: datetime, kinds: Sequence[str], limit: int
    ) -> Sequence[Job]:
        due = sorted(
            (
                row.job
                for row in self._rows.values()
                if row.job.kind in kinds and _due(row.job, now)
            ),
            key=lambda job: (job.run_after, job.id),
        )
        return [
            self._store(
                dataclasses.replace(
                    job,
                    status=JobStatus.RUNNING,
                    locked_by=worker_id,
                    locked_until=lease_until,
                    attempts=job.attempts + 1,
                ),
                now,
            )
            for job in due[: max(limit, 0)]
        ]

    async def extend_lease(self, job_id: str, worker_id: str, lease_until: datetime) -> bool:
        job = self._held(job_id, worker_id)
        if job is None:
            return False
        self._rows[job_id].job = dataclasses.replace(job, locked_until=lease_until)
        return True

    async def complete(self, job_id: str, version: int, worker_id: str, now: datetime) -> None:
        job = self._held(job_id, worker_id)
        if job is None:
            return
        stale = job.version != version  # rescheduled while running: the new version is due
        self._store(
            dataclasses.replace(
                job,
                status=JobStatus.PENDING if stale else JobStatus.DONE,
                attempts=0 if stale else job.attempts,
                last_error=None,
                locked_by=None,
                locked_until=None,
            ),
            now,
        )

    async def fail(
        self,
        job_id: str,
        version: int,
        worker_id: str,
        error: str,
        retry_at: datetime | None,
        now: datetime,
    ) -> None:
        job = self._held(job_id, worker_id)
        if job is None:
            return
        stale = job.version != version
        if stale:
            status, run_after = JobStatus.PENDING, job.run_after
        elif retry_at is None:
            status, run_after = JobStatus.DEAD, job.run_after
        else:
            status, run_after = JobStatus.PENDING, retry_at
        self._store(
            dataclasses.replace(
                job,
                status=status,
                run_after=run_after,
                attempts=0 if stale else job.attempts,
                last_error=error,
                locked_by=None,
                locked_until=None,
            ),
            now,
        )

    async def retry(self, job_id: str, now: datetime) -> Job | None:
        row = self._rows.get(job_id)
        if row is None or row.job.status is not JobStatus.DEAD:
            return None
        revived = dataclasses.replace(
            row.job,
            status=JobStatus.PENDING,
            attempts=0,
            run_after=now,
            locked_by=None,
            locked_until=None,
        )
        return self._store(revived, now)

    async def get(self, job_id: str) -> Job | None:
        row = self._rows.get(job_id)
        return None if row is None else copy.deepcopy(row.job)

    async def get_by_key(self, key: str) -> Job | None:
        return next(
            (copy.deepcopy(row.job) for row in self._rows.values() if row.job.key == key), None
        )

    @property
    def _rows(self) -> dict[str, StoredJob]:
        return self._workspace.tables.jobs

    def _held(self, job_id: str, worker_id: str) -> Job | None:
        row = self._rows.get(job_id)
        if row is None or row.job.status is not JobStatus.RUNNING:
            return None
        return row.job if row.job.locked_by == worker_id else None

    def _store(self, job: Job, now: datetime) -> Job:
        self._rows[job.id] = StoredJob(copy.deepcopy(job), updated_at=now)
        return copy.deepcopy(job)


def _due(job: Job, now: datetime) -> bool:
    if job.status is JobStatus.PENDING:
        return job.run_after <= now
    return (
        job.status is JobStatus.RUNNING and job.locked_until is not None and job.locked_until < now
    )
