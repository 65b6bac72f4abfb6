"""The simulator's behaviour: session lifecycle, sends, inbound messages, acks, events.

Routes (`api.py`, `control.py`) only parse requests and call this class. Errors are raised as
`WahaError`s carrying WAHA's status code and body.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import mimetypes
import time
from collections import deque
from typing import Any

from . import errors
from .config import SimulatorConfig, WebhookTarget
from .faults import FaultState
from .history import ChatQuery
from .ids import (
    chat_of_message_id,
    digits,
    is_group,
    is_lid,
    message_hex_id,
    qr_value,
    serialized_message_id,
    to_chat_id,
)
from .payloads import (
    MessageFacts,
    ack_payload,
    me_info,
    message_payload,
    presence_payload,
    reaction_payload,
    send_response,
    session_status_payload,
)
from .state import (
    STATUSES,
    Contact,
    InboundRecord,
    SentRecord,
    Session,
    SimulatorState,
    StoredFile,
    now_ms,
)
from .tasks import BackgroundTasks
from .webhooks import WebhookDispatcher, build_envelope

DEFAULT_SESSION = "default"
MESSAGE_KINDS = ("text", "image", "file")
PRESET_ID_ENGINES = ("NOWEB", "GOWS")
"""Engines that hand out a message id before the send (``GET /api/{session}/new-message-id``)
and send a text with it (``sendText``'s ``id``); the others answer 501 (notes.md section 9)."""
DEFAULT_GROUP_PARTICIPANT = "5511988887777@c.us"
EVENT_LOG_SIZE = 5000
_EXTENSIONS = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "audio/ogg": "oga",
    "audio/mpeg": "mpga",
    "video/mp4": "mp4",
    "application/pdf": "pdf",
    "text/plain": "txt",
}


def extension_for(mimetype: str) -> str:
    base = mimetype.split(";", 1)[0].strip().lower()
    if base in _EXTENSIONS:
        return _EXTENSIONS[base]
    guessed = mimetypes.guess_extension(base)
    return guessed.lstrip(".") if guessed else "bin"


