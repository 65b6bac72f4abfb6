"""One correlation id per inbound event, followed through every job it causes.

The webhook sets it from WAHA's event id; every traced job (``JobCommand.traced``) scheduled
while it is set carries it in its payload (``job_codec.new_job``), and the job runner sets it
again while the job runs, so log lines of a bot turn or a delivery can be traced back to the
message that caused them.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

PAYLOAD_KEY = "correlation_id"
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def carried(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` plus the current correlation id, if any."""
    current = correlation_id.get()
    return {**payload, PAYLOAD_KEY: current} if current else payload
