"""Realistic WAHA webhook bodies, per engine, and their HMAC signature.

Shapes follow shared/waha/notes.md (sections 4-7) and WAHA's spec (2026.9.2):

- envelope: ``{id: "evt_<ulid>", timestamp (ms), event, session, metadata, me, payload, engine,
  environment}``; WEBJS's ``me`` has no ``lid``/``jid``.
- WEBJS: ``from``/``to`` are sender/receiver (our id is ``from`` for our own messages),
  ``participant`` only in groups, ``media``/``mediaUrl`` only with media, ``_data`` is a
  whatsapp-web.js message (``notifyName``, ``id._serialized``).
- NOWEB: ``from`` is always the chat, ``to`` is omitted (and ``participant`` outside groups),
  ``media`` is null without media, ``_data`` is a Baileys ``{key, message, pushName}``.
- GOWS: every key is present, with explicit nulls; ``_data`` is whatsmeow's ``{Info, Message}``.

Message ids are serialized like WAHA's: ``{fromMe}_{chat}_{hex}`` (``_{participant}`` in groups).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from wa_crm.testing.clock import T0

ENGINES = ("WEBJS", "NOWEB", "GOWS")
SESSION = "default"
SECRET = "s3cret"
WAHA_URL = "http://waha.test:3000"
ME = "5511955550000@c.us"  # the association's own number
ME_LID = "99887766554433@lid"
ME_NAME = "Associação Amigos"
CONTACT = "5511988887777@c.us"
CONTACT_NAME = "Maria Silva"
GROUP = "120363041234567890@g.us"
STATUS_BROADCAST = "status@broadcast"
NEWSLETTER = "120363199999999999@newsletter"

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_sequence = itertools.count(1)
ACK_NAMES = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}


def new_event_id() -> str:
    """``evt_`` and a lowercase ULID; unique within the test run."""
    stamp = int(T0.timestamp() * 1000) + next(_sequence)
    head = "".join(_CROCKFORD[(stamp >> shift) & 31] for shift in range(45, -1, -5))
    tail = "".join(secrets.choice(_CROCKFORD) for _ in range(16))
    return f"evt_{head}{tail}"


def new_hex_id() -> str:
    """The bare WhatsApp id WEBJS/NOWEB/GOWS share: 20 uppercase hex digits."""
    return secrets.token_hex(10).upper()


def serialized_id(
    chat_id: str, hex_id: str, *, from_me: bool, participant: str | None = None
) -> str:
    base = f"{'true' if from_me else 'false'}_{chat_id}_{hex_id}"
    return f"{base}_{participant}" if participant else base


def _jid(chat_id: str) -> str:
    return chat_id.replace("@c.us", "@s.whatsapp.net")


def _is_group(chat_id: str) -> bool:
    return chat_id.endswith("@g.us")


# --------------------------------------------------------------------------- media


@dataclass(frozen=True)
class MediaFile:
    mimetype: str
    extension: str
    filename: str | None = None
    kind: str = "image"  # WEBJS _data.type: image, document, ptt, video, sticker
    downloaded: bool = True  # False: hasMedia with media null, as with downloads disabled


def image(mimetype: str = "image/jpeg") -> MediaFile:
    return MediaFile(mimetype, "jpeg", None, "image")


def document(filename: str = "receita.pdf", mimetype: str = "application/pdf") -> MediaFile:
    return MediaFile(mimetype, filename.rsplit(".", 1)[-1], filename, "document")


def voice() -> MediaFile:
    return MediaFile("audio/ogg; codecs=opus", "oga", None, "ptt")


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class WaMessage:
    """One WhatsApp message as facts; ``payload(engine)`` renders it as that engine would."""

    chat_id: str = CONTACT
    body: str = "Olá, gostaria de saber sobre a consulta"
    from_me: bool = False
    source: str | None = None  # "api": sent through WAHA; "app" (default): typed on a phone
    hex_id: str = field(default_factory=new_hex_id)
    push_name: str | None = CONTACT_NAME
    participant: str | None = None  # the sender inside a group
    media: MediaFile | None = None
    timestamp: int = int(T0.timestamp())
    reply_to: str | None = None
    sender_pn: str | None = None  # phone id of a @lid sender (NOWEB ``key.senderPn``)

    @property
    def id(self) -> str:
        participant = self.participant if _is_group(self.chat_id) else None
        return serialized_id(
            self.chat_id, self.hex_id, from_me=self.from_me, participant=participant
        )

    @property
    def sender(self) -> str:
        if self.from_me:
            return ME
        return self.participant if _is_group(self.chat_id) and self.participant else self.chat_id

    def with_(self, **changes: Any) -> WaMessage:
        return replace(self, **changes)

    def media_json(self) -> dict[str, Any] | None:
        if self.media is None or not self.media.downloaded:
            return None
        return {
            "url": f"{WAHA_URL}/api/files/{SESSION}/{self.id}.{self.media.extension}",
            "mimetype": self.media.mimetype,
            "filename": self.media.filename,
            "error": None,
        }

    def payload(self, engine: str) -> dict[str, Any]:
        if engine == "NOWEB":
            return self._noweb()
        if engine == "GOWS":
            return self._gows()
        return self._webjs()

    def _source(self) -> str:
        return self.source or "app"

    def _webjs(self) -> dict[str, Any]:
        sender, receiver = (ME, self.chat_id) if self.from_me else (self.chat_id, ME)
        p: dict[str, Any] = {
            "id": self.id,
            "timestamp": self.timestamp,
            "from": sender,
            "fromMe": self.from_me,
            "source": self._source(),
            "to": receiver,
        }
        if _is_group(self.chat_id):
            p["participant"] = self.sender
        p["body"] = self.body
        p["hasMedia"] = self.media is not None
        if self.media is not None:
            p["media"] = self.media_json()
            p["mediaUrl"] = (self.media_json() or {}).get("url")
        p.update({"ack": 1, "ackName": "SERVER", "vCards": [], "replyTo": self._reply_to()})
        data: dict[str, Any] = {
            "id": {
                "fromMe": self.from_me,
                "remote": self.chat_id,
                "id": self.hex_id,
                "_serialized": self.id,
            },
            "body": self.body,
            "type": self.media.kind if self.media else "chat",
            "t": self.timestamp,
            "notifyName": self.push_name or "",
            "from": sender,
            "to": receiver,
            "ack": 1,
            "isNewMsg": True,
        }
        if self.media is not None:
            data["mimetype"] = self.media.mimetype
            if self.media.filename:
                data["filename"] = self.media.filename
        p["_data"] = data
        return p

    def _noweb(self) -> dict[str, Any]:
        p: dict[str, Any] = {
            "id": self.id,
            "timestamp": self.timestamp,
            "from": self.chat_id,
            "fromMe": self.from_me,
            "source": self._source(),
        }
        if _is_group(self.chat_id):
            p["participant"] = self.sender
        p.update({"body": self.body, "hasMedia": self.media is not None, "media": None})
        if self.media is not None:
            p["media"] = self.media_json()
            p["mediaUrl"] = (self.media_json() or {}).get("url")
        key: dict[str, Any] = {"remoteJid": _jid(self.chat_id), "fromMe": self.from_me}
        key["id"] = self.hex_id
        if _is_group(self.chat_id):
            key["participant"] = _jid(self.sender)
        if self.sender_pn:
            key["senderPn"] = _jid(self.sender_pn)
        p.update(
            {
                "ack": 2,
                "ackName": "DEVICE",
                "replyTo": self._reply_to(),
                "_data": {
                    "key": key,
                    "messageTimestamp": self.timestamp,
                    "pushName": self.push_name,
                    "broadcast": False,
                    "message": self._proto(),
                },
            }
        )
        return p

    def _gows(self) -> dict[str, Any]:
        media = self.media_json()
        return {
            "id": self.id,
            "timestamp": self.timestamp,
            "from": self.chat_id,
            "fromMe": self.from_me,
            "source": self._source(),
            "body": self.body,
            "to": self.chat_id if self.from_me else ME,
            "participant": self.sender if _is_group(self.chat_id) else None,
            "hasMedia": self.media is not None,
            "media": media,
            "mediaUrl": None if media is None else media["url"],
            "ack": None,
            "ackName": None,
            "location": None,
            "vCards": None,
            "replyTo": self._reply_to(),
            "_data": {
                "Info": {
                    "Chat": _jid(self.chat_id),
                    "Sender": _jid(self.sender),
                    "IsFromMe": self.from_me,
                    "IsGroup": _is_group(self.chat_id),
                    "ID": self.hex_id,
                    "Type": "media" if self.media else "text",
                    "PushName": self.push_name or "",
                    "Timestamp": datetime.fromtimestamp(self.timestamp, UTC).isoformat(),
                    "MediaType": self.media.kind if self.media else "",
                },
                "Message": self._proto(),
            },
        }

    def _reply_to(self) -> dict[str, Any] | None:
        if self.reply_to is None:
            return None
        return {"id": self.reply_to, "participant": None, "body": None, "_data": {}}

    def _proto(self) -> dict[str, Any]:
        m = self.media
        if m is None:
            return {"conversation": self.body}
        if m.kind == "ptt":
            return {"audioMessage": {"mimetype": m.mimetype, "ptt": True, "seconds": 4}}
        if m.kind == "document":
            return {"documentMessage": {"mimetype": m.mimetype, "fileName": m.filename}}
        return {"imageMessage": {"mimetype": m.mimetype, "caption": self.body}}


# --------------------------------------------------------------------------- envelopes


def me_info(engine: str) -> dict[str, Any]:
    if engine == "WEBJS":
        return {"id": ME, "pushName": ME_NAME}
    return {"id": ME, "pushName": ME_NAME, "lid": ME_LID, "jid": "5511955550000:12@s.whatsapp.net"}


def envelope(
    event: str,
    payload: dict[str, Any],
    *,
    engine: str = "WEBJS",
    session: str = SESSION,
    event_id: str | None = None,
    me: dict[str, Any] | bool | None = True,
    emitted_at: datetime | None = None,
) -> dict[str, Any]:
    """A whole webhook body; ``me=True`` is the engine's usual ``me``, None sends null.

    WAHA stamps the envelope with the time it emits the event (ms): by default just after
    ``T0``, the fake clock's start; tests against the real clock pass ``emitted_at``."""
    stamp = int((emitted_at or T0).timestamp() * 1000) + next(_sequence)
    return {
        "id": event_id or new_event_id(),
        "timestamp": stamp,
        "event": event,
        "session": session,
        "metadata": {},
        "me": me_info(engine) if me is True else (me or None),
        "payload": payload,
        "engine": engine,
        "environment": {
            "version": "2026.9.2",
            "engine": engine,
            "tier": "CORE",
            "browser": "/usr/bin/chromium" if engine == "WEBJS" else None,
            "platform": "linux/x64",
            "worker": {"id": "worker-1"},
        },
    }


