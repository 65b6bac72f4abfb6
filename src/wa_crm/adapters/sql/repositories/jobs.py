"""The durable job queue; every state change is one conditional statement, so it is race-safe.

Workers only touch a job they hold (``locked_by``), and a completion or failure of an older
``version`` (the job was rescheduled while running) leaves it pending for the newer one.

Statements are built once with bind parameters (see ``execution``). Their names avoid the
columns' names: an UPDATE would take a parameter named like a column as a value to SET.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Integer, Select, bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import jobs
from wa_crm.adapters.sql.types import UtcDateTime
from wa_crm.domain.model.jobs import Job, JobStatus, NewJob

PENDING, RUNNING, DONE, DEAD = (status.value for status in JobStatus)

_NOW = bindparam("now", type_=UtcDateTime())
_LIMIT = bindparam("limit", type_=Integer)
_DUE = (
    select(jobs.c.id)
    .where(
        jobs.c.kind.in_(bindparam("kinds", expanding=True)),
        ((jobs.c.status == PENDING) & (jobs.c.run_after <= _NOW))
        | ((jobs.c.status == RUNNING) & (jobs.c.locked_until < _NOW)),
    )
    .order_by(jobs.c.run_after, jobs.c.id)
    .limit(_LIMIT)
    # PostgreSQL skips rows another worker is claiming instead of waiting for them. SQLite
    # compiles FOR UPDATE to nothing: its single writer lock already serializes claimers.
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    update(jobs)
    .where(jobs.c.id.in_(_DUE))
    .values(
        status=RUNNING,
        locked_by=bindparam("worker_id"),
        locked_until=bindparam("lease_until", type_=UtcDateTime()),
        attempts=jobs.c.attempts + 1,
        updated_at=_NOW,
    )
    .returning(*jobs.c)
)

_HELD = (
    update(jobs)
    .where(
        jobs.c.id == bindparam("job_id"),
        jobs.c.status == RUNNING,
        jobs.c.locked_by == bindparam("worker_id"),
    )
    .returning(jobs.c.id)
)
_EXTEND_LEASE = _HELD.values(locked_until=bindparam("lease_until", type_=UtcDateTime()))
_STALE = jobs.c.version != bindparam("held_version", type_=Integer)
_RELEASE: dict[str, Any] = {
    "attempts": case((_STALE, 0), else_=jobs.c.attempts),
    "locked_by": None,
    "locked_until": None,
    "updated_at": _NOW,
}
_COMPLETE = _HELD.values(status=case((_STALE, PENDING), else_=DONE), last_error=None, **_RELEASE)
_FAIL = _HELD.values(
    status=case((_STALE, PENDING), else_=DEAD), last_error=bindparam("error"), **_RELEASE
)
_FAIL_FOR_RETRY = _HELD.values(
    status=PENDING,
    # A rescheduled job keeps the run_after its new version asked for.
    run_after=case((_STALE, jobs.c.run_after), else_=bindparam("retry_at", type_=UtcDateTime())),
    last_error=bindparam("error"),
    **_RELEASE,
)
_RETRY = (
    update(jobs)
    .where(jobs.c.id == bindparam("job_id"), jobs.c.status == DEAD)
    .values(
        status=PENDING,
        attempts=0,
        run_after=_NOW,
        locked_by=None,
        locked_until=None,
        updated_at=_NOW,
    )
    .returning(*jobs.c)
)

_NEWEST = select(jobs).order_by(jobs.c.updated_at.desc(), jobs.c.id.desc())
_BY_ID = _NEWEST.where(jobs.c.id == bindparam("job_id")).limit(1)
_BY_KEY = _NEWEST.where(jobs.c.key == bindparam("job_key")).limit(1)


@per_dialect
def _schedule(dialect: str) -> Executable:
    """Insert, or reschedule the job with the same key."""
    insert = upsert_insert(dialect, jobs)
    running = jobs.c.status == RUNNING
    return insert.on_conflict_do_update(
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


class SqlJobRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def schedule(self, job: NewJob, now: datetime) -> Job:
        row = {
            "id": str(uuid.uuid4()),
            "kind": job.kind,
            "key": job.key,
            "association_id": job.association_id,
            "payload": job.payload,
            "status": PENDING,
            "run_after": job.run_after,
            "attempts": 0,
            "max_attempts": job.max_attempts,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        result = await execute(self._connection, _schedule(self._connection), row)
        return mappers.job_from_row(result.mappings().one())

    async def claim_due(
        self, now: datetime, worker_id: str, lease_until: datetime, kinds: Sequence[str], limit: int
    ) -> Sequence[Job]:
        if not kinds or limit <= 0:
            return []
        parameters = {
            "now": now,
            "worker_id": worker_id,
            "lease_until": lease_until,
            "kinds": list(kinds),
            "limit": limit,
        }
        result = await execute(self._connection, _CLAIM, parameters)
        claimed = [mappers.job_from_row(row) for row in result.mappings()]
        return sorted(claimed, key=lambda job: (job.run_after, job.id))

    async def extend_lease(self, job_id: str, worker_id: str, lease_until: datetime) -> bool:
        return await self._change_held(_EXTEND_LEASE, job_id, worker_id, lease_until=lease_until)

    async def complete(self, job_id: str, version: int, worker_id: str, now: datetime) -> None:
        await self._change_held(_COMPLETE, job_id, worker_id, held_version=version, now=now)

    async def fail(
        self,
        job_id: str,
        version: int,
        worker_id: str,
        error: str,
        retry_at: datetime | None,
        now: datetime,
    ) -> None:
        held = {"held_version": version, "error": error, "now": now}
        if retry_at is None:
            await self._change_held(_FAIL, job_id, worker_id, **held)
        else:
            await self._change_held(_FAIL_FOR_RETRY, job_id, worker_id, retry_at=retry_at, **held)

    async def retry(self, job_id: str, now: datetime) -> Job | None:
        result = await execute(self._connection, _RETRY, {"job_id": job_id, "now": now})
        row = result.mappings().first()
        return None if row is None else mappers.job_from_row(row)

    async def get(self, job_id: str) -> Job | None:
        found = await self._select(_BY_ID, {"job_id": job_id})
        return found[0] if found else None

    async def get_by_key(self, key: str) -> Job | None:
        found = await self._select(_BY_KEY, {"job_key": key})
        return found[0] if found else None

    async def _change_held(
        self, statement: Executable, job_id: str, worker_id: str, **parameters: Any
    ) -> bool:
        """Run ``statement`` only while ``worker_id`` holds the job; False when it does not."""
        parameters |= {"job_id": job_id, "worker_id": worker_id}
        result = await execute(self._connection, statement, parameters)
        return result.first() is not None

    async def _select(self, statement: Select[Any], parameters: dict[str, Any]) -> list[Job]:
        result = await execute(self._connection, statement, parameters)
        return [mappers.job_from_row(row) for row in result.mappings()]
