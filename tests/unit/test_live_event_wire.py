"""Facts as the SSE stream and API clients see them: today's event names and ``data`` shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wa_crm.adapters.events.wire import LIVE_FACTS, live_event
from wa_crm.domain.model.conversation import Channel, Conversation, HandoffReason
from wa_crm.domain.model.events import (
    AgentTyping,
    AlertRaised,
    ContactConsentChanged,
    ContactTyping,
    ConversationChanged,
    ConversationOpened,
    ConversationRouted,
    Fact,
    HandedOff,
    MessageAdded,
    MessageChanged,
    NoteAdded,
    SessionStatusChanged,
    SnoozeEnded,
)
from wa_crm.domain.model.message import (
    Author,
    Direction,
    Message,
    MessageStatus,
    MessageType,
    Reaction,
)
from wa_crm.domain.model.note import Note
from wa_crm.domain.model.statistics import Alert

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CONVERSATION = Conversation.open(
    id="c1",
    association_id="a",
    contact_id="k1",
    channel=Channel.WHATSAPP,
    session="default",
    at=T0,
    bot_available=True,
)
MESSAGE = Message(
    "m1",
    "a",
    "c1",
    Direction.IN,
    Author.CONTACT,
    MessageType.TEXT,
    "Oi",
    MessageStatus.RECEIVED,
    T0,
)
NOTE = Note("n1", "a", "c1", "agent-1", "ligar amanhã", T0)
REACTION = Reaction("👍", False, T0)
ALERT = Alert("dead_letter", "a message could not be delivered: x", T0, {"message_id": "m1"})

CASES: list[tuple[Fact, str, dict[str, object]]] = [
    (ConversationOpened("a", CONVERSATION), "conversation.created", CONVERSATION.snapshot()),
    (ConversationChanged("a", CONVERSATION), "conversation.updated", CONVERSATION.snapshot()),
    (
        ContactConsentChanged("a", CONVERSATION, True),
        "conversation.updated",
        {**CONVERSATION.snapshot(), "contact_opted_out": True},
    ),
    (
        HandedOff("a", "c1", HandoffReason.KEYWORD, "Quer falar com alguém"),
        "alert",
        {
            "kind": "handoff",
            "conversation_id": "c1",
            "reason": "keyword",
            "summary": "Quer falar com alguém",
        },
    ),
    (
        ConversationRouted("a", "c1", "agent-1"),
        "alert",
        {"kind": "assigned", "conversation_id": "c1", "agent_id": "agent-1"},
    ),
    (
        SnoozeEnded("a", "c1", "agent-1"),
        "alert",
        {"kind": "snooze_ended", "conversation_id": "c1", "assignee_id": "agent-1"},
    ),
    (MessageAdded("a", MESSAGE), "message.created", MESSAGE.snapshot()),
    (MessageChanged("a", MESSAGE), "message.updated", MESSAGE.snapshot()),
    (
        MessageChanged("a", MESSAGE, (REACTION,)),
        "message.updated",
        {
            **MESSAGE.snapshot(),
            "reactions": [{"emoji": "👍", "from_me": False, "at": T0.isoformat()}],
        },
    ),
    (NoteAdded("a", NOTE, "Ana"), "note.created", NOTE.snapshot("Ana")),
    (
        AlertRaised("a", ALERT),
        "alert",
        {"kind": "dead_letter", "message": ALERT.message, "message_id": "m1"},
    ),
    (
        SessionStatusChanged("a", "default", "WORKING"),
        "session.status",
        {"session": "default", "status": "WORKING"},
    ),
    (
        ContactTyping("a", "k1", None, True),
        "typing",
        {"who": "contact", "contact_id": "k1", "conversation_id": None, "state": "start"},
    ),
    (
        AgentTyping("a", "agent-1", "c1", False),
        "typing",
        {"who": "agent", "agent_id": "agent-1", "conversation_id": "c1", "state": "stop"},
    ),
]


@pytest.mark.parametrize(("fact", "name", "data"), CASES, ids=lambda case: type(case).__name__)
def test_a_fact_becomes_todays_live_event(fact: Fact, name: str, data: dict[str, object]) -> None:
    event = live_event(fact)
    assert (event.type.value, event.association_id, event.data) == (name, "a", data)


def test_every_live_fact_has_a_case() -> None:
    assert {type(fact) for fact, _, _ in CASES} == set(LIVE_FACTS)