def message_event(
    message: WaMessage, *, engine: str = "WEBJS", event: str = "message", **kwargs: Any
) -> dict[str, Any]:
    """``message`` (inbound only) or ``message.any`` (inbound and our own)."""
    return envelope(event, message.payload(engine), engine=engine, **kwargs)


def ack_event(
    message_id: str, ack: int, *, chat_id: str = CONTACT, engine: str = "WEBJS", **kwargs: Any
) -> dict[str, Any]:
    """``message.ack`` for one of our messages (``ack``: -1 error ... 4 played)."""
    name = ACK_NAMES.get(ack, "UNKNOWN")
    hex_id = message_id.rsplit("_", 1)[-1]
    if engine == "NOWEB":
        payload: dict[str, Any] = {
            "id": message_id,
            "from": chat_id,
            "fromMe": True,
            "ack": ack,
            "ackName": name,
            "_data": {
                "key": {"remoteJid": _jid(chat_id), "fromMe": True, "id": hex_id},
                "update": {"status": ack + 1},
            },
        }
    elif engine == "GOWS":
        payload = {
            "id": message_id,
            "from": ME,
            "to": chat_id,
            "participant": None,
            "fromMe": True,
            "ack": ack,
            "ackName": name,
            "_data": {"MessageIDs": [hex_id], "Chat": _jid(chat_id), "Type": "read"},
        }
    else:
        payload = {
            "id": message_id,
            "from": ME,
            "to": chat_id,
            "fromMe": True,
            "ack": ack,
            "ackName": name,
            "_data": {"id": {"_serialized": message_id, "id": hex_id}, "ack": ack},
        }
    return envelope("message.ack", payload, engine=engine, **kwargs)


