"""Facts as subscribers see them: the live event's public name and ``data`` (the SSE stream, the
Redis stream, API clients), made at the edge so that the facts carry domain values only."""

from __future__ import annotations

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
from wa_crm.domain.usecases.inbound.reactions import reactions_view
from wa_crm.ports.events import EventBus, EventType, LiveEvent

LIVE_FACTS: tuple[type[Fact], ...] = (
    ConversationOpened,
    ConversationChanged,
    ContactConsentChanged,
    HandedOff,
    ConversationRouted,
    SnoozeEnded,
    MessageAdded,
    MessageChanged,
    NoteAdded,
    AlertRaised,
    SessionStatusChanged,
    ContactTyping,
    AgentTyping,
)
"""The facts agents' pages are told of: each one ``live_event`` translates."""


def live_event(fact: Fact) -> LiveEvent:
    match fact:
        case ConversationOpened(association_id, conversation):
            return LiveEvent(
                EventType.CONVERSATION_CREATED, association_id, conversation.snapshot()
            )
        case ConversationChanged(association_id, conversation):
            return LiveEvent(
                EventType.CONVERSATION_UPDATED, association_id, conversation.snapshot()
            )
        case ContactConsentChanged(association_id, conversation, opted_out):
            data = conversation.snapshot() | {"contact_opted_out": opted_out}
            return LiveEvent(EventType.CONVERSATION_UPDATED, association_id, data)
        case HandedOff(association_id, conversation_id, reason, summary):
            data = {
                "kind": "handoff",
                "conversation_id": conversation_id,
                "reason": reason.value,
                "summary": summary,
            }
            return LiveEvent(EventType.ALERT, association_id, data)
        case ConversationRouted(association_id, conversation_id, agent_id):
            data = {"kind": "assigned", "conversation_id": conversation_id, "agent_id": agent_id}
            return LiveEvent(EventType.ALERT, association_id, data)
        case SnoozeEnded(association_id, conversation_id, assignee_id):
            data = {
                "kind": "snooze_ended",
                "conversation_id": conversation_id,
                "assignee_id": assignee_id,
            }
            return LiveEvent(EventType.ALERT, association_id, data)
        case MessageAdded(association_id, message):
            return LiveEvent(EventType.MESSAGE_CREATED, association_id, message.snapshot())
        case MessageChanged(association_id, message, reactions):
            data = message.snapshot()
            if reactions is not None:
                data |= {"reactions": reactions_view(reactions)}
            return LiveEvent(EventType.MESSAGE_UPDATED, association_id, data)
        case NoteAdded(association_id, note, author_name):
            return LiveEvent(EventType.NOTE_CREATED, association_id, note.snapshot(author_name))
        case AlertRaised(association_id, alert):
            data = {"kind": alert.kind, "message": alert.message, **alert.details}
            return LiveEvent(EventType.ALERT, association_id, data)
        case SessionStatusChanged(association_id, session, status):
            data = {"session": session, "status": status}
            return LiveEvent(EventType.SESSION_STATUS, association_id, data)
        case ContactTyping(association_id, contact_id, conversation_id, typing):
            data = {
                "who": "contact",
                "contact_id": contact_id,
                "conversation_id": conversation_id,
                "state": _typing_state(typing),
            }
            return LiveEvent(EventType.TYPING, association_id, data)
        case AgentTyping(association_id, agent_id, conversation_id, typing):
            data = {
                "who": "agent",
                "agent_id": agent_id,
                "conversation_id": conversation_id,
                "state": _typing_state(typing),
            }
            return LiveEvent(EventType.TYPING, association_id, data)
    raise TypeError(f"{type(fact).__name__} is not a live event")


def _typing_state(typing: bool) -> str:
    return "start" if typing else "stop"


class PublishLiveEvent:
    """The handler that tells agents' pages of a fact, through the event bus."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def __call__(self, fact: Fact) -> None:
        await self._bus.publish(live_event(fact))
