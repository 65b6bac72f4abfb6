"""Domain objects for the persistence contracts, every field set to a non-default value."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from itertools import count
from typing import Any

from wa_crm.domain.model.association import (
    AssignmentSettings,
    Association,
    BotSettings,
    BusinessHours,
    BusinessWindow,
    Locale,
    WhatsAppSettings,
)
from wa_crm.domain.model.conversation import (
    Channel,
    Conversation,
    ConversationStatus,
    HandoffNote,
    HandoffReason,
)
from wa_crm.domain.model.jobs import NewJob
from wa_crm.domain.model.message import (
    Author,
    Direction,
    Media,
    Message,
    MessageStatus,
    MessageType,
)
from wa_crm.domain.model.people import (
    Agent,
    AgentRole,
    Contact,
    ContactKind,
    Order,
    Patient,
    PatientStatus,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
SAO_PAULO = timezone(timedelta(hours=-3))
_ids = count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids):06d}"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def an_association(**overrides: Any) -> Association:
    number = next(_ids)
    values: dict[str, Any] = {
        "id": new_id("assoc"),
        "slug": f"assoc-{number}",
        "name": f"Associação {number}",
        "created_at": T0,
        "locale": Locale.EN,
        "whatsapp": WhatsAppSettings(
            base_url=f"http://waha-{number}.test:3000",
            api_key=f"api-key-{number}",
            session=f"session-{number}",
            webhook_secret=f"hook-secret-{number}",
            phone="+5511999990000",
        ),
        "bot": BotSettings(
            enabled=False,
            provider="openai",
            model="gpt-test",
            system_prompt="Be kind.",
            objective="collect name and city",
            handoff_keywords=("atendente", "pessoa"),
            greeting_member="Oi {first_name}",
            greeting_lead="Oi!",
            transition_message="Transferindo.",
            debounce_seconds=1.5,
            max_bot_turns=4,
            business_hours=BusinessHours(
                timezone="America/Sao_Paulo",
                windows=(
                    BusinessWindow(0, time(8, 30), time(18, 0)),
                    BusinessWindow(5, time(9, 0), time(12, 15, 30)),
                ),
            ),
        ),
        "assignment": AssignmentSettings(
            enabled=True, max_open_per_agent=3, offline_reassign_minutes=None
        ),
    }
    return Association(**values | overrides)


def an_agent(association_id: str, **overrides: Any) -> Agent:
    values: dict[str, Any] = {
        "id": new_id("agent"),
        "association_id": association_id,
        "email": f"agent{next(_ids)}@example.org",
        "name": "Ana",
        "role": AgentRole.ADMIN,
        "password_hash": "$argon2id$hash",
        "created_at": T0,
    }
    return Agent(**values | overrides)


def a_patient(association_id: str, **overrides: Any) -> Patient:
    values: dict[str, Any] = {
        "id": new_id("patient"),
        "association_id": association_id,
        "full_name": "Maria da Silva",
        "phones": ("+5511999998888", "+551133334444"),
        "status": PatientStatus.ACTIVE,
        "profile": {"city": "São Paulo", "plan": "gold"},
    }
    return Patient(**values | overrides)


def an_order(**overrides: Any) -> Order:
    values: dict[str, Any] = {
        "id": new_id("order"),
        "date": date(2026, 2, 1),
        "items": "2x oil 10ml",
        "total": Decimal("1234567890.25"),
        "status": "delivered",
    }
    return Order(**values | overrides)


def a_contact(association_id: str, **overrides: Any) -> Contact:
    number = next(_ids)
    values: dict[str, Any] = {
        "id": new_id("contact"),
        "association_id": association_id,
        "wa_chat_id": f"55119{number:08d}@c.us",
        "created_at": T0,
        "phone": f"+55119{number:08d}",
        "lid": f"{number}@lid",
        "display_name": "Zé",
        "kind": ContactKind.MEMBER,
        "patient_id": "patient-x",
        "fields": {"city": "Campinas", "interest": ["oil"], "age": 41},
    }
    return Contact(**values | overrides)


def a_conversation(association_id: str, contact_id: str, **overrides: Any) -> Conversation:
    values: dict[str, Any] = {
        "id": new_id("conv"),
        "association_id": association_id,
        "contact_id": contact_id,
        "channel": Channel.WHATSAPP,
        "session": "default",
        "status": ConversationStatus.BOT,
        "created_at": T0,
    }
    return Conversation(**values | overrides)


def a_handed_off_conversation(association_id: str, contact_id: str) -> Conversation:
    """Every optional field set."""
    return a_conversation(
        association_id,
        contact_id,
        status=ConversationStatus.RESOLVED,
        assignee_id="agent-1",
        handoff_reason=HandoffReason.AI_REQUEST,
        handoff_note=HandoffNote(
            reason=HandoffReason.AI_REQUEST,
            summary="Wants a refill.\nAsked about delivery.",
            fields={"name": "Zé", "city": "Campinas"},
        ),
        bot_turns=3,
        last_message_id="msg-9",
        last_message_at=at(60).astimezone(SAO_PAULO),
        unread_count=2,
        resolved_at=at(120),
    )


def a_message(association_id: str, conversation_id: str, **overrides: Any) -> Message:
    values: dict[str, Any] = {
        "id": new_id("msg"),
        "association_id": association_id,
        "conversation_id": conversation_id,
        "direction": Direction.IN,
        "author": Author.CONTACT,
        "type": MessageType.TEXT,
        "body": "Olá! 👋",
        "status": MessageStatus.RECEIVED,
        "created_at": T0,
        "external_id": f"false_5511999998888@c.us_{new_id('ext')}",
    }
    return Message(**values | overrides)


def a_media_message(association_id: str, conversation_id: str) -> Message:
    return a_message(
        association_id,
        conversation_id,
        direction=Direction.OUT,
        author=Author.AGENT,
        agent_id="agent-7",
        type=MessageType.DOCUMENT,
        body="see attached",
        media=Media(
            url="media/abc", mimetype="application/pdf", filename="x.pdf", size=123, checksum="ff"
        ),
        reply_to="msg-1",
        quoted_body="Pode mandar a receita? 🙏",
        status=MessageStatus.FAILED,
        error="463 reach-out limit",
        created_at=at(5).astimezone(SAO_PAULO),
    )


def a_job(**overrides: Any) -> NewJob:
    values: dict[str, Any] = {
        "kind": "bot_turn",
        "key": new_id("job"),
        "run_after": T0,
        "payload": {"conversation_id": "c1", "n": [1, 2]},
        "association_id": "assoc-1",
        "max_attempts": 3,
    }
    return NewJob(**values | overrides)
