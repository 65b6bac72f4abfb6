"""A random (seeded) history of conversations, messages and handoffs, written straight into the
tables: the statistics recomputation test and the statistics/inbox benchmark share it.

Each conversation starts with the contact; the bot (sometimes the system) answers until a
handoff, a system message; after it agents answer, or nobody does and only the contact writes.
A handoff's ``answered_at`` is the first agent message at or after it, as ``mark_answered``
records it. A few outbound messages fail.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.tables import conversations, handoffs, messages
from wa_crm.domain.model.conversation import HandoffReason
from wa_crm.domain.model.message import Author, Direction, MessageStatus

Row = dict[str, Any]
AGENT_ID = "agent-1"
_OUTBOUND_DONE = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ)


@dataclass(frozen=True)
class HistoryShape:
    messages: int
    conversations: int
    start: datetime
    days: int
    associations: tuple[str, ...] = (
        "0000000a-0000-7000-8000-000000000001",
        "0000000a-0000-7000-8000-000000000002",
    )
    weights: tuple[int, ...] = (3, 1)
    """Conversations of each association, relatively."""
    seed: int = 7


@dataclass
class HistoryChunk:
    conversations: list[Row] = field(default_factory=list)
    messages: list[Row] = field(default_factory=list)
    handoffs: list[Row] = field(default_factory=list)


def generate(shape: HistoryShape, chunk_size: int = 2_000) -> Iterator[HistoryChunk]:
    """The history in chunks of ``chunk_size`` conversations; exactly ``shape.messages``."""
    rng = random.Random(shape.seed)
    per_conversation, extra = divmod(shape.messages, shape.conversations)
    for first in range(0, shape.conversations, chunk_size):
        chunk = HistoryChunk()
        for number in range(first, min(first + chunk_size, shape.conversations)):
            count = per_conversation + (number < extra)
            _conversation(rng, shape, number, count, chunk)
        yield chunk


def _conversation(
    rng: random.Random, shape: HistoryShape, number: int, count: int, chunk: HistoryChunk
) -> None:
    association_id = rng.choices(shape.associations, shape.weights)[0]
    conversation_id = _id(number, 0, shape.seed)
    created = shape.start + timedelta(seconds=rng.uniform(0, shape.days * 86_400))
    handoff_points = _handoff_points(rng, count)
    at, phase, reason = created, "bot", None
    agent_times: list[datetime] = []
    handed_off: list[Row] = []
    for sequence in range(count):
        at += timedelta(seconds=rng.expovariate(1 / 900))
        if sequence in handoff_points:
            author = Author.SYSTEM
            phase = "agent" if rng.random() < 0.7 else "waiting"
            reason = rng.choice(list(HandoffReason)).value
            handed_off.append(
                {
                    "association_id": association_id,
                    "conversation_id": conversation_id,
                    "reason": reason,
                    "at": at,
                }
            )
        elif sequence == 0 or phase == "waiting" or rng.random() < 0.5:
            author = Author.CONTACT
        elif phase == "agent":
            author = Author.AGENT
            agent_times.append(at)
        else:
            author = Author.BOT if rng.random() < 0.9 else Author.SYSTEM
        chunk.messages.append(
            _message(
                rng,
                association_id,
                conversation_id,
                _id(number, sequence + 1, shape.seed),
                author,
                at,
            )
        )
    for handoff in handed_off:
        handoff["answered_at"] = next((t for t in agent_times if t >= handoff["at"]), None)
    chunk.handoffs += handed_off
    status = {"bot": "bot", "agent": "human", "waiting": "pending"}[phase]
    resolved = at < shape.start + timedelta(days=shape.days - 7) and rng.random() < 0.8
    chunk.conversations.append(
        {
            "id": conversation_id,
            "association_id": association_id,
            "contact_id": _id(number, 0, shape.seed, contact=True),
            "channel": "whatsapp",
            "session": "default",
            "status": "resolved" if resolved else status,
            "assignee_id": AGENT_ID if phase == "agent" else None,
            "handoff_reason": reason,
            "bot_turns": 0,
            "last_message_id": _id(number, count, shape.seed),
            "last_message_at": at,
            "unread_count": 0,
            "created_at": created,
            "resolved_at": at if resolved else None,
            "updated_at": at,
        }
    )


def _id(number: int, sequence: int, seed: int, contact: bool = False) -> str:
    """Shaped like the service's ids (UUIDs), so that indexes have their real width; a message is
    its conversation's ``number`` with a ``sequence`` from 1."""
    return f"{number:08x}-{sequence:04x}-7000-{8001 if contact else 8000}-{seed:012x}"


def _handoff_points(rng: random.Random, count: int) -> set[int]:
    """Positions of the handoff messages: about a third of the conversations hand off, a few of
    them twice."""
    if count < 3 or rng.random() >= 0.35:
        return set()
    first = rng.randrange(1, count)
    points = {first}
    if first < count - 1 and rng.random() < 0.15:
        points.add(rng.randrange(first + 1, count))
    return points


def _message(
    rng: random.Random,
    association_id: str,
    conversation_id: str,
    message_id: str,
    author: Author,
    at: datetime,
) -> Row:
    inbound = author is Author.CONTACT
    if inbound:
        status = MessageStatus.RECEIVED
    elif rng.random() < 0.05:
        status = MessageStatus.FAILED
    else:
        status = rng.choice(_OUTBOUND_DONE)
    return {
        "id": message_id,
        "association_id": association_id,
        "conversation_id": conversation_id,
        "external_id": None if status is MessageStatus.FAILED else f"wamid.{message_id}",
        "direction": (Direction.IN if inbound else Direction.OUT).value,
        "author": author.value,
        "agent_id": AGENT_ID if author is Author.AGENT else None,
        "type": "text",
        "body": "Olá, tudo bem?" if inbound else "Posso ajudar?",
        "status": status.value,
        "created_at": at,
    }


async def insert_history(connection: AsyncConnection, chunk: HistoryChunk) -> None:
    """Bulk inserts (one executemany per table)."""
    for table, rows in (
        (conversations, chunk.conversations),
        (messages, chunk.messages),
        (handoffs, chunk.handoffs),
    ):
        if rows:
            await connection.execute(insert(table), rows)
