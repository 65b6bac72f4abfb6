"""A clock and ids that move only when a test says so, for time-dependent rules (debounce,
leases, business hours) and readable assertions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # a Monday, 10:00 in São Paulo


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now


class SequentialIds:
    """Readable ids that sort in creation order."""

    def __init__(self, prefix: str = "id") -> None:
        self._prefix, self._next = prefix, 0

    def new_id(self) -> str:
        self._next += 1
        return f"{self._prefix}-{self._next:08d}"
