"""What the inbox list shows of a conversation's last message: who wrote it, its type and one
line of its text (issue 18, "the list tells the story")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wa_crm.domain.model.message import Author, Message, MessageType

PREVIEW_CHARS = 120
ELLIPSIS = "…"


def one_line(text: str, limit: int) -> str:
    """``text`` on one line (runs of whitespace made one space), cut to at most ``limit``
    characters with an ellipsis when it is longer."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    return line[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


@dataclass(frozen=True)
class LastMessage:
    id: str
    author: Author
    agent_id: str | None
    """The agent who wrote it, for an agent's message; None otherwise."""
    author_name: str | None
    """The agent's name for an agent's message; None otherwise (and for the phone's own)."""
    type: MessageType
    preview: str
    """One line of its text: a media message's caption, "" for media without one (the list
    names the type instead)."""
    at: datetime

    @classmethod
    def of(cls, message: Message, agent_name: str | None) -> LastMessage:
        return cls(
            id=message.id,
            author=message.author,
            agent_id=message.agent_id if message.author is Author.AGENT else None,
            author_name=agent_name if message.author is Author.AGENT else None,
            type=message.type,
            preview=one_line(message.body, PREVIEW_CHARS),
            at=message.created_at,
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "author": self.author.value,
            "agent_id": self.agent_id,
            "author_name": self.author_name,
            "type": self.type.value,
            "preview": self.preview,
            "at": self.at.isoformat(),
        }
