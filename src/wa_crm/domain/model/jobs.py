"""Durable jobs: every step after a webhook's commit is a job row, so nothing is lost.

A job's ``key`` is unique. Scheduling an existing key moves its ``run_after`` and replaces its
payload (this is how bot turns are debounced) and bumps ``version``; a worker that finishes an
older version leaves the job pending for the newer one instead of marking it done.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


@dataclass(frozen=True)
class NewJob:
    kind: str
    key: str
    run_after: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    association_id: str | None = None
    max_attempts: int = 6


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    key: str
    payload: dict[str, Any]
    status: JobStatus
    run_after: datetime
    attempts: int
    max_attempts: int
    version: int
    created_at: datetime
    association_id: str | None = None
    last_error: str | None = None
    locked_by: str | None = None
    locked_until: datetime | None = None

    @property
    def attempts_left(self) -> bool:
        return self.attempts < self.max_attempts

    @property
    def attempt(self) -> Attempt:
        return Attempt(self.attempts, self.max_attempts)


@dataclass(frozen=True)
class Attempt:
    """Which run of its job a handler is in: on the last one a handler may give up for good
    (mark its work failed) rather than leave it to a retry that will not come."""

    number: int
    max_attempts: int

    @property
    def is_last(self) -> bool:
        return self.number >= self.max_attempts


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: attempt n waits between half and all of base*2^(n-1)."""

    base_seconds: float = 2.0
    max_seconds: float = 300.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(attempt - 1, 0))
        draw = (rng or random).uniform(ceiling / 2, ceiling)
        return timedelta(seconds=draw)


class PermanentJobError(Exception):
    """Raised by a job handler when retrying cannot help: the job goes straight to dead."""


class RetryLater(Exception):
    """Raised by a job handler that knows when to try again (e.g. a 429 with Retry-After)."""

    def __init__(self, message: str, after: timedelta) -> None:
        super().__init__(message)
        self.after = after


class Postpone(Exception):
    """Raised by a job handler when the job cannot run yet for reasons that are not its own
    failure (a circuit breaker is open, a rate limit slot is far away): it runs again at
    ``after`` from now with its attempts reset, so waiting never turns work into a dead letter."""

    def __init__(self, message: str, after: timedelta) -> None:
        super().__init__(message)
        self.after = after
