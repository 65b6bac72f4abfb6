"""Explicit row <-> domain mapping; value objects stored as JSON are (de)serialized here
(settings objects through ``settings_json``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from sqlalchemy import RowMapping

from wa_crm.adapters.sql.settings_json import (
    ASSIGNMENT_SETTINGS,
    BOT_SETTINGS,
    PRIVACY_SETTINGS,
)
from wa_crm.domain.model.association import (
    Association,
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
from wa_crm.domain.model.credentials import ApiToken
from wa_crm.domain.model.inbox_search import name_key, phone_key
from wa_crm.domain.model.jobs import Job, JobStatus
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
from wa_crm.ports.system import SecretCipher

# --- associations -------------------------------------------------------------------------


_PLAINTEXTS_KEPT = 256
# (id of the cipher, ciphertext) -> (the cipher, plaintext). Holding the cipher keeps its id from
# being reused by another object while the entry exists.
_plaintexts: dict[tuple[int, str], tuple[SecretCipher, str]] = {}


def _decrypt(cipher: SecretCipher, token: str) -> str:
    """Every association load (each webhook, each bot turn) decrypts its two secrets, which
    costs more than the rest of the mapping, while stored ciphertexts rarely change. The cipher
    is part of the key, so one cipher never gets another's plaintext; a token it cannot decrypt
    raises and is not kept. The oldest entry goes first when the cache is full."""
    key = (id(cipher), token)
    kept = _plaintexts.get(key)
    if kept is not None:
        return kept[1]
    plaintext = cipher.decrypt(token)
    if len(_plaintexts) >= _PLAINTEXTS_KEPT:
        del _plaintexts[next(iter(_plaintexts))]
    _plaintexts[key] = (cipher, plaintext)
    return plaintext


def association_to_row(association: Association, cipher: SecretCipher) -> dict[str, Any]:
    whatsapp = association.whatsapp
    return {
        "id": association.id,
        "slug": association.slug,
        "name": association.name,
        "locale": association.locale.value,
        "waha_base_url": whatsapp.base_url,
        "waha_api_key": cipher.encrypt(whatsapp.api_key),
        "waha_session": whatsapp.session,
        "waha_server": whatsapp.server_key,
        "webhook_secret": cipher.encrypt(whatsapp.webhook_secret),
        "whatsapp_phone": whatsapp.phone,
        "whatsapp_rate_per_second": whatsapp.messages_per_second,
        "whatsapp_chat_gap_seconds": whatsapp.chat_gap_seconds,
        "bot_settings": BOT_SETTINGS.dump(association.bot),
        "privacy_settings": PRIVACY_SETTINGS.dump(association.privacy),
        "assignment_settings": ASSIGNMENT_SETTINGS.dump(association.assignment),
        "created_at": association.created_at,
    }


def association_from_row(row: RowMapping, cipher: SecretCipher) -> Association:
    return Association(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        created_at=row["created_at"],
        locale=Locale(row["locale"]),
        whatsapp=WhatsAppSettings(
            base_url=row["waha_base_url"],
            api_key=_decrypt(cipher, row["waha_api_key"]),
            session=row["waha_session"],
            webhook_secret=_decrypt(cipher, row["webhook_secret"]),
            phone=row["whatsapp_phone"],
            messages_per_second=row["whatsapp_rate_per_second"],
            chat_gap_seconds=row["whatsapp_chat_gap_seconds"],
        ),
        bot=BOT_SETTINGS.load(row["bot_settings"]),
        privacy=PRIVACY_SETTINGS.load(row["privacy_settings"]),
        assignment=ASSIGNMENT_SETTINGS.load(row["assignment_settings"]),
    )


# --- people -------------------------------------------------------------------------------


def agent_to_row(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "association_id": agent.association_id,
        "email": agent.email.lower(),
        "name": agent.name,
        "role": agent.role.value,
        "password_hash": agent.password_hash,
        "created_at": agent.created_at,
        "disabled_at": agent.disabled_at,
    }


def agent_from_row(row: RowMapping) -> Agent:
    return Agent(
        id=row["id"],
        association_id=row["association_id"],
        email=row["email"],
        name=row["name"],
        role=AgentRole(row["role"]),
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        disabled_at=row["disabled_at"],
    )


def api_token_to_row(token_hash: str, token: ApiToken) -> dict[str, Any]:
    return {"token_hash": token_hash, **{f.name: getattr(token, f.name) for f in fields(token)}}


def api_token_from_row(row: Mapping[Any, Any]) -> ApiToken:
    return ApiToken(
        id=row["id"],
        agent_id=row["agent_id"],
        name=row["name"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
    )


def patient_values(patient: Patient) -> dict[str, Any]:
    """The patient's own columns, without its key (phones and orders live in other tables)."""
    return {
        "full_name": patient.full_name,
        "status": patient.status.value,
        "profile": patient.profile,
        "search_name": name_key(patient.full_name),
    }


def patient_from_row(
    row: RowMapping, phones: tuple[str, ...], orders: tuple[Order, ...]
) -> Patient:
    return Patient(
        id=row["id"],
        association_id=row["association_id"],
        full_name=row["full_name"],
        phones=phones,
        status=PatientStatus(row["status"]),
        profile=row["profile"],
        orders=orders,
    )


def order_from_row(row: RowMapping) -> Order:
    return Order(
        id=row["id"], date=row["date"], items=row["items"], total=row["total"], status=row["status"]
    )


