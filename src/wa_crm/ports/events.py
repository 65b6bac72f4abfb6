"""The event bus: committed domain events fanned out to agents' browsers and API clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from wa_crm.domain.model.events import DomainEvent


@dataclass(frozen=True)
class PublishedEvent:
    """An event as subscribers see it; ``id`` grows monotonically per association."""

    id: str
    type: str
    association: str
    data: dict[str, Any]
    at: datetime


class EventBus(Protocol):
    async def publish(self, event: DomainEvent) -> PublishedEvent:
        """Publish after commit; assigns the event id."""
        ...

    def subscribe(
        self, association_id: str, *, after_id: str | None = None
    ) -> AsyncIterator[PublishedEvent]:
        """Events of one association, first those after ``after_id`` still kept for replay.

        A subscriber that falls too far behind loses the oldest events rather than holding up
        publishers or growing memory without bound.
        """
        ...
