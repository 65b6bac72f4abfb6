"""The durable job queue; every state change is one conditional statement, so it is race-safe.

Workers only touch a job they hold (``locked_by``), and a completion or failure of an older
``version`` (the job was rescheduled while running) leaves it pending for the newer one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute, upsert_insert
from wa_crm.adapters.sql.tables import jobs
from wa_crm.adapters.sql.types import UtcDateTime
from wa_crm.domain.model.jobs import Job, JobStatus, NewJob

PENDING, RUNNING, DONE, DEAD = (status.value for status in JobStatus)


class SqlJobRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def schedule(self, job: NewJob, now: datetime) -> Job:
        insert = upsert_insert(self._connection, jobs).values(
            id=str(uuid.uuid4()),
            kind=job.kind,
            key=job.key,
            association_id=job.association_id,
            payload=job.payload,
            status=PENDING,
            run_after=job.run_after,
            attempts=0,
            max_attempts=job.max_attempts,
            version=1,
            created_at=now,
            updated_at=now,
        )
        running = jobs.c.status == RUNNING
        statement = insert.on_conflict_do_update(
            index_elements=[jobs.c.key],
            set_={
                "run_after": insert.excluded.run_after,
                "payload": insert.excluded.payload,
                "max_attempts": insert.excluded.max_attempts,
                "version": jobs.c.version + 1,
                "updated_at": insert.excluded.updated_at,
                # A running job keeps its lease; anything else starts over as new work.
                "status": case((running, RUNNING), else_=PENDING),
                "attempts": case((running, jobs.c.attempts), else_=0),
                "last_error": case((running, jobs.c.last_error), else_=None),
                "locked_by": case((running, jobs.c.locked_by), else_=None),
                "locked_until": case((running, jobs.c.locked_until), else_=None),
            },
        ).returning(*jobs.c)
        result = await execute(self._connection, statement)
        return mappers.job_from_row(result.mappings().one())

    async def claim_due(
        self, now: datetime, worker_id: str, lease_until: datetime, kinds: Sequence[str], limit: int
    ) -> Sequence[Job]:
        if not kinds or limit <= 0:
            return []
        due = (
            select(jobs.c.id)
            .where(
                jobs.c.kind.in_(kinds),
                ((jobs.c.status == PENDING) & (jobs.c.run_after <= now))
                | ((jobs.c.status == RUNNING) & (jobs.c.locked_until < now)),
            )
            .order_by(jobs.c.run_after, jobs.c.id)
            .limit(limit)
        )
        if self._connection.dialect.name == "postgresql":
            # Rows another worker is claiming are skipped, not waited for. SQLite needs nothing:
            # its single writer lock already serializes claimers.
            due = due.with_for_update(skip_locked=True)
        statement = (
            update(jobs)
            .where(jobs.c.id.in_(due))
            .values(
                status=RUNNING,
                locked_by=worker_id,
                locked_until=lease_until,
                attempts=jobs.c.attempts + 1,
                updated_at=now,
            )
            .returning(*jobs.c)
        )
        result = await execute(self._connection, statement)
        claimed = [mappers.job_from_row(row) for row in result.mappings()]
        return sorted(claimed, key=lambda job: (job.run_after, job.id))

    async def extend_lease(self, job_id: str, worker_id: str, lease_until: datetime) -> bool:
        return await self._change_held(job_id, worker_id, {"locked_until": lease_until})

    async def complete(self, job_id: str, version: int, worker_id: str, now: datetime) -> None:
        stale = jobs.c.version != version
        await self._change_held(
            job_id,
            worker_id,
            {
                "status": case((stale, PENDING), else_=DONE),
                "attempts": case((stale, 0), else_=jobs.c.attempts),
                "last_error": None,
                "locked_by": None,
                "locked_until": None,
                "updated_at": now,
            },
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
        stale = jobs.c.version != version
        values: dict[str, Any] = {
            "attempts": case((stale, 0), else_=jobs.c.attempts),
            "last_error": error,
            "locked_by": None,
            "locked_until": None,
            "updated_at": now,
        }
        if retry_at is None:
            values["status"] = case((stale, PENDING), else_=DEAD)
        else:
            values["status"] = PENDING
            # A rescheduled job keeps the run_after its new version asked for.
            values["run_after"] = case(
                (stale, jobs.c.run_after), else_=literal(retry_at, UtcDateTime)
            )
        await self._change_held(job_id, worker_id, values)

    async def retry(self, job_id: str, now: datetime) -> Job | None:
        statement = (
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == DEAD)
            .values(
                status=PENDING,
                attempts=0,
                run_after=now,
                locked_by=None,
                locked_until=None,
                updated_at=now,
            )
            .returning(*jobs.c)
        )
        result = await execute(self._connection, statement)
        row = result.mappings().first()
        return None if row is None else mappers.job_from_row(row)

    async def get(self, job_id: str) -> Job | None:
        found = await self._select(jobs.c.id == job_id, limit=1)
        return found[0] if found else None

    async def get_by_key(self, key: str) -> Job | None:
        found = await self._select(jobs.c.key == key, limit=1)
        return found[0] if found else None

    async def list_dead(self, association_id: str | None, limit: int) -> Sequence[Job]:
        """Most recently dead first; ``association_id=None`` lists every association's."""
        condition = jobs.c.status == DEAD
        if association_id is not None:
            condition &= jobs.c.association_id == association_id
        return await self._select(condition, limit=limit)

    async def count_by_status(self) -> dict[str, int]:
        """Every status is present, zero included, so gauges drop to 0 rather than vanish."""
        counts = dict.fromkeys((status.value for status in JobStatus), 0)
        statement = select(jobs.c.status, func.count().label("n")).group_by(jobs.c.status)
        result = await execute(self._connection, statement)
        counts.update({row["status"]: row["n"] for row in result.mappings()})
        return counts

    async def _change_held(self, job_id: str, worker_id: str, values: dict[str, Any]) -> bool:
        """Apply ``values`` only while ``worker_id`` holds the job; False when it does not."""
        statement = (
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == RUNNING, jobs.c.locked_by == worker_id)
            .values(values)
            .returning(jobs.c.id)
        )
        result = await execute(self._connection, statement)
        return result.first() is not None

    async def _select(self, condition: ColumnElement[bool], limit: int) -> list[Job]:
        statement = (
            select(jobs)
            .where(condition)
            .order_by(jobs.c.updated_at.desc(), jobs.c.id.desc())
            .limit(limit)
        )
        result = await execute(self._connection, statement)
        return [mappers.job_from_row(row) for row in result.mappings()]