def revoked_event(original: WaMessage, *, engine: str = "WEBJS", **kwargs: Any) -> dict[str, Any]:
    """``message.revoked``: ``after`` is the revoke action, ``revokedMessageId`` a bare id."""
    after = original.with_(hex_id=new_hex_id(), body="", media=None)
    payload = {
        "after": after.payload(engine),
        "before": original.payload(engine) if engine == "WEBJS" else None,
        "revokedMessageId": original.hex_id,
        "_data": {},
    }
    return envelope("message.revoked", payload, engine=engine, **kwargs)


def edited_event(
    original: WaMessage, new_body: str, *, engine: str = "WEBJS", **kwargs: Any
) -> dict[str, Any]:
    """``message.edited``: a message payload of its own plus ``editedMessageId`` (bare id)."""
    edit = original.with_(hex_id=new_hex_id(), body=new_body).payload(engine)
    edit["editedMessageId"] = original.hex_id
    return envelope("message.edited", edit, engine=engine, **kwargs)


def reaction_event(
    target_id: str,
    emoji: str = "👍",
    *,
    chat_id: str = CONTACT,
    engine: str = "WEBJS",
    from_me: bool = False,
    seconds_after_t0: int = 0,
) -> dict[str, Any]:
    """The contact's reaction, or (``from_me``) the association's number's; "" removes."""
    payload = {
        "id": serialized_id(chat_id, new_hex_id(), from_me=from_me),
        "from": ME if from_me else chat_id,
        "fromMe": from_me,
        "source": "app",
        "to": chat_id if from_me else ME,
        "participant": None,
        "timestamp": int(T0.timestamp()) + seconds_after_t0,
        "reaction": {"text": emoji, "messageId": target_id},
    }
    return envelope("message.reaction", payload, engine=engine)


