"""WAHA webhooks: signature check and translation of envelopes into the WhatsApp events of the
domain model (``domain/model/whatsapp_events``)."""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from wa_crm.adapters.waha.payloads import (
    WahaAck,
    WahaChatPresences,
    WahaEdited,
    WahaEnvelope,
    WahaMessage,
    WahaReaction,
    WahaRevoked,
    WahaSessionStatus,
)
from wa_crm.domain.model.message import Media, MessageStatus, MessageType
from wa_crm.domain.model.whatsapp_events import (
    ContactPresence,
    DeliveryAck,
    InboundMessage,
    MessageEdited,
    MessageReacted,
    MessageRevoked,
    SessionStatusReport,
    WhatsAppEvent,
)

M = TypeVar("M", bound=BaseModel)

# The events wa_crm asks WAHA for. ``message.any`` carries every message, the contacts' and
# our own (typed on the phone, or echoed after an API send), so ``message`` is not asked for:
# it would deliver each inbound message twice (WAHA #1384). Both are still understood, since an
# operator may configure WAHA's global webhook with ``message``; the message id dedup absorbs
# the duplicates.
SUBSCRIBED_EVENTS = (
    "message.any",
    "message.ack",
    "message.revoked",
    "message.edited",
    "message.reaction",
    "session.status",
    "presence.update",
)

ACK_STATUSES = {
    -1: MessageStatus.FAILED,
    1: MessageStatus.SENT,
    2: MessageStatus.DELIVERED,
    3: MessageStatus.READ,
    4: MessageStatus.PLAYED,
}


class UnsupportedEvent(Exception):
    """An event wa_crm does not act on; it is acknowledged and counted, not stored."""


class InvalidPayload(Exception):
    """The envelope is fine but its payload does not have the event's shape."""


def signature_matches(body: bytes, secret: str, signature: str | None) -> bool:
    """WAHA signs the raw body: lowercase hex HMAC-SHA512 in ``X-Webhook-Hmac``."""
    if not signature:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()
    # As bytes: compare_digest refuses str with non-ASCII characters, which a header may carry.
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


def _parse(model: type[M], payload: dict[str, object]) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise InvalidPayload(str(error.errors(include_url=False, include_input=False))) from error


def message_type(message: WahaMessage) -> MessageType:
    if message.location is not None:
        return MessageType.LOCATION
    if message.v_cards:
        return MessageType.CONTACT
    mimetype = (message.media.mimetype or "") if message.media else ""
    if not (message.has_media or mimetype):
        return MessageType.TEXT
    if mimetype == "image/webp":
        return MessageType.STICKER
    for prefix, kind in (
        ("image/", MessageType.IMAGE),
        ("audio/", MessageType.AUDIO),
        ("video/", MessageType.VIDEO),
    ):
        if mimetype.startswith(prefix):
            return kind
    return MessageType.DOCUMENT if mimetype else MessageType.OTHER


_UNREPRESENTABLE = (OverflowError, OSError, ValueError)  # inf, nan, or outside years 1-9999


def _instant(seconds: float) -> datetime:
    """Raises one of ``_UNREPRESENTABLE`` for a time a datetime cannot hold."""
    if seconds > 10**11:  # some builds send milliseconds
        seconds /= 1000
    return datetime.fromtimestamp(seconds, UTC)


def _timestamp(seconds: float | None, fallback: datetime) -> datetime:
    if not seconds:
        return fallback
    try:
        return _instant(seconds)
    except _UNREPRESENTABLE:
        return fallback


def event_time(envelope: WahaEnvelope) -> datetime | None:
    """When WAHA sent the event, for the replay window; None when the body does not say.

    The envelope's ``timestamp`` is when WAHA emitted the event, and it is the one that counts.
    A session that reconnects after hours or days emits the messages it missed with their own,
    old, payload times but a fresh envelope time, so they pass; a retry resends the same body
    and keeps its first time, which WAHA's retries (15, exponential from 2 s, about a day in
    all) leave well inside the window. Only a body without one falls back to the payload's time,
    a message's sending time: a message WhatsApp held back longer than the window during an
    outage is then refused, logged and counted, so the operator sees it and can widen the window.
    """
    stamp = envelope.timestamp or envelope.payload.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float) or not stamp:
        return None
    if isinstance(stamp, float) and math.isnan(stamp):
        return None
    try:
        return _instant(stamp)
    except _UNREPRESENTABLE:  # further out than a datetime reaches: outside any window
        return datetime.max.replace(tzinfo=UTC) if stamp > 0 else datetime.min.replace(tzinfo=UTC)


