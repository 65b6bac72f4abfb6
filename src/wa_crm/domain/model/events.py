"""Domain events, recorded during a use case and published after its transaction commits.

``type`` values are the public event names of the EventBus and the SSE stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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
class DomainEvent:
    type: EventType
    association_id: str
    data: dict[str, Any] = field(default_factory=dict)