def presence_event(
    chat_id: str = CONTACT, state: str = "typing", *, engine: str = "WEBJS"
) -> dict[str, Any]:
    payload = {
        "id": chat_id,
        "presences": [{"participant": chat_id, "lastKnownPresence": state, "lastSeen": None}],
    }
    return envelope("presence.update", payload, engine=engine)


def session_status_event(
    status: str = "WORKING", *, engine: str = "GOWS", **kwargs: Any
) -> dict[str, Any]:
    stamp = int(T0.timestamp() * 1000)
    payload = {
        "name": kwargs.get("session", SESSION),
        "status": status,
        "statuses": [
            {"status": "STARTING", "timestamp": stamp - 2000},
            {"status": "SCAN_QR_CODE", "timestamp": stamp - 1000},
            {"status": status, "timestamp": stamp},
        ],
        "data": None,
    }
    return envelope("session.status", payload, engine=engine, **kwargs)


# --------------------------------------------------------------------------- wire


def encode(body: dict[str, Any]) -> bytes:
    """The bytes WAHA sends: ``JSON.stringify`` (compact, UTF-8)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def sign(raw: bytes, secret: str = SECRET) -> str:
    """``X-Webhook-Hmac``: lowercase hex HMAC-SHA512 of the raw body."""
    return hmac.new(secret.encode(), raw, hashlib.sha512).hexdigest()


def headers_for(raw: bytes, secret: str | None = SECRET) -> dict[str, str]:
    """WAHA's webhook headers; ``secret=None`` sends no signature."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "WAHA/2026.9.2",
        "X-Webhook-Request-Id": secrets.token_hex(13),
        "X-Webhook-Timestamp": str(int(T0.timestamp() * 1000)),
    }
    if secret is not None:
        headers["X-Webhook-Hmac"] = sign(raw, secret)
        headers["X-Webhook-Hmac-Algorithm"] = "sha512"
    return headers