def _chat_of(message: WahaMessage) -> str | None:
    """The other side of the chat. For our own messages that is ``to``, except on NOWEB, which
    omits ``to`` and always puts the chat in ``from``."""
    return (message.to or message.from_) if message.from_me else message.from_


def _push_name(message: WahaMessage) -> str:
    """The sender's WhatsApp name, wherever the engine keeps it; ours is not the contact's."""
    data = message.data or {}
    info = data.get("Info")  # GOWS
    name = data.get("notifyName") or data.get("pushName")  # WEBJS, NOWEB
    if not name and isinstance(info, dict):
        name = info.get("PushName")
    return "" if message.from_me or not isinstance(name, str) else name


def _inbound(message: WahaMessage, received_at: datetime) -> InboundMessage:
    chat_id = _chat_of(message)
    if not chat_id:
        raise InvalidPayload("message has no chat id ('from', or 'to' for own messages)")
    media = None
    if message.media is not None and (message.media.mimetype or message.media.url):
        media = Media(
            url=message.media.url,
            mimetype=message.media.mimetype or "application/octet-stream",
            filename=message.media.filename,
        )
    body = message.body or ""
    if message.location is not None and not body:
        body = (
            message.location.description
            or f"{message.location.latitude},{message.location.longitude}"
        )
    quoted = message.reply_to if message.reply_to and message.reply_to.id else None
    return InboundMessage(
        external_id=message.id,
        chat_id=chat_id,
        from_me=message.from_me,
        type=message_type(message),
        body=body,
        timestamp=_timestamp(message.timestamp, received_at),
        sent_through_api=message.source == "api",
        push_name=_push_name(message),
        media=media,
        reply_to=quoted.id if quoted else None,
        quote_candidates=_either_side(quoted.id, chat_id) if quoted and quoted.id else (),
        quoted_body=quoted.body if quoted else None,
    )


def _candidates(bare_id: str, chat_id: str | None) -> tuple[str, ...]:
    """Engines report revoked/edited messages by their bare id; we store serialized ids."""
    if "_" in bare_id or not chat_id:
        return (bare_id,)
    return (f"false_{chat_id}_{bare_id}", f"true_{chat_id}_{bare_id}", bare_id)


def _either_side(message_id: str, chat_id: str | None) -> tuple[str, ...]:
    """A reaction names its message as the reactor sees it: ``false_…`` for a message the
    reactor received is our ``true_…`` one, and some engines send the bare id."""
    fields = message_id.split("_", 2)
    if len(fields) == 3 and fields[0] in ("true", "false"):
        other = "false" if fields[0] == "true" else "true"
        return (message_id, f"{other}_{fields[1]}_{fields[2]}", fields[2])
    return _candidates(message_id, chat_id)


def translate(envelope: WahaEnvelope, received_at: datetime) -> WhatsAppEvent:
    payload = envelope.payload
    match envelope.event:
        case "message" | "message.any":
            return _inbound(_parse(WahaMessage, payload), received_at)
        case "message.ack":
            ack = _parse(WahaAck, payload)
            if ack.ack not in ACK_STATUSES:
                raise UnsupportedEvent(f"ack {ack.ack} (pending) changes nothing")
            return DeliveryAck(ack.id, ACK_STATUSES[ack.ack])
        case "message.revoked":
            revoked = _parse(WahaRevoked, payload)
            target = revoked.revoked_message_id or (revoked.before.id if revoked.before else None)
            if not target:
                raise InvalidPayload("message.revoked names no message")
            chat = revoked.after or revoked.before
            chat_id = _chat_of(chat) if chat else None
            return MessageRevoked(_candidates(target, chat_id))
        case "message.edited":
            edited = _parse(WahaEdited, payload)
            chat_id = _chat_of(edited)
            target = edited.edited_message_id or edited.id
            return MessageEdited(_candidates(target, chat_id), edited.body or "")
        case "message.reaction":
            reacted = _parse(WahaReaction, payload)
            chat_id = (reacted.to or reacted.from_) if reacted.from_me else reacted.from_
            return MessageReacted(
                _either_side(reacted.reaction.message_id, chat_id),
                reacted.reaction.text,
                reacted.from_me,
                _timestamp(reacted.timestamp, received_at),
            )
        case "presence.update":
            presences = _parse(WahaChatPresences, payload)
            typing = any(
                p.last_known_presence in ("typing", "recording") for p in presences.presences
            )
            return ContactPresence(presences.id, typing)
        case "session.status":
            status = _parse(WahaSessionStatus, payload)
            me = envelope.me.id if envelope.me else None
            return SessionStatusReport(
                status.status,
                me if status.status == "WORKING" else None,
                reported_at=_timestamp(envelope.timestamp, received_at),
            )
        case other:
            raise UnsupportedEvent(f"event {other!r} is not used by wa_crm")