class WahaSimulator:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.engine = config.engine
        self.tasks = BackgroundTasks()
        self.webhooks = WebhookDispatcher(config, self.tasks)
        self.faults = FaultState()
        self.closing = asyncio.Event()
        self.events: deque[dict[str, Any]] = deque(maxlen=EVENT_LOG_SIZE)
        self.state = SimulatorState()
        self._facts: dict[str, MessageFacts] = {}
        self._install_initial_state()

    # ------------------------------------------------------------------ lifecycle of the app

    def _install_initial_state(self) -> None:
        self.state = SimulatorState()
        self._facts = {}
        self.events.clear()
        if self.config.default_session:
            session = Session(name=DEFAULT_SESSION, me=self.default_me())
            session.status = "WORKING"
            session.history.append({"status": "WORKING", "timestamp": now_ms()})
            self.state.sessions[session.name] = session

    async def reset(self) -> None:
        await self.tasks.cancel_all()
        self.webhooks.clear()
        self.faults.set("none", None)
        self._install_initial_state()

    async def aclose(self) -> None:
        self.closing.set()
        await self.tasks.cancel_all()
        await self.webhooks.aclose()

    def default_me(self, phone: str | None = None, push_name: str | None = None) -> dict[str, Any]:
        me_id = to_chat_id(phone) if phone else self.config.me_id
        return {
            "id": me_id,
            "pushName": push_name or self.config.me_push_name,
            "lid": self.config.me_lid,
            "jid": f"{digits(me_id)}:12@s.whatsapp.net",
        }

    # ------------------------------------------------------------------ events

    def targets_for(self, session: Session) -> list[WebhookTarget]:
        targets: list[WebhookTarget] = []
        global_target = self.config.global_webhook()
        if global_target is not None:
            targets.append(global_target)
        for raw in session.config.get("webhooks") or ():
            if isinstance(raw, dict):
                target = WebhookTarget.from_waha_config(raw)
                if target is not None:
                    targets.append(target)
        return targets

    def emit(self, session: Session, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        metadata = session.config.get("metadata")
        envelope = build_envelope(
            config=self.config,
            event=event,
            session=session.name,
            payload=payload,
            me=me_info(self.config, session.me),
            metadata=metadata if isinstance(metadata, dict) else None,
        )
        self.events.append(envelope)
        self.webhooks.dispatch(self.targets_for(session), envelope)
        return envelope

    # ------------------------------------------------------------------ sessions

    def get_session(self, name: str) -> Session:
        session = self.state.sessions.get(name)
        if session is None:
            raise errors.session_not_found(name)
        return session

    async def require_status(self, name: str, expected: tuple[str, ...]) -> Session:
        """The session of a session-scoped call (send, typing, seen, QR...): 404 while it does
        not exist or restarts, 422 when it is not in an ``expected`` status in time."""
        session = self.get_session(name)
        if session.gone:
            raise errors.session_not_found(name)
        deadline = time.monotonic() + self.config.status_wait_seconds
        while session.status not in expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            session = self.get_session(name)
        if session.status not in expected:
            raise errors.unexpected_status(name, session.status, list(expected))
        return session

    def _set_status(self, session: Session, status: str) -> None:
        session.status = status
        session.history.append({"status": status, "timestamp": now_ms()})
        session.qr = qr_value() if status == "SCAN_QR_CODE" else None
        self.emit(session, "session.status", session_status_payload(session))

    def create_session(
        self, name: str | None, config: dict[str, Any] | None, start: bool
    ) -> Session:
        if name is None:  # Core's only session is `default`; Plus names a new one
            core = self.config.tier == "CORE"
            name = DEFAULT_SESSION if core else "session_" + message_hex_id()[:12].lower()
        self._check_core_name(name)
        self._check_events(config)
        if name in self.state.sessions:
            raise errors.unprocessable(f"Session '{name}' already exists. Use PUT to update it.")
        session = Session(name=name, config=dict(config or {}))
        self.state.sessions[name] = session
        if start:
            self.start_session(name)
        return session

    def update_session(self, name: str, config: dict[str, Any] | None) -> Session:
        self._check_core_name(name)
        self._check_events(config)
        session = self.get_session(name)
        session.config = dict(config or {})
        if session.running:
            self.restart_session(name)
        return session

    def _check_core_name(self, name: str) -> None:
        if self.config.tier == "CORE" and name != DEFAULT_SESSION:
            raise errors.only_default_session()

    def _check_events(self, config: dict[str, Any] | None) -> None:
        """Every webhook's events must be ones the release knows (else 400, as WAHA's DTO
        validation answers)."""
        known = self.config.release.events
        for hook in (config or {}).get("webhooks") or ():
            events = hook.get("events") if isinstance(hook, dict) else None
            if isinstance(events, list) and any(event not in known for event in events):
                raise errors.unknown_events(known)

    def delete_session(self, name: str) -> None:
        session = self.state.sessions.get(name)
        if session is None:
            return
        if session.running:
            self._set_status(session, "STOPPED")
        session.me = None
        del self.state.sessions[name]

    def start_session(self, name: str) -> Session:
        self._check_core_name(name)
        session = self.get_session(name)
        if session.running:
            raise errors.already_started(name)
        self._set_status(session, "STARTING")
        if self.config.start_delay_seconds > 0:
            self.tasks.spawn(self._finish_start_later(session), name=f"start {name}")
        else:
            self._finish_start(session)
        return session

    async def _finish_start_later(self, session: Session) -> None:
        await asyncio.sleep(self.config.start_delay_seconds)
        self._finish_start(session)

    def _finish_start(self, session: Session) -> None:
        if self.state.sessions.get(session.name) is not session or session.status != "STARTING":
            return
        self._set_status(session, "WORKING" if session.me else "SCAN_QR_CODE")

    def stop_session(self, name: str) -> Session:
        session = self.get_session(name)
        session.gone_until = None  # a stop also ends a restart: nothing starts it afterwards
        if session.status != "STOPPED":
            self._set_status(session, "STOPPED")
        return session

    def restart_session(self, name: str, seconds: float | None = None) -> Session:
        """Stop, then start again; for ``seconds`` (default ``restart_seconds``) the session is
        STARTING but gone. Real WAHA's config PUT answered STARTING and its sends 404 meanwhile
        (shared/waha/recorded/exchanges.jsonl); logout and restart go the same way."""
        session = self.stop_session(name)
        window = self.config.restart_seconds if seconds is None else seconds
        if window <= 0:
            return self.start_session(name)
        session.gone_until = time.monotonic() + window
        self._set_status(session, "STARTING")
        self.tasks.spawn(self._start_after_restart(session, window), name=f"restart {name}")
        return session

    async def _start_after_restart(self, session: Session, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if self.state.sessions.get(session.name) is not session or session.gone_until is None:
            return  # deleted or stopped meanwhile
        session.gone_until = None
        self._finish_start(session)

    def logout_session(self, name: str) -> Session:
        session = self.get_session(name)
        session.me = None
        if session.running:
            self.restart_session(name)
        return session

    def scan(self, name: str, phone: str | None = None, push_name: str | None = None) -> Session:
        session = self.get_session(name)
        if session.status != "SCAN_QR_CODE":
            raise errors.unexpected_status(name, session.status, ["SCAN_QR_CODE"])
        session.me = self.default_me(phone, push_name)
        self._set_status(session, "WORKING")
        return session

    def force_status(self, name: str, status: str) -> Session:
        if status not in STATUSES:
            raise errors.bad_request(
                [f"status must be one of the following values: {', '.join(STATUSES)}"]
            )
        session = self.get_session(name)
        if status == "WORKING" and session.me is None:
            session.me = self.default_me()
        self._set_status(session, status)
        return session

    def session_dto(self, session: Session) -> dict[str, Any]:
        return {
            "name": session.name,
            "status": session.status,
            "config": session.config,
            "engine": {"engine": self.config.wire_engine},
            "me": me_info(self.config, session.me),
        }

    def session_info(self, session: Session) -> dict[str, Any]:
        return {
            "name": session.name,
            "status": session.status,
            "config": session.config,
            "me": me_info(self.config, session.me),
            "assignedWorker": self.config.worker_id,
            "presence": None,
            "timestamps": {"activity": session.activity_ms},
            "engine": {"engine": self.config.wire_engine},
        }

    # ------------------------------------------------------------------ sending

    async def send(self, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """sendText / sendImage / sendFile: record, answer per engine, then events and acks."""
        session = await self.require_status(str(body["session"]), ("WORKING",))
        me_id = session.me["id"] if session.me else self.config.me_id
        chat_id = str(body["chatId"])
        preset = body.get("id") if self.engine in PRESET_ID_ENGINES else None
        hex_id = str(preset or message_hex_id())
        message_id = serialized_message_id(True, chat_id, hex_id, participant=me_id)
        file = body.get("file") if isinstance(body.get("file"), dict) else None
        text = str(body["text"]) if kind == "text" else None
        caption = body.get("caption") if kind != "text" else None
        facts = MessageFacts(
            id=message_id,
            hex_id=hex_id,
            chat_id=chat_id,
            from_me=True,
            me_id=me_id,
            timestamp=int(time.time()),
            kind=kind,
            body=(text if text is not None else caption) or "",
            push_name=session.me["pushName"] if session.me else None,
            mimetype=file.get("mimetype") if file else None,
            filename=file.get("filename") if file else None,
            **self._quote(body.get("reply_to")),
        )
        record = SentRecord(
            session=session.name,
            kind=kind,
            chat_id=chat_id,
            id=message_id,
            hex_id=hex_id,
            text=text,
            caption=caption,
            filename=facts.filename,
            mimetype=facts.mimetype,
            reply_to=facts.reply_to,
            ack=0,
            timestamp=facts.timestamp,
        )
        self.state.sent_for(session.name).append(record)
        self._facts[message_id] = facts
        session.activity_ms = now_ms()
        self.emit(session, "message.any", message_payload(self.engine_on_wire, facts))
        if self.config.ack_levels:
            self.tasks.spawn(self._auto_acks(session.name, message_id), name=f"acks {message_id}")
        return send_response(self.engine, facts)

    def _quote(self, reply_to: Any) -> dict[str, Any]:
        """``reply_to`` and the quoted text, for a message that quotes one the simulator saw."""
        if not isinstance(reply_to, str) or not reply_to:
            return {}
        quoted = self._facts.get(reply_to)
        return {"reply_to": reply_to, "quoted_body": quoted.body if quoted else None}

    @property
    def engine_on_wire(self) -> str:
        return self.config.wire_engine

    async def new_message_id(self, name: str) -> dict[str, Any]:
        """An id for a message not sent yet (``NewMessageIDResponse``): bare, as ``sendText``
        takes it back."""
        await self.require_status(name, ("WORKING",))
        if self.engine not in PRESET_ID_ENGINES:
            raise errors.not_implemented_by_engine(self.engine_on_wire)
        return {"id": message_hex_id()}

    async def chat_messages(
        self, name: str, chat_id: str, query: ChatQuery
    ) -> list[dict[str, Any]]:
        """``GET /api/{session}/chats/{chatId}/messages``: the chat's messages both ways, in
        the event's shape without ``source`` (the spec: "available in events only")."""
        session = await self.require_status(name, ("WORKING",))
        if self.engine == "NOWEB" and not _noweb_store_enabled(session.config):
            raise errors.noweb_store_disabled()
        both_ways = sorted(  # in the order they happened: timestamps are whole seconds
            [
                *((r.at, r.id) for r in self.state.sent_for(name) if r.kind in MESSAGE_KINDS),
                *((r.at, r.id) for r in self.state.inbound_for(name)),
            ]
        )
        found = [
            facts
            for facts in (self._facts.get(record_id or "") for _, record_id in both_ways)
            if facts is not None and facts.chat_id == chat_id and query.selects(facts)
        ]
        found.sort(key=lambda facts: facts.timestamp)
        if query.newest_first:
            found.reverse()
        page = found[query.offset : query.offset + query.limit]
        return [
            {
                key: value
                for key, value in message_payload(self.engine_on_wire, facts).items()
                if key != "source"
            }
            for facts in page
        ]

    async def send_seen(self, body: dict[str, Any]) -> None:
        session = await self.require_status(str(body["session"]), ("WORKING",))
        chat_id = str(body["chatId"])
        ids = body.get("messageIds")
        if not ids and body.get("messageId"):
            ids = [body["messageId"]]
        if not ids and self.engine == "NOWEB" and self.config.release.seen_needs_message_id:
            raise errors.bad_request(["messageId should not be empty"])
        message_ids = [str(i) for i in ids] if isinstance(ids, list) else None
        self.state.sent_for(session.name).append(
            SentRecord(session=session.name, kind="seen", chat_id=chat_id, message_ids=message_ids)
        )
        for record in self.state.inbound_for(session.name):
            if record.chat_id == chat_id and (not message_ids or record.id in message_ids):
                record.read = True

    async def react(self, body: dict[str, Any]) -> None:
        """Our reaction to a message; WAHA echoes it as ``message.reaction`` with ``fromMe``."""
        session = await self.require_status(str(body["session"]), ("WORKING",))
        message_id, emoji = str(body["messageId"]), str(body["reaction"])
        chat_id = chat_of_message_id(message_id)
        self.state.sent_for(session.name).append(
            SentRecord(
                session=session.name,
                kind="reaction",
                chat_id=chat_id,
                text=emoji,
                message_ids=[message_id],
            )
        )
        me_id = session.me["id"] if session.me else self.config.me_id
        self.emit(session, "message.reaction", reaction_payload(chat_id, me_id, message_id, emoji))

    def contact_reacts(self, name: str, chat_id: str, message_id: str, emoji: str) -> None:
        """A contact reacts to a message (``message.reaction`` from them; "" removes)."""
        session = self.state.sessions.get(name)
        if session is None:
            raise errors.session_not_found(name)
        me_id = session.me["id"] if session.me else self.config.me_id
        payload = reaction_payload(chat_id, me_id, message_id, emoji, from_me=False)
        self.emit(session, "message.reaction", payload)

    async def typing(self, body: dict[str, Any], typing: bool) -> None:
        session = await self.require_status(str(body["session"]), ("WORKING",))
        self.state.sent_for(session.name).append(
            SentRecord(
                session=session.name, kind="typing", chat_id=str(body["chatId"]), typing=typing
            )
        )

    async def _auto_acks(self, session_name: str, message_id: str) -> None:
        for level in self.config.ack_levels:
            await asyncio.sleep(self.config.ack_delay_seconds)
            record = self.state.find_sent(session_name, message_id)
            if record is None or session_name not in self.state.sessions:
                return
            if record.ack is not None and record.ack >= level:
                continue
            self.ack(session_name, message_id, level)

    def ack(self, session_name: str, message_id: str, level: int) -> dict[str, Any]:
        session = self.get_session(session_name)
        record = self.state.find_sent(session_name, message_id)
        if record is None or record.id is None or record.id not in self._facts:
            raise errors.not_found(f"Message not found: {message_id}")
        record.ack = level
        facts = dataclasses.replace(self._facts[record.id], ack=level)
        self._facts[record.id] = facts
        event = "message.ack.group" if is_group(facts.chat_id) and level >= 3 else "message.ack"
        return self.emit(session, event, ack_payload(self.engine_on_wire, facts, level))

    # ------------------------------------------------------------------ receiving

    async def inbound(self, name: str, body: dict[str, Any], base_url: str) -> str:
        """A contact sends a message: store media, emit `message` and `message.any`."""
        session = await self.require_status(name, ("WORKING",))
        raw_from = body.get("from")
        if not isinstance(raw_from, str) or not raw_from.strip():
            raise errors.bad_request(["from should not be empty"])
        chat_id = to_chat_id(raw_from.strip())
        text = body.get("text")
        text = "" if text is None else str(text)
        media_in = body.get("media")
        if not text and not media_in:
            raise errors.bad_request(["text or media should not be empty"])
        participant: str | None = None
        if is_group(chat_id):
            participant = to_chat_id(str(body.get("participant") or DEFAULT_GROUP_PARTICIPANT))
        sender = participant or chat_id
        pn = body.get("pn")
        sender_pn = to_chat_id(str(pn)) if pn else None
        if is_lid(sender) and sender_pn:
            self.state.lids[sender] = sender_pn
        elif is_lid(sender):
            sender_pn = self.state.lids.get(sender)

        me_id = session.me["id"] if session.me else self.config.me_id
        hex_id = message_hex_id()
        message_id = serialized_message_id(False, chat_id, hex_id, participant=participant)

        kind = "text"
        media: dict[str, Any] | None = None
        mimetype = filename = None
        if media_in:
            if not isinstance(media_in, dict) or not media_in.get("mimetype"):
                raise errors.bad_request(["media.mimetype should not be empty"])
            try:
                data = base64.b64decode(str(media_in.get("data") or ""), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise errors.bad_request(["media.data must be base64"]) from exc
            mimetype = str(media_in["mimetype"])
            filename = media_in.get("filename")
            kind = "image" if mimetype.startswith("image/") else "file"
            stored_name = f"{message_id}.{extension_for(mimetype)}"
            lifetime = self.config.files_lifetime_seconds
            self.state.purge_expired_files()
            self.state.files[(session.name, stored_name)] = StoredFile(
                data=data,
                mimetype=mimetype,
                expires_at=time.monotonic() + lifetime if lifetime > 0 else None,
            )
            root = (self.config.base_url or base_url).rstrip("/")
            media = {
                "url": f"{root}/api/files/{session.name}/{stored_name}",
                "mimetype": mimetype,
                "filename": filename,
                "error": None,
            }

        push_name = body.get("push_name")
        facts = MessageFacts(
            id=message_id,
            hex_id=hex_id,
            chat_id=chat_id,
            from_me=False,
            me_id=me_id,
            timestamp=int(time.time()),
            kind=kind,
            body=text,
            participant=participant,
            push_name=str(push_name) if push_name else None,
            media=media,
            mimetype=mimetype,
            filename=filename,
            ack=1,
            sender_pn=sender_pn,
            **self._quote(body.get("reply_to")),
        )
        self._facts[message_id] = facts  # so that a reply can quote it
        self.state.inbound_for(session.name).append(
            InboundRecord(
                session=session.name,
                id=message_id,
                chat_id=chat_id,
                sender=sender,
                text=text,
                push_name=facts.push_name,
                media_url=media["url"] if media else None,
                mimetype=mimetype,
                filename=filename,
            )
        )
        session.activity_ms = now_ms()
        ignore = session.config.get("ignore") or {}
        if not (is_group(chat_id) and isinstance(ignore, dict) and ignore.get("groups")):
            payload = message_payload(self.engine_on_wire, facts)
            self.emit(session, "message", payload)
            self.emit(session, "message.any", payload)
        return message_id

    def presence(self, name: str, chat_id: str, state: str, participant: str | None) -> None:
        session = self.get_session(name)
        chat = to_chat_id(chat_id)
        who = to_chat_id(participant) if participant else chat
        self.emit(session, "presence.update", presence_payload(chat, who, state))

    # ------------------------------------------------------------------ contacts, lids, files

    def register_contact(
        self, phone: str, exists: bool, chat_id: str | None, lid: str | None
    ) -> Contact:
        contact = Contact(phone=digits(phone), exists=exists, chat_id=chat_id, lid=lid)
        self.state.contacts[contact.phone] = contact
        if lid:
            self.state.lids[lid] = chat_id or f"{contact.phone}@c.us"
        return contact

    async def check_exists(self, session_name: str, phone: str) -> dict[str, Any]:
        await self.require_status(session_name, ("WORKING",))
        number = digits(phone)
        contact = self.state.contacts.get(number)
        if contact is not None and not contact.exists:
            return {"numberExists": False}
        chat_id = (contact.chat_id if contact else None) or f"{number}@c.us"
        return {"numberExists": True, "chatId": chat_id, "pn": chat_id}

    async def lid_to_pn(self, session_name: str, lid: str) -> dict[str, Any]:
        await self.require_status(session_name, ("WORKING",))
        lid_id = lid if "@" in lid else f"{digits(lid)}@lid"
        return {"lid": lid_id, "pn": self.state.lids.get(lid_id)}

    async def pn_to_lid(self, session_name: str, phone: str) -> dict[str, Any]:
        await self.require_status(session_name, ("WORKING",))
        pn = f"{digits(phone)}@c.us"
        lid = next((k for k, v in self.state.lids.items() if v == pn), None)
        return {"lid": lid, "pn": pn}

    def get_file(self, session_name: str, filename: str) -> StoredFile:
        stored = self.state.get_file(session_name, filename)
        if stored is None:
            raise errors.not_found(f"File not found: {filename}")
        return stored


def _noweb_store_enabled(config: dict[str, Any]) -> bool:
    noweb = config.get("noweb")
    store = noweb.get("store") if isinstance(noweb, dict) else None
    return isinstance(store, dict) and store.get("enabled") is True
