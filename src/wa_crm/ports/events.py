"""Publishing facts after commit, and the event bus that fans live events out to agents'
browsers and API clients.

A ``LiveEvent`` is a fact as subscribers see it: ``type`` is its public name on the bus and the
SSE stream, ``data`` its public shape (made from facts by ``adapters/events/wire.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from wa_crm.domain.model.events import Fact


class EventType(StrEnum):
    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_UPDATED = "conversation.updated"
    MESSAGE_CREATED = "message.created"
    MESSAGE_UPDATED = "message.updated"
    NOTE_CREATED = "note.created"
    TYPING = "typing"
    SESSION_STATUS = "session.status"
    ALERT = "alert"


@dataclass(frozen=True)
class LiveEvent:
    type: EventType
    association_id: str
    data: dict[str, Any] = field(default_factory=dict)


class FactPublisher(Protocol):
    async def __call__(self, facts: Sequence[Fact]) -> None:
        """Handle facts whose unit of work committed; a handler's fault is logged, not raised:
        the state they tell of is already safe."""
        ...


@dataclass(frozen=True)
class PublishedEvent:
    """An event as subscribers see it; ``id`` grows monotonically per association."""

    id: str
    type: str
    association: str
    data: dict[str, Any]
    at: datetime


class EventBus(Protocol):
    async def publish(self, event: LiveEvent) -> PublishedEvent:
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