def contact_to_row(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "association_id": contact.association_id,
        "wa_chat_id": contact.wa_chat_id,
        "phone": contact.phone,
        "lid": contact.lid,
        "display_name": contact.display_name,
        "kind": contact.kind.value,
        "patient_id": contact.patient_id,
        "fields": contact.fields,
        "created_at": contact.created_at,
        "opted_out_at": contact.opted_out_at,
        "opt_out_source": contact.opt_out_source,
        "search_name": name_key(contact.display_name),
        "search_phone": phone_key(contact.phone),
    }


def contact_from_row(row: RowMapping) -> Contact:
    return Contact(
        id=row["id"],
        association_id=row["association_id"],
        wa_chat_id=row["wa_chat_id"],
        created_at=row["created_at"],
        phone=row["phone"],
        lid=row["lid"],
        display_name=row["display_name"],
        kind=ContactKind(row["kind"]),
        patient_id=row["patient_id"],
        fields=row["fields"],
        opted_out_at=row["opted_out_at"],
        opt_out_source=row["opt_out_source"],
    )


# --- conversations and messages -----------------------------------------------------------


def conversation_to_row(conversation: Conversation) -> dict[str, Any]:
    note = conversation.handoff_note
    return {
        "id": conversation.id,
        "association_id": conversation.association_id,
        "contact_id": conversation.contact_id,
        "channel": conversation.channel.value,
        "session": conversation.session,
        "status": conversation.status.value,
        "assignee_id": conversation.assignee_id,
        "handoff_reason": _value(conversation.handoff_reason),
        "handoff_note": None
        if note is None
        else {"reason": note.reason.value, "summary": note.summary, "fields": note.fields},
        "bot_turns": conversation.bot_turns,
        "last_message_id": conversation.last_message_id,
        "last_message_at": conversation.last_message_at,
        "unread_count": conversation.unread_count,
        "created_at": conversation.created_at,
        "resolved_at": conversation.resolved_at,
        "labels": list(conversation.labels) or None,
        "rating": conversation.rating,
        "rating_requested_at": conversation.rating_requested_at,
        "rated_at": conversation.rated_at,
        "snoozed_until": conversation.snoozed_until,
        "urgent": conversation.urgent,
        "sla_breached_at": conversation.sla_breached_at,
        "waiting_since": conversation.waiting_since,
        "previous_conversation_id": conversation.previous_conversation_id,
    }


def conversation_from_row(row: RowMapping) -> Conversation:
    note = row["handoff_note"]
    return Conversation(
        id=row["id"],
        association_id=row["association_id"],
        contact_id=row["contact_id"],
        channel=Channel(row["channel"]),
        session=row["session"],
        status=ConversationStatus(row["status"]),
        created_at=row["created_at"],
        assignee_id=row["assignee_id"],
        handoff_reason=None
        if row["handoff_reason"] is None
        else HandoffReason(row["handoff_reason"]),
        handoff_note=None
        if note is None
        else HandoffNote(
            reason=HandoffReason(note["reason"]), summary=note["summary"], fields=note["fields"]
        ),
        bot_turns=row["bot_turns"],
        last_message_id=row["last_message_id"],
        last_message_at=row["last_message_at"],
        unread_count=row["unread_count"],
        resolved_at=row["resolved_at"],
        labels=tuple(row["labels"] or ()),
        rating=row["rating"],
        rating_requested_at=row["rating_requested_at"],
        rated_at=row["rated_at"],
        snoozed_until=row["snoozed_until"],
        urgent=bool(row["urgent"]),
        sla_breached_at=row["sla_breached_at"],
        waiting_since=row["waiting_since"],
        previous_conversation_id=row["previous_conversation_id"],
    )


def message_to_row(message: Message) -> dict[str, Any]:
    media = message.media
    return {
        "id": message.id,
        "association_id": message.association_id,
        "conversation_id": message.conversation_id,
        "external_id": message.external_id,
        "direction": message.direction.value,
        "author": message.author.value,
        "agent_id": message.agent_id,
        "type": message.type.value,
        "body": message.body,
        "media": None if media is None else {f.name: getattr(media, f.name) for f in fields(media)},
        "reply_to": message.reply_to,
        "quoted_body": message.quoted_body,
        "status": message.status.value,
        "error": message.error,
        "created_at": message.created_at,
        "send_started_at": message.send_started_at,
        "transcript": message.transcript,
    }


_MEDIA_FIELDS = frozenset(f.name for f in fields(Media))


def message_from_row(row: RowMapping) -> Message:
    media = row["media"]
    return Message(
        id=row["id"],
        association_id=row["association_id"],
        conversation_id=row["conversation_id"],
        direction=Direction(row["direction"]),
        author=Author(row["author"]),
        type=MessageType(row["type"]),
        body=row["body"],
        status=MessageStatus(row["status"]),
        created_at=row["created_at"],
        external_id=row["external_id"],
        agent_id=row["agent_id"],
        media=None
        if media is None
        else Media(**{k: v for k, v in media.items() if k in _MEDIA_FIELDS}),
        reply_to=row["reply_to"],
        quoted_body=row["quoted_body"],
        error=row["error"],
        send_started_at=row["send_started_at"],
        transcript=row["transcript"],
    )


# --- jobs ---------------------------------------------------------------------------------


def job_from_row(row: RowMapping) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        key=row["key"],
        payload=row["payload"],
        status=JobStatus(row["status"]),
        run_after=row["run_after"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        version=row["version"],
        created_at=row["created_at"],
        association_id=row["association_id"],
        last_error=row["last_error"],
        locked_by=row["locked_by"],
        locked_until=row["locked_until"],
    )


def _value(member: HandoffReason | None) -> str | None:
    return None if member is None else member.value
