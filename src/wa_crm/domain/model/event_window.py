"""How far from now a WhatsApp event's own time may be before it is refused as a replay.

A signed webhook body stays signed forever: whoever once saw one (a proxy log, a capture) could
post it again, and once its event id is forgotten (``PruneProcessedEvents``) nothing else would
tell it from a new event. WAHA's own retries end within a day, so an event stamped days ago or
ahead of our clock is a replay or a broken clock, never news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class OutOfWindow(StrEnum):
    TOO_OLD = "too_old"
    AHEAD_OF_CLOCK = "ahead_of_clock"


@dataclass(frozen=True)
class EventWindow:
    """``max_lead`` allows for WAHA's clock running ahead of ours."""

    max_age: timedelta = timedelta(days=7)
    max_lead: timedelta = timedelta(minutes=5)

    def refusal(self, sent_at: datetime, now: datetime) -> OutOfWindow | None:
        """Why an event sent at ``sent_at`` is refused at ``now``; None when it is accepted."""
        if sent_at < now - self.max_age:
            return OutOfWindow.TOO_OLD
        if sent_at > now + self.max_lead:
            return OutOfWindow.AHEAD_OF_CLOCK
        return None
