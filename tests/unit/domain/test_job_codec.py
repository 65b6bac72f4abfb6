"""Job commands stored as job rows and read back: stable kinds, round trips, clear refusals."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.model import job_commands
from wa_crm.domain.model.correlation import correlation_id
from wa_crm.domain.model.job_codec import command_of, correlation_of, new_job
from wa_crm.domain.model.job_commands import (
    AlertOperators,
    AssignmentPass,
    BotTurn,
    ConfirmSessionDown,
    Deliver,
    JobCommand,
    PollSession,
    PruneEventIds,
)
from wa_crm.domain.model.jobs import Job, JobStatus, PermanentJobError

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

KINDS_QUEUED_ROWS_HOLD = {
    "ResolveLid": "resolve_lid",
    "BotTurn": "bot_turn",
    "Deliver": "deliver",
    "FetchMedia": "fetch_media",
    "TranscribeVoiceNote": "transcribe_voice_note",
    "ImportRows": "import_rows",
    "PollSession": "poll_session",
    "ConfirmSessionDown": "check_session_down",
    "AlertOperators": "send_alert",
    "PurgeExpired": "purge_expired",
    "PruneEventIds": "prune_event_ids",
    "WakeConversation": "wake_snoozed",
    "AssignmentPass": "assign",
    "AssignmentCheck": "assignment_check",
    "PruneSessions": "prune_sessions",
    "CloseInactive": "close_inactive",
    "CheckFirstResponse": "check_first_response",
}
"""The kind strings in the jobs tables of running services: a command's may never change."""

COMMANDS: list[type[JobCommand]] = [
    member
    for _, member in inspect.getmembers(job_commands, inspect.isclass)
    if issubclass(member, JobCommand) and member is not JobCommand
]

ids = st.text(min_size=1, max_size=40)
aware_datetimes = st.datetimes(timezones=st.just(UTC))


def commands() -> st.SearchStrategy[JobCommand]:
    """Any command of any type, each field drawn from what it may hold."""
    return st.one_of(
        *(
            st.builds(
                command_type,
                **{spec.name: _values(spec) for spec in dataclasses.fields(command_type)},
            )
            for command_type in COMMANDS
        )
    )


def _values(spec: dataclasses.Field[Any]) -> st.SearchStrategy[Any]:
    hint = str(spec.type)
    if hint == "datetime":
        return aware_datetimes
    if hint == "str | None":
        return st.none() | ids
    return ids


def row(new: Any, job_id: str = "job-1") -> Job:
    """The job as a repository reads back what ``new`` scheduled (a JSON round trip aside)."""
    return Job(
        id=job_id,
        kind=new.kind,
        key=new.key,
        payload=new.payload,
        status=JobStatus.PENDING,
        run_after=new.run_after,
        attempts=1,
        max_attempts=new.max_attempts,
        version=1,
        created_at=T0,
        association_id=new.association_id,
    )


def stored(kind: str, payload: dict[str, Any], association_id: str | None = "assoc-a") -> Job:
    return Job(
        "job-1", kind, f"{kind}:x", payload, JobStatus.RUNNING, T0, 1, 6, 1, T0, association_id
    )


def test_every_command_keeps_the_kind_queued_rows_hold() -> None:
    assert {command.__name__: command.kind for command in COMMANDS} == KINDS_QUEUED_ROWS_HOLD


@given(commands())
def test_every_command_reads_back_as_it_was_scheduled(command: JobCommand) -> None:
    scheduled = new_job(command, key=f"{command.kind}:key", run_after=T0)
    assert command_of(row(scheduled), COMMANDS) == command


def test_payloads_are_what_the_untyped_jobs_stored() -> None:
    since = datetime(2026, 12, 7, 9, 30, 15, 250, tzinfo=UTC)
    expected = [
        (Deliver("assoc-a", "conv-1"), "assoc-a", {"conversation_id": "conv-1"}),
        (ConfirmSessionDown("assoc-a", since), "assoc-a", {"since": since.isoformat()}),
        (
            AlertOperators("assoc-a", "session_down", "gone"),
            "assoc-a",
            {"kind": "session_down", "message": "gone"},
        ),
        (AssignmentPass("assoc-a"), "assoc-a", {}),
        (PollSession("assoc-a"), "assoc-a", {}),
        (PruneEventIds(), None, {}),
    ]
    for command, association_id, payload in expected:
        job = new_job(command, key="k", run_after=T0)
        assert (job.kind, job.association_id, job.payload) == (
            command.kind,
            association_id,
            payload,
        )


def test_a_traced_command_carries_the_correlation_id_and_a_periodic_one_does_not() -> None:
    token = correlation_id.set("evt-42")
    try:
        traced = new_job(BotTurn("assoc-a", "conv-1"), key="k", run_after=T0)
        periodic = new_job(PollSession("assoc-a"), key="k", run_after=T0)
    finally:
        correlation_id.reset(token)
    assert traced.payload == {"conversation_id": "conv-1", "correlation_id": "evt-42"}
    assert correlation_of(row(traced)) == "evt-42"
    assert periodic.payload == {} and correlation_of(row(periodic)) is None
    assert command_of(row(traced), COMMANDS) == BotTurn("assoc-a", "conv-1")


@pytest.mark.parametrize(
    ("job", "error"),
    [
        (stored("no_such_kind", {}), "unknown job kind 'no_such_kind'"),
        (stored("deliver", {}), "deliver job's payload has no 'conversation_id'"),
        (
            stored("deliver", {"conversation_id": 42}),
            "deliver job's 'conversation_id' is not a str: 42",
        ),
        (
            stored("check_session_down", {"since": "yesterday"}),
            "check_session_down job's 'since' is not a datetime: 'yesterday'",
        ),
        (
            stored("deliver", {"conversation_id": "conv-1"}, association_id=None),
            "deliver job without an association",
        ),
    ],
)
def test_a_row_that_cannot_be_read_back_is_a_permanent_error(job: Job, error: str) -> None:
    with pytest.raises(PermanentJobError) as raised:
        command_of(job, COMMANDS)
    assert str(raised.value) == error


def test_a_kind_the_runner_does_not_handle_is_unknown_to_it() -> None:
    with pytest.raises(PermanentJobError, match="unknown job kind 'deliver'"):
        command_of(stored("deliver", {"conversation_id": "conv-1"}), [BotTurn])
