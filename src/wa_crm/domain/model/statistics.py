"""Statistics of an association over a period, and the alerts shown on the monitoring page.

The storage answers a few aggregates (``StatisticsRepository``); ``ComputeStatistics`` folds
them into what the monitoring page shows. Message counts come back per UTC hour so that days can
be cut in the association's time zone without time-zone support in the database (exact for
every zone whose offset is whole hours, which includes all of Brazil's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class HourlyMessages:
    """Messages created in one UTC hour (``hour`` is its start, timezone-aware UTC)."""

    hour: datetime
    inbound: int
    outbound: int


@dataclass(frozen=True)
class AnsweredConversations:
    """Conversations that got an answer in the period: ``by_humans`` had at least one agent
    message in it, ``by_bot_only`` had bot messages and no agent message."""

    by_bot_only: int
    by_humans: int


@dataclass(frozen=True)
class FirstResponse:
    """Handoffs made in the period that an agent answered, and the median wait (seconds) from
    the handoff to the first agent message; ``waiting`` were not answered (yet)."""

    answered: int
    waiting: int
    median_seconds: float | None


@dataclass(frozen=True)
class DailyMessages:
    day: date
    inbound: int
    outbound: int


@dataclass(frozen=True)
class Statistics:
    """An association's figures for the local days ``first_day`` to ``last_day`` inclusive."""

    first_day: date
    last_day: date
    timezone: str
    messages_by_day: tuple[DailyMessages, ...]
    """Every day of the period, zeros included."""
    answered: AnsweredConversations
    handoffs_by_reason: dict[str, int]
    first_response: FirstResponse
    delivery_failures: int


@dataclass(frozen=True)
class Alert:
    """Something an operator must look at (a session left WORKING, a message died)."""

    kind: str
    message: str
    at: datetime
