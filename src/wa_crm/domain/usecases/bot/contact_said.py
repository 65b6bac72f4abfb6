"""What the contact said in a bot turn, as the assistant reads it (architecture.md section 4,
item 5).

- The turn answers the contact's messages since the last outbound one.
- A voice note is read as its transcript; one whose transcript has not come yet makes the turn
  wait (the transcription job queues the turn again once it is stored).
- The question (searched in the knowledge base, recorded when unanswered, and the handoff
  note's "what the contact wants") is those messages with their greetings dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from wa_crm.domain.model.message import Direction, Message, MessageType
from wa_crm.domain.model.small_talk import without_greetings


def new_inbound(history: Sequence[Message]) -> list[Message]:
    """The contact's messages since the last outbound one (history is oldest first)."""
    unanswered: list[Message] = []
    for message in reversed(history):
        if message.direction is not Direction.IN:
            break
        unanswered.append(message)
    return unanswered[::-1]


def said(message: Message) -> str:
    """The text the assistant reads: a voice note's transcript, else the body."""
    if message.type is MessageType.AUDIO:
        return message.transcript or ""
    return message.body


def unheard(message: Message) -> bool:
    """A voice note with no text to read: no transcriber, turned off, or transcription failed."""
    return message.type is MessageType.AUDIO and not message.transcript


def unreadable(message: Message) -> bool:
    """Media the assistant cannot read at all (images, documents, stickers...)."""
    return message.type not in (MessageType.TEXT, MessageType.AUDIO)


def everything_said(messages: Sequence[Message]) -> str:
    return "\n".join(text for text in map(said, messages) if text.strip())


def question_in(messages: Sequence[Message]) -> str:
    """What the contact wants: their messages without greetings, one a line."""
    return "\n".join(
        question for question in (without_greetings(said(m)) for m in messages) if question
    )
