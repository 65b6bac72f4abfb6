"""Time that counts within the association's business hours (the first-response target).

A contact who writes on Saturday night has not waited two days for an answer on Monday at
nine if the team works weekdays: the first-response target (``AssignmentSettings``) counts
only the opening hours of ``bot.business_hours`` (none on its holidays), and plain elapsed time
when none are set.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from wa_crm.domain.model.association import BusinessHours

_ONE_DAY = timedelta(days=1)


def business_time_between(start: datetime, end: datetime, hours: BusinessHours | None) -> timedelta:
    """How much of ``[start, end)`` falls within ``hours`` (all of it when ``hours`` is None);
    zero when ``end`` is not after ``start``. Exact (whole microseconds), so spans add up."""
    if end <= start:
        return timedelta(0)
    if hours is None:
        return end - start
    zone = ZoneInfo(hours.timezone)
    total = timedelta(0)
    day = start.astimezone(zone).date()  # a window lies within its own local day
    last = end.astimezone(zone).date()
    holidays = frozenset(hours.holidays)
    while day <= last:
        if day in holidays:
            day += _ONE_DAY
            continue
        for opens, closes in _open_intervals(hours, day, zone):
            overlap = min(closes, end) - max(opens, start)
            total += max(overlap, timedelta(0))
        day += _ONE_DAY
    return total


def _open_intervals(
    hours: BusinessHours, day: date, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The day's windows as UTC instants, overlapping ones merged so no moment counts twice."""
    intervals = sorted(
        (
            datetime.combine(day, window.opens, tzinfo=zone).astimezone(UTC),
            datetime.combine(day, window.closes, tzinfo=zone).astimezone(UTC),
        )
        for window in hours.windows
        if window.weekday == day.weekday()
    )
    merged: list[tuple[datetime, datetime]] = []
    for opens, closes in intervals:
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        elif opens < closes:
            merged.append((opens, closes))
    return merged
