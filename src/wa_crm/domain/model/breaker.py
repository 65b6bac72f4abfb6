"""A circuit breaker: stop calling something that keeps failing, then try it again.

    closed ──(failure_threshold failures in a row)──▶ open
    open ──(cool-down over; the next call is the probe)──▶ half_open
    half_open ──(the probe succeeds)──▶ closed
    half_open ──(the probe fails)──▶ open, for another cool-down

Time is passed in (``now``), so the breaker is pure and callers decide what a failure is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    failure_threshold: int = 5
    cooldown: timedelta = timedelta(seconds=30)
    failures: int = 0
    opened_at: datetime | None = None
    probing: bool = field(default=False)

    def __post_init__(self) -> None:
        if self.failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if self.cooldown < timedelta(0):
            raise ValueError("cooldown must not be negative")

    def state(self, now: datetime) -> BreakerState:
        """``half_open`` once the cool-down is over (the next call probes) and during a probe."""
        if self.opened_at is None:
            return BreakerState.CLOSED
        if self.probing or now >= self.opened_at + self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def retry_at(self) -> datetime | None:
        return None if self.opened_at is None else self.opened_at + self.cooldown

    def allow(self, now: datetime) -> bool:
        """Whether a call may go ahead now; a call let through after the cool-down is the probe,
        and no other call goes ahead until it reports back."""
        if self.opened_at is None:
            return True
        if self.probing or now < self.opened_at + self.cooldown:
            return False
        self.probing = True
        return True

    def record_success(self) -> None:
        self.failures, self.opened_at, self.probing = 0, None, False

    def record_failure(self, now: datetime) -> None:
        self.failures += 1
        if self.probing or self.failures >= self.failure_threshold:
            self.opened_at = now
        self.probing = False

    def release_probe(self) -> None:
        """A probe that ended without an answer (cancelled): the next call may probe again."""
        self.probing = False
