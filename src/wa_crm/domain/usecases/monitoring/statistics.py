"""The statistics of the monitoring page over a period of local days."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Association, Locale
from wa_crm.domain.model.errors import InvalidInput
from wa_crm.domain.model.statistics import DailyMessages, HourlyMessages, Statistics
from wa_crm.ports.queries import StatisticsQueries
from wa_crm.ports.system import Clock

MAX_DAYS = 366
DEFAULT_DAYS = 30


def zone(name: str) -> Result[ZoneInfo, InvalidInput]:
    try:
        return Success(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        return Failure(InvalidInput(f"time zone {name[:64]!r} is not an IANA zone like UTC"))


NATURAL_ZONES = {Locale.PT_BR: "America/Sao_Paulo"}
"""Where an association of each locale most likely is, when its business hours do not say."""


def default_timezone(association: Association) -> str:
    """The zone of the association's business hours, else its locale's natural zone (São Paulo
    for pt-BR), else UTC: the zone its days are counted in."""
    hours = association.bot.business_hours
    if hours:
        return hours.timezone
    return NATURAL_ZONES.get(association.locale, "UTC")


def day_bounds(first_day: date, last_day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC start of ``first_day`` and end of ``last_day`` (exclusive) in ``tz``."""
    start = datetime.combine(first_day, time(), tz).astimezone(UTC)
    end = datetime.combine(last_day + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


def messages_by_day(
    hours: list[HourlyMessages], first_day: date, last_day: date, tz: ZoneInfo
) -> tuple[DailyMessages, ...]:
    """Every local day of the period, zeros included; each UTC hour goes to the day it starts
    in."""
    inbound: Counter[date] = Counter()
    outbound: Counter[date] = Counter()
    for hour in hours:
        day = hour.hour.astimezone(tz).date()
        inbound[day] += hour.inbound
        outbound[day] += hour.outbound
    days = (first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1))
    return tuple(DailyMessages(day, inbound[day], outbound[day]) for day in days)


@dataclass(frozen=True)
class StatisticsRequest:
    association: Association
    first_day: date | None = None
    last_day: date | None = None
    timezone: str | None = None
    """None: ``default_timezone``."""


@dataclass(frozen=True)
class ComputeStatistics:
    """Figures for local days ``first_day``..``last_day`` (defaults: the last 30 days)."""

    statistics: StatisticsQueries
    clock: Clock

    async def __call__(self, request: StatisticsRequest) -> Result[Statistics, InvalidInput]:
        timezone = request.timezone or default_timezone(request.association)
        match zone(timezone):
            case Failure(error):
                return Failure(error)
            case Success(tz):
                pass
        last_day = request.last_day or self.clock.now().astimezone(tz).date()
        first_day = request.first_day or last_day - timedelta(days=DEFAULT_DAYS - 1)
        if first_day > last_day:
            return Failure(InvalidInput("`from` must not be after `to`"))
        if (last_day - first_day).days + 1 > MAX_DAYS:
            return Failure(InvalidInput(f"a period covers at most {MAX_DAYS} days"))
        start, end = day_bounds(first_day, last_day, tz)
        figures = await self.statistics.period(request.association.id, start, end)
        return Success(
            Statistics(
                first_day=first_day,
                last_day=last_day,
                timezone=timezone,
                messages_by_day=messages_by_day(
                    list(figures.hourly_messages), first_day, last_day, tz
                ),
                answered=figures.answered_conversations,
                handoffs_by_reason=figures.handoffs_by_reason,
                first_response=figures.first_response,
                delivery_failures=figures.delivery_failures,
                conversations_by_label=figures.conversations_by_label,
                satisfaction=figures.satisfaction,
                by_agent=tuple(figures.by_agent),
                resolution=figures.resolution,
            )
        )
