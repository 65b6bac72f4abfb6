"""Private notes: what agents write on a conversation for each other.

A note is not a message: it lives apart, is shown apart, and nothing ever queues it for
WhatsApp.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_NOTE_LENGTH = 4000


@dataclass(frozen=True)
class Note:
    id: str
    association_id: str
    conversation_id: str
    agent_id: str
    text: str
    created_at: datetime

    def snapshot(self, agent_name: str | None) -> dict[str, Any]:
        """``agent_name`` None: the agent no longer exists."""
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "agent_id": self.agent_id,
            "agent_name": agent_name,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
        }
