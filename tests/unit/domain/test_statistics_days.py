"""Cutting UTC hourly counts into the local days of a period."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.model.association import Association, BusinessHours, Locale
from wa_crm.domain.model.statistics import HourlyMessages
from wa_crm.domain.usecases.monitoring.statistics import (
    day_bounds,
    default_timezone,
    messages_by_day,
)

ZONES = st.sampled_from(["UTC", "America/Sao_Paulo", "America/Manaus", "Europe/Lisbon"])
FIRST = date(2026, 1, 1)


@st.composite
def periods(draw: st.DrawFn) -> tuple[date, date, ZoneInfo, list[HourlyMessages]]:
    tz = ZoneInfo(draw(ZONES))
    first = FIRST + timedelta(days=draw(st.integers(0, 300)))
    last = first + timedelta(days=draw(st.integers(0, 40)))
    start, end = day_bounds(first, last, tz)
    hours_in_period = int((end - start).total_seconds() // 3600)
    offsets = draw(st.sets(st.integers(0, hours_in_period - 1), max_size=60))
    hours = [
        HourlyMessages(
            start + timedelta(hours=offset), draw(st.integers(0, 9)), draw(st.integers(0, 9))
        )
        for offset in sorted(offsets)
    ]
    return first, last, tz, hours


@given(periods())
def test_every_day_is_listed_once_and_nothing_is_lost(
    period: tuple[date, date, ZoneInfo, list[HourlyMessages]],
) -> None:
    first, last, tz, hours = period

    days = messages_by_day(hours, first, last, tz)

    assert [d.day for d in days] == [
        first + timedelta(days=n) for n in range((last - first).days + 1)
    ]
    assert sum(d.inbound for d in days) == sum(h.inbound for h in hours)
    assert sum(d.outbound for d in days) == sum(h.outbound for h in hours)


@given(periods())
def test_each_hour_counts_on_its_local_day(
    period: tuple[date, date, ZoneInfo, list[HourlyMessages]],
) -> None:
    first, last, tz, hours = period

    by_day = {d.day: d.inbound for d in messages_by_day(hours, first, last, tz)}

    for day, count in by_day.items():
        assert count == sum(h.inbound for h in hours if h.hour.astimezone(tz).date() == day)


def test_bounds_are_local_midnights_in_utc() -> None:
    start, end = day_bounds(date(2026, 3, 1), date(2026, 3, 2), ZoneInfo("America/Sao_Paulo"))

    assert start == datetime(2026, 3, 1, 3, tzinfo=UTC)
    assert end == datetime(2026, 3, 3, 3, tzinfo=UTC)


def test_days_are_the_business_hours_zone_else_the_locales_else_utc() -> None:
    def association(locale: Locale, hours: BusinessHours | None = None) -> Association:
        created = Association("a", "a", "A", datetime(2026, 1, 1, tzinfo=UTC), locale=locale)
        return replace(created, bot=replace(created.bot, business_hours=hours))

    manaus = BusinessHours("America/Manaus", ())
    assert default_timezone(association(Locale.PT_BR, manaus)) == "America/Manaus"
    assert default_timezone(association(Locale.EN, manaus)) == "America/Manaus"
    assert default_timezone(association(Locale.PT_BR)) == "America/Sao_Paulo"
    assert default_timezone(association(Locale.EN)) == "UTC"
