"""Jobs queued before the job commands were typed: a row as that code wrote it (kind string, JSON
payload with the correlation id, association in its column) still runs, and its handler gets the
typed command. Written with raw SQL, so no code of today's shapes the row."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from wa_crm.domain.model.correlation import correlation_id
from wa_crm.domain.model.job_commands import (
    AlertOperators,
    AssignmentPass,
    BotTurn,
    ConfirmSessionDown,
    JobCommand,
    PruneEventIds,
)
from wa_crm.domain.model.jobs import Attempt, JobStatus
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.testing.clock import FakeClock

from .base import UowFactory

LEFT_WORKING = datetime(2026, 12, 1, 8, 0, 30, 125000, tzinfo=UTC)

QUEUED_ROWS = [
    (
        "bot_turn",
        "assoc-a",
        {"conversation_id": "conv-1", "correlation_id": "evt-42"},
        BotTurn("assoc-a", "conv-1"),
    ),
    (
        "check_session_down",
        "assoc-a",
        {"since": LEFT_WORKING.isoformat()},
        ConfirmSessionDown("assoc-a", LEFT_WORKING),
    ),
    (
        "send_alert",
        "assoc-a",
        {"kind": "session_down", "message": "gone", "correlation_id": "evt-42"},
        AlertOperators("assoc-a", "session_down", "gone"),
    ),
    ("assign", "assoc-a", {}, AssignmentPass("assoc-a")),
    ("prune_event_ids", None, {}, PruneEventIds()),
]


class Recorder:
    def __init__(self) -> None:
        self.runs: list[tuple[JobCommand, int, str | None]] = []

    async def __call__(self, command: JobCommand, attempt: Attempt) -> None:
        self.runs.append((command, attempt.number, correlation_id.get()))


class QueuedJobContract:
    @pytest.mark.parametrize(("kind", "association_id", "payload", "command"), QUEUED_ROWS)
    async def test_a_row_queued_before_the_typed_commands_runs_with_its_command(
        self,
        engine: AsyncEngine,
        uow_factory: UowFactory,
        kind: str,
        association_id: str | None,
        payload: dict[str, Any],
        command: JobCommand,
    ) -> None:
        clock = FakeClock()
        await _queue_untyped(engine, kind, association_id, payload, clock.now())
        handler = Recorder()
        runner = JobRunner(uow_factory, clock, {type(command): handler}, "upgraded")
        assert await runner.run_due() == 1
        traced = payload.get("correlation_id", "job:job-queued")
        assert handler.runs == [(command, 1, traced)]
        async with uow_factory() as uow:
            job = await uow.jobs.get("job-queued")
        assert job is not None and job.status is JobStatus.DONE

    async def test_a_queued_row_with_an_unreadable_payload_is_dead_with_the_reason(
        self, engine: AsyncEngine, uow_factory: UowFactory
    ) -> None:
        clock = FakeClock()
        await _queue_untyped(engine, "bot_turn", "assoc-a", {"conversation": "c"}, clock.now())
        handler = Recorder()
        await JobRunner(uow_factory, clock, {BotTurn: handler}, "upgraded").run_due()
        async with uow_factory() as uow:
            job = await uow.jobs.get("job-queued")
        assert job is not None and handler.runs == []
        assert (job.status, job.last_error) == (
            JobStatus.DEAD,
            "bot_turn job's payload has no 'conversation_id'",
        )


async def _queue_untyped(
    engine: AsyncEngine,
    kind: str,
    association_id: str | None,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """The row the untyped code's ``schedule`` wrote: SQLite keeps times as naive UTC text,
    PostgreSQL as ``timestamptz``; the payload is JSON text."""
    queued_at = now - timedelta(minutes=1)
    if engine.dialect.name == "sqlite":
        payload_sql = ":payload"
        stamp: Any = queued_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    else:
        payload_sql = "CAST(:payload AS JSON)"
        stamp = queued_at
    insert = text(
        "INSERT INTO jobs (id, kind, key, association_id, payload, status, run_after, attempts,"
        " max_attempts, version, created_at, updated_at) VALUES ('job-queued', :kind, :key,"
        f" :association_id, {payload_sql}, 'pending', :at, 0, 6, 1, :at, :at)"
    )
    async with engine.begin() as connection:
        await connection.execute(
            insert,
            {
                "kind": kind,
                "key": f"{kind}:queued",
                "association_id": association_id,
                "payload": json.dumps(payload),
                "at": stamp,
            },
        )
