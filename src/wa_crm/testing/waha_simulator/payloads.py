"""Engine-specific JSON shapes: webhook payloads, send responses, `me`, environment.

The wire is looser than WAHA's spec (shared/waha/notes.md sections 4, 5 and 11), and this module
imitates it per engine:

- WEBJS (and WPP, EMPTY): `from`/`to` are sender/receiver (your own id is `from` for your own
  messages); `participant` only in groups; `media` and `mediaUrl` only when there is media;
  `_data` is a whatsapp-web.js Message.
- NOWEB: `from` is always the chat (Baileys `key.remoteJid`); `to` is omitted, and
  `participant` too outside groups (WAHA #1073); `media` is null without media; `_data` is a
  Baileys `{key, message, ...}`.
- GOWS: every key is present, with explicit nulls; `_data` is whatsmeow's `{Info, Message}`.

Where the sources say nothing (ack payload `from`/`to` per engine, for example) the choice is
this simulator's and is kept simple.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .config import SimulatorConfig
from .ids import is_group, message_hex_id, serialized_message_id, to_jid
from .releases import RECORDED
from .state import ACK_NAMES, Session

WEB_ENGINES = ("WEBJS", "WPP", "EMPTY")
_WEBJS_TYPES = {"text": "chat", "image": "image", "file": "document"}


@dataclass(frozen=True)
class MessageFacts:
    """Everything the payload builders need to know about one message."""

    id: str  # serialized: true_<chat>_<hex>[_<participant>]
    hex_id: str
    chat_id: str
    from_me: bool
    me_id: str
    timestamp: int  # seconds
    kind: str = "text"  # text | image | file
    body: str = ""
    participant: str | None = None  # the sender inside a group
    push_name: str | None = None
    media: dict[str, Any] | None = None  # {url, mimetype, filename, error}
    mimetype: str | None = None
    filename: str | None = None
    ack: int = 0
    sender_pn: str | None = None  # phone-number id of a @lid sender, when known
    reply_to: str | None = None  # the serialized id of the quoted message
    quoted_body: str | None = None

    @property
    def reply_to_json(self) -> dict[str, Any] | None:
        """``replyTo`` (spec ``ReplyToMessage``): the quoted message by its bare id, as WEBJS
        and GOWS send it, with its text."""
        if self.reply_to is None:
            return None
        bare = self.reply_to.split("_")[2] if self.reply_to.count("_") >= 2 else self.reply_to
        return {"id": bare, "participant": None, "body": self.quoted_body, "hasMedia": False}

    @property
    def source(self) -> str:
        return "api" if self.from_me else "app"

    @property
    def sender(self) -> str:
        if self.from_me:
            return self.me_id
        return self.participant or self.chat_id

    @property
    def has_media(self) -> bool:
        return self.kind != "text"


# --------------------------------------------------------------------------- environment, me


def environment(config: SimulatorConfig) -> dict[str, Any]:
    """`GET /api/server/version` and the webhooks' `environment`. The recorded release answers
    the first four keys only (shared/waha/recorded/webhooks.jsonl)."""
    engine = config.wire_engine
    answer: dict[str, Any] = {
        "version": config.version,
        "engine": engine,
        "tier": config.tier,
        "browser": "/usr/bin/chromium" if engine in WEB_ENGINES else None,
    }
    if config.release.number > RECORDED:
        answer["platform"] = "linux/x64"
    if config.release.has_worker_id:
        answer["worker"] = {"id": config.worker_id}
    return answer


def me_info(config: SimulatorConfig, me: dict[str, Any] | None) -> dict[str, Any] | None:
    if me is None:
        return None
    if config.wire_engine in WEB_ENGINES:
        return {"id": me["id"], "pushName": me["pushName"]}
    return dict(me)


def session_status_payload(session: Session) -> dict[str, Any]:
    return {"name": session.name, "status": session.status, "statuses": session.last_statuses()}


def presence_payload(chat_id: str, participant: str, state: str) -> dict[str, Any]:
    return {
        "id": chat_id,
        "presences": [{"participant": participant, "lastKnownPresence": state, "lastSeen": None}],
    }


def reaction_payload(
    chat_id: str, me_id: str, message_id: str, emoji: str, *, from_me: bool = True
) -> dict[str, Any]:
    """``message.reaction`` (spec ``WAMessageReaction``); ``reaction.text`` "" is a removal."""
    return {
        "id": serialized_message_id(from_me, chat_id, message_hex_id()),
        "timestamp": int(time.time()),
        "from": me_id if from_me else chat_id,
        "fromMe": from_me,
        "source": "api" if from_me else "app",
        "to": chat_id if from_me else me_id,
        "participant": None,
        "reaction": {"text": emoji, "messageId": message_id},
    }


# --------------------------------------------------------------------------- message payloads


def message_payload(engine: str, m: MessageFacts) -> dict[str, Any]:
    """The `payload` of `message` / `message.any` events."""
    if engine == "NOWEB":
        return _noweb_message(m)
    if engine == "GOWS":
        return _gows_message(m)
    return _webjs_message(m)


def _webjs_message(m: MessageFacts) -> dict[str, Any]:
    sender, receiver = (m.me_id, m.chat_id) if m.from_me else (m.chat_id, m.me_id)
    p: dict[str, Any] = {
        "id": m.id,
        "timestamp": m.timestamp,
        "from": sender,
        "fromMe": m.from_me,
        "source": m.source,
        "to": receiver,
    }
    if is_group(m.chat_id):
        p["participant"] = m.sender
    p["body"] = m.body
    p["hasMedia"] = m.has_media
    if m.media is not None:
        p["media"] = m.media
        p["mediaUrl"] = m.media.get("url")
    p.update(
        {
            "ack": m.ack,
            "ackName": ACK_NAMES[m.ack],
            "vCards": [],
            "replyTo": m.reply_to_json,
            "_data": _webjs_data(m),
        }
    )
    return p


def _noweb_message(m: MessageFacts) -> dict[str, Any]:
    p: dict[str, Any] = {
        "id": m.id,
        "timestamp": m.timestamp,
        "from": m.chat_id,
        "fromMe": m.from_me,
        "source": m.source,
    }
    if is_group(m.chat_id):
        p["participant"] = m.sender
    p.update({"body": m.body, "hasMedia": m.has_media, "media": m.media})
    if m.media is not None:
        p["mediaUrl"] = m.media.get("url")
    p.update(
        {
            "ack": m.ack,
            "ackName": ACK_NAMES[m.ack],
            "replyTo": m.reply_to_json,
            "_data": _baileys_message(m),
        }
    )
    return p


def _gows_message(m: MessageFacts) -> dict[str, Any]:
    return {
        "id": m.id,
        "timestamp": m.timestamp,
        "from": m.chat_id,
        "fromMe": m.from_me,
        "source": m.source,
        "body": m.body,
        "to": m.chat_id if m.from_me else m.me_id,
        "participant": m.sender if is_group(m.chat_id) else None,
        "hasMedia": m.has_media,
        "media": m.media,
        "mediaUrl": None if m.media is None else m.media.get("url"),
        "ack": m.ack,
        "ackName": ACK_NAMES[m.ack],
        "location": None,
        "vCards": None,
        "replyTo": m.reply_to_json,
        "_data": _whatsmeow_message(m),
    }


# --------------------------------------------------------------------------- raw engine objects


def _webjs_id(m: MessageFacts) -> dict[str, Any]:
    ident: dict[str, Any] = {
        "fromMe": m.from_me,
        "remote": m.chat_id,
        "id": m.hex_id,
        "_serialized": m.id,
    }
    if is_group(m.chat_id):
        ident["participant"] = m.sender
    return ident


def _webjs_data(m: MessageFacts) -> dict[str, Any]:
    sender, receiver = (m.me_id, m.chat_id) if m.from_me else (m.chat_id, m.me_id)
    data: dict[str, Any] = {
        "id": _webjs_id(m),
        "viewed": False,
        "body": m.body,
        "type": _WEBJS_TYPES[m.kind],
        "t": m.timestamp,
        "notifyName": m.push_name or "",
        "from": sender,
        "to": receiver,
        "ack": m.ack,
        "isNewMsg": True,
        "star": False,
        "broadcast": False,
        "mentionedJidList": [],
        "isForwarded": False,
        "labels": [],
    }
    if is_group(m.chat_id):
        data["author"] = m.sender
    if m.has_media:
        data["mimetype"] = m.mimetype
        data["caption"] = m.body
        if m.filename:
            data["filename"] = m.filename
    return data


def _proto_message(m: MessageFacts, *, outgoing: bool) -> dict[str, Any]:
    if m.kind == "image":
        image: dict[str, Any] = {"mimetype": m.mimetype}
        if m.body:
            image["caption"] = m.body
        return {"imageMessage": image}
    if m.kind == "file":
        doc: dict[str, Any] = {"mimetype": m.mimetype, "fileName": m.filename or "file"}
        if m.body:
            doc["caption"] = m.body
        return {"documentMessage": doc}
    if outgoing:
        return {"extendedTextMessage": {"text": m.body}}
    return {"conversation": m.body}


def _baileys_key(m: MessageFacts) -> dict[str, Any]:
    key: dict[str, Any] = {"remoteJid": to_jid(m.chat_id), "fromMe": m.from_me, "id": m.hex_id}
    if is_group(m.chat_id):
        key["participant"] = to_jid(m.sender)
    if m.sender_pn:
        key["senderPn"] = to_jid(m.sender_pn)
    return key


def _baileys_message(m: MessageFacts) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": _baileys_key(m),
        "messageTimestamp": m.timestamp,
        "pushName": m.push_name,
        "broadcast": False,
        "message": _proto_message(m, outgoing=m.from_me),
    }
    return data


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _whatsmeow_message(m: MessageFacts) -> dict[str, Any]:
    media_type = {"image": "image", "file": "document"}.get(m.kind, "")
    return {
        "Info": {
            "Chat": to_jid(m.chat_id),
            "Sender": to_jid(m.sender),
            "IsFromMe": m.from_me,
            "IsGroup": is_group(m.chat_id),
            "ID": m.hex_id,
            "Type": "media" if m.has_media else "text",
            "PushName": m.push_name or "",
            "Timestamp": _iso(m.timestamp),
            "MediaType": media_type,
        },
        "Message": _proto_message(m, outgoing=m.from_me),
    }


# --------------------------------------------------------------------------- send responses


def send_response(engine: str, m: MessageFacts) -> dict[str, Any] | None:
    """What `POST /api/send*` answers; None means 201 with an empty body (EMPTY engine)."""
    if engine == "EMPTY":
        return None
    if engine == "NOWEB":
        return {
            "key": {"remoteJid": to_jid(m.chat_id), "fromMe": True, "id": m.hex_id},
            "message": _proto_message(m, outgoing=True),
            "messageTimestamp": str(m.timestamp),
            "status": "PENDING",
        }
    if engine == "GOWS":
        return _gows_message(m)
    ident = _webjs_id(m)
    return {
        "_data": _webjs_data(m),
        "id": ident,
        "ack": m.ack,
        "hasMedia": m.has_media,
        "body": m.body,
        "type": _WEBJS_TYPES[m.kind],
        "timestamp": m.timestamp,
        "from": m.me_id,
        "to": m.chat_id,
        "deviceType": "web",
        "isForwarded": False,
        "forwardingScore": 0,
        "isStatus": False,
        "isStarred": False,
        "fromMe": True,
        "hasQuotedMsg": m.reply_to is not None,
        "hasReaction": False,
        "vCards": [],
        "mentionedIds": [],
        "groupMentions": [],
        "isGif": False,
        "links": [],
    }


# --------------------------------------------------------------------------- acks


def ack_payload(engine: str, m: MessageFacts, ack: int) -> dict[str, Any]:
    """The `payload` of a `message.ack` event for one of our own messages."""
    name = ACK_NAMES.get(ack, "UNKNOWN")
    if engine == "NOWEB":
        p: dict[str, Any] = {"id": m.id, "from": m.chat_id, "fromMe": True}
        if is_group(m.chat_id):
            p["participant"] = m.me_id
        # Baileys' WAMessageStatus is WAHA's ack + 1 (PENDING=1 ... READ=4).
        p.update(
            {
                "ack": ack,
                "ackName": name,
                "_data": {"key": _baileys_key(m), "update": {"status": ack + 1}},
            }
        )
        return p
    if engine == "GOWS":
        return {
            "id": m.id,
            "from": m.me_id,
            "to": m.chat_id,
            "participant": m.me_id if is_group(m.chat_id) else None,
            "fromMe": True,
            "ack": ack,
            "ackName": name,
            "_data": {
                "MessageIDs": [m.hex_id],
                "Chat": to_jid(m.chat_id),
                "Sender": to_jid(m.chat_id),
                "Type": {2: "", 3: "read", 4: "played"}.get(ack, "sender"),
            },
        }
    p = {"id": m.id, "from": m.me_id, "to": m.chat_id}
    if is_group(m.chat_id):
        p["participant"] = m.me_id
    p.update(
        {"fromMe": True, "ack": ack, "ackName": name, "_data": {"id": _webjs_id(m), "ack": ack}}
    )
    return p
