"""Business time: what the first-response target counts (``model/business_time``)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

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
