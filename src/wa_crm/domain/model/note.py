"""Private notes: what agents write on a conversation for each other.

A note is not a message: it lives apart, is shown apart, and nothing ever queues it for
WhatsApp.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wa_crm.domain.model.events import Fact, NoteAdded

MAX_NOTE_LENGTH = 4000


@dataclass(frozen=True)
class Note:
    id: str
    association_id: str
    conversation_id: str
    agent_id: str
    text: str
    created_at: datetime
    pending_facts: list[Fact] = field(default_factory=list, init=False, repr=False, compare=False)

    @classmethod
    def write(
        cls,
        *,
        id: str,
        association_id: str,
        conversation_id: str,
        agent_id: str,
        author_name: str,
        text: str,
        at: datetime,
    ) -> Note:
        """A new note by the agent named ``author_name``, raising ``NoteAdded``."""
        note = cls(id, association_id, conversation_id, agent_id, text, at)
        note.pending_facts.append(NoteAdded(association_id, note, author_name))
        return note

    def collect_facts(self) -> list[Fact]:
        facts = list(self.pending_facts)
        self.pending_facts.clear()
        return facts

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
