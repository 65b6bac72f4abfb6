"""The replay window: how far from now an event's own time may be."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wa_crm.domain.model.event_window import EventWindow, OutOfWindow
from wa_crm.testing.clock import T0

WINDOW = EventWindow(max_age=timedelta(days=7), max_lead=timedelta(minutes=5))


@pytest.mark.parametrize(
    ("offset", "refusal"),
    [
        (-timedelta(days=7, microseconds=1), OutOfWindow.TOO_OLD),
        (-timedelta(days=7), None),
        (timedelta(0), None),
        (timedelta(minutes=5), None),
        (timedelta(minutes=5, microseconds=1), OutOfWindow.AHEAD_OF_CLOCK),
    ],
)
def test_bounds_are_inclusive(offset: timedelta, refusal: OutOfWindow | None) -> None:
    assert WINDOW.refusal(T0 + offset, T0) is refusal
