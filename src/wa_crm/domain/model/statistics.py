"""Statistics of an association over a period, and the alerts shown on the monitoring page.

The storage answers a few aggregates (``StatisticsRepository``); ``ComputeStatistics`` folds
them into what the monitoring page shows. Message counts come back per UTC hour so that days can
be cut in the association's time zone without time-zone support in the database (exact for
every zone whose offset is whole hours, which includes all of Brazil's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from wa_crm.domain.model.message import Author, Direction, Message


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
class Satisfaction:
    """Ratings (1-5) that contacts gave in the period, and their mean."""

    ratings: int = 0
    average: float | None = None


@dataclass(frozen=True)
class Resolution:
    """Conversations resolved in the period that people had (handed off, or with an assignee
    when resolved), and the time from their first handoff (else their creation) to the resolve:
    the median (of an even count, the mean of the two middle times) and the 90th percentile
    (nearest rank: the smallest time that at least 90% of them did not exceed)."""

    resolved: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None


@dataclass(frozen=True)
class AgentFigures:
    """One agent's work over a period.

    ``handled``: conversations the agent wrote in during the period, or resolved in it (a
    conversation is resolved by the agent it is assigned to when resolved). The first response
    is over the period's answered handoffs whose first agent message was this agent's; the
    resolution over the conversations they resolved in the period (as ``Resolution``); the CSAT
    over the ratings given in the period to conversations they resolved. Messages sent count the
    agent's messages still stored: retention keeps only anonymous counts of deleted ones."""

    agent_id: str
    name: str
    handled: int = 0
    first_response_median_seconds: float | None = None
    resolution_median_seconds: float | None = None
    csat_average: float | None = None
    csat_count: int = 0
    messages_sent: int = 0


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
    conversations_by_label: dict[str, int] = field(default_factory=dict)
    """Conversations created in the period, per label."""
    satisfaction: Satisfaction = field(default_factory=Satisfaction)
    by_agent: tuple[AgentFigures, ...] = ()
    """The association's agents who are enabled or did something in the period, by name."""
    resolution: Resolution = field(default_factory=Resolution)


@dataclass(frozen=True)
class Alert:
    """Something an operator must look at (a session left WORKING, a message died)."""

    kind: str
    message: str
    at: datetime
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """What the agents' pages are told beside ``kind`` and ``message``; not stored."""


@dataclass(frozen=True)
class MessageRollup:
    """What the statistics keep of messages that were deleted (retention, erasure): counts per
    UTC hour and conversation, without content. Figures over periods whose bounds are whole UTC
    hours (local days in zones with whole-hour offsets) stay exactly what they were."""

    hour: datetime
    conversation_id: str
    inbound: int = 0
    outbound: int = 0
    bot: int = 0
    agent: int = 0
    failed: int = 0
    """Outbound messages that had ended dead letters (``Message.is_dead_letter``)."""

    def __add__(self, other: MessageRollup) -> MessageRollup:
        return MessageRollup(
            self.hour,
            self.conversation_id,
            self.inbound + other.inbound,
            self.outbound + other.outbound,
            self.bot + other.bot,
            self.agent + other.agent,
            self.failed + other.failed,
        )


def roll_up(messages: Iterable[Message]) -> list[MessageRollup]:
    """The rollups of ``messages``, one per (hour, conversation), in that order."""
    rollups: dict[tuple[datetime, str], MessageRollup] = {}
    for message in messages:
        hour = message.created_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        outbound = message.direction is Direction.OUT
        one = MessageRollup(
            hour,
            message.conversation_id,
            inbound=int(not outbound),
            outbound=int(outbound),
            bot=int(message.author is Author.BOT),
            agent=int(message.author is Author.AGENT),
            failed=int(message.is_dead_letter),
        )
        key = (hour, message.conversation_id)
        rollups[key] = rollups[key] + one if key in rollups else one
    return [rollups[key] for key in sorted(rollups)]
