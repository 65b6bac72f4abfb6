"""Business time: what the first-response target counts (``model/business_time``), and the
holidays of business hours, closed all day in their time zone."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.model.association import BusinessHours, BusinessWindow
from wa_crm.domain.model.business_time import business_time_between

WEEKDAYS_9_TO_18 = BusinessHours(
    "America/Sao_Paulo", tuple(BusinessWindow(day, time(9), time(18)) for day in range(5))
)
"""São Paulo is UTC-3 all year: 9:00 there is 12:00 UTC."""

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
windows = st.builds(
    lambda day, a, b: BusinessWindow(day, min(a, b), max(a, b)),
    st.integers(0, 6),
    st.times(),
    st.times(),
).filter(lambda window: window.opens < window.closes)
business_hours = st.one_of(
    st.none(),
    st.builds(
        BusinessHours,
        st.sampled_from(["UTC", "America/Sao_Paulo", "Europe/Lisbon", "America/New_York"]),
        st.lists(windows, max_size=6).map(tuple),
    ),
)


@given(instants, instants, business_hours)
def test_never_negative_and_never_more_than_the_clock(
    start: datetime, end: datetime, hours: BusinessHours | None
) -> None:
    counted = business_time_between(start, end, hours)
    assert timedelta(0) <= counted <= max(end - start, timedelta(0))


@given(st.lists(instants, min_size=3, max_size=3).map(sorted), business_hours)
def test_adjacent_spans_add_up(moments: list[datetime], hours: BusinessHours | None) -> None:
    first, middle, last = moments
    assert business_time_between(first, middle, hours) + business_time_between(
        middle, last, hours
    ) == business_time_between(first, last, hours)


@given(instants, instants)
def test_without_business_hours_it_is_the_clock(start: datetime, end: datetime) -> None:
    expected = end - start if end > start else timedelta(0)
    assert business_time_between(start, end, None) == expected


@given(st.integers(0, 52), st.times(), st.times())
def test_a_closed_weekend_counts_nothing(week: int, first: time, second: time) -> None:
    saturday = datetime(2026, 1, 3, tzinfo=UTC).date() + timedelta(weeks=week)
    zone_offset = timedelta(hours=3)  # local midnight in São Paulo, in UTC
    start = datetime.combine(saturday, first, tzinfo=UTC) + zone_offset
    end = datetime.combine(saturday + timedelta(days=1), second, tzinfo=UTC) + zone_offset
    assert business_time_between(start, end, WEEKDAYS_9_TO_18) == timedelta(0)


def test_friday_evening_to_monday_morning_counts_the_open_hours_only() -> None:
    friday_17h = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # 17:00 in São Paulo
    monday_9h30 = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
    assert business_time_between(friday_17h, monday_9h30, WEEKDAYS_9_TO_18) == timedelta(minutes=90)


def test_overlapping_windows_count_each_moment_once() -> None:
    hours = BusinessHours(
        "UTC", (BusinessWindow(0, time(9), time(12)), BusinessWindow(0, time(11), time(14)))
    )
    monday = datetime(2026, 12, 7, tzinfo=UTC)
    assert business_time_between(monday, monday + timedelta(days=1), hours) == timedelta(hours=5)


ZONES = ["UTC", "America/Sao_Paulo", "America/Manaus", "Europe/Lisbon", "America/New_York"]
holiday_dates = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))
hours_with_holidays = st.builds(
    BusinessHours,
    st.sampled_from(ZONES),
    st.lists(windows, max_size=6).map(tuple),
    st.lists(holiday_dates, max_size=8).map(tuple),
)


def _local_day(day: date, zone: str) -> tuple[datetime, datetime]:
    """The holiday as UTC instants: from its local midnight to the next one."""
    tz = ZoneInfo(zone)
    return (
        datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC),
    )


@given(hours_with_holidays.filter(lambda hours: bool(hours.holidays)), st.data())
def test_no_instant_on_a_holiday_is_open(hours: BusinessHours, data: st.DataObject) -> None:
    day = data.draw(st.sampled_from(hours.holidays))
    start, end = _local_day(day, hours.timezone)
    moment = data.draw(
        st.datetimes(
            min_value=start.replace(tzinfo=None),
            max_value=(end - timedelta(microseconds=1)).replace(tzinfo=None),
            timezones=st.just(UTC),
        )
    )
    assert moment.astimezone(ZoneInfo(hours.timezone)).date() == day
    assert not hours.is_open(moment)


@given(instants, instants, hours_with_holidays)
def test_business_time_never_counts_holiday_time(
    start: datetime, end: datetime, hours: BusinessHours
) -> None:
    """What holidays take away is exactly what the same hours without them count on those
    days, so no moment of a holiday is ever counted."""
    ordinary = dataclasses.replace(hours, holidays=())
    on_holidays = timedelta(0)
    for day in set(hours.holidays):
        opens, closes = _local_day(day, hours.timezone)
        on_holidays += business_time_between(max(start, opens), min(end, closes), ordinary)
    assert business_time_between(start, end, hours) == (
        business_time_between(start, end, ordinary) - on_holidays
    )
    for day in hours.holidays:
        opens, closes = _local_day(day, hours.timezone)
        assert business_time_between(opens, closes, hours) == timedelta(0)


def test_christmas_on_a_friday_is_closed_and_not_counted() -> None:
    christmas = dataclasses.replace(WEEKDAYS_9_TO_18, holidays=(date(2026, 12, 25),))
    friday_10h = datetime(2026, 12, 25, 13, 0, tzinfo=UTC)  # 10:00 in São Paulo
    assert WEEKDAYS_9_TO_18.is_open(friday_10h) and not christmas.is_open(friday_10h)
    thursday_17h = datetime(2026, 12, 24, 20, 0, tzinfo=UTC)
    monday_9h30 = datetime(2026, 12, 28, 12, 30, tzinfo=UTC)
    assert business_time_between(thursday_17h, monday_9h30, christmas) == timedelta(minutes=90)
