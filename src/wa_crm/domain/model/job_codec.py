"""Job commands to job rows and back: the one place that knows how a command is stored.

A row holds the command's ``kind``, its ``association_id`` (in the job's own column) and the rest
of its fields as a JSON payload: strings as they are, datetimes in ISO 8601 (the field types
commands use; another needs its line in ``_decoded``), None left out (read back as the field's
default). This is the format the jobs had before they were typed, so rows queued by an older
release still run; payload entries no field reads (the correlation id) are left alone. A row
that cannot be read back (a kind nobody handles, a payload entry missing or of the wrong type)
is a ``PermanentJobError``: retrying cannot help.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from dataclasses import MISSING, Field, fields
from datetime import datetime
from typing import Any, get_args, get_type_hints

from wa_crm.domain.model.correlation import PAYLOAD_KEY as CORRELATION_KEY
from wa_crm.domain.model.correlation import carried
from wa_crm.domain.model.job_commands import STORED_AS, JobCommand
from wa_crm.domain.model.jobs import Job, NewJob, PermanentJobError

ASSOCIATION_FIELD = "association_id"


def new_job(command: JobCommand, *, key: str, run_after: datetime) -> NewJob:
    """The job row that asks for ``command``; a traced command carries the correlation id."""
    association_id: str | None = None
    payload: dict[str, Any] = {}
    for spec in fields(command):
        value = getattr(command, spec.name)
        if spec.name == ASSOCIATION_FIELD:
            association_id = value
        elif value is not None:
            payload[_stored_name(spec)] = (
                value.isoformat() if isinstance(value, datetime) else value
            )
    return NewJob(
        kind=command.kind,
        key=key,
        run_after=run_after,
        payload=carried(payload) if command.traced else payload,
        association_id=association_id,
    )


def command_of(job: Job, known: Iterable[type[JobCommand]]) -> JobCommand:
    """The command ``job`` holds, as one of the ``known`` command types."""
    command_type = next((known_type for known_type in known if known_type.kind == job.kind), None)
    if command_type is None:
        raise PermanentJobError(f"unknown job kind {job.kind!r}")
    hints = get_type_hints(command_type)
    values: dict[str, Any] = {}
    for spec in fields(command_type):
        if spec.name == ASSOCIATION_FIELD:
            if job.association_id is None:
                raise PermanentJobError(f"{job.kind} job without an association")
            values[spec.name] = job.association_id
            continue
        stored_name = _stored_name(spec)
        if stored_name in job.payload:
            where = f"{job.kind} job's {stored_name!r}"
            values[spec.name] = _decoded(hints[spec.name], job.payload[stored_name], where)
        elif spec.default is MISSING:
            raise PermanentJobError(f"{job.kind} job's payload has no {stored_name!r}")
    return command_type(**values)


def correlation_of(job: Job) -> str | None:
    """The correlation id a traced job was scheduled with, if any."""
    value = job.payload.get(CORRELATION_KEY)
    return value if isinstance(value, str) else None


def _stored_name(spec: Field[Any]) -> str:
    return str(spec.metadata.get(STORED_AS, spec.name))


def _decoded(hint: Any, value: object, where: str) -> object:
    """``value`` as read from JSON, checked against (and turned into) the field's type."""
    choices = _choices(hint)
    if value is None and type(None) in choices:
        return None
    if datetime in choices and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    if str in choices and isinstance(value, str):
        return value
    names = " or ".join("null" if choice is type(None) else choice.__name__ for choice in choices)
    raise PermanentJobError(f"{where} is not a {names}: {value!r}")


def _choices(hint: Any) -> tuple[Any, ...]:
    return get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
