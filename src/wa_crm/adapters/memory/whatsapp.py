"""``InMemoryWhatsAppGateway``: the WhatsAppGateway port without WAHA, for use-case tests.

It keeps the state a WAHA server would (sessions with their status, linked phone, webhooks and
QR; lids; media files) and records every send in order, so tests assert on what was sent:

    gateway = InMemoryWhatsAppGateway()  # session "default", WORKING, like the simulator
    await deliver(...)
    assert gateway.texts("5511999998888@c.us") == ["Olá!"]

Failures are programmed: ``fail_next(GatewayError(GatewayErrorCode.TIMEOUT, "..."))`` makes the
next call (or the next call of one operation, to one chat) raise it; ``fail_always`` keeps
raising until ``clear_failures()``. Besides those, the fake raises what WAHA's answers become in
the real adapter: SESSION_NOT_FOUND for an unknown session, SESSION_NOT_READY when the session
is not WORKING (not SCAN_QR_CODE for the QR), REJECTED for an unknown media URL.

Sessions are keyed by name only (the base URL and API key of a ``Connection`` are ignored).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from wa_crm.ports.whatsapp import (
    Connection,
    GatewayError,
    GatewayErrorCode,
    OutgoingFile,
    OwnMessage,
    QrCode,
    SentMessage,
    ServerInfo,
    SessionInfo,
    SessionStatus,
    WebhookSubscription,
)

SendKind = Literal["text", "image", "file", "seen", "typing", "reaction"]
Operation = Literal[
    "send_text",
    "new_message_id",
    "own_messages",
    "send_image",
    "send_document",
    "send_seen",
    "start_typing",
    "stop_typing",
    "react",
    "session_status",
    "start_session",
    "qr_code",
    "logout_session",
    "server_version",
    "resolve_lid",
    "download_media",
]

DEFAULT_SESSION = "default"
DEFAULT_PHONE = "5511900000000@c.us"  # the same "me" as the WAHA simulator's default session
DEFAULT_PUSH_NAME = "Associação Demo"
FAKE_VERSION = "2025.1.0"


@dataclass(frozen=True)
class RecordedSend:
    """One thing the gateway was asked to send, as WAHA's simulator lists it."""

    session: str
    kind: SendKind
    chat_id: str
    id: str | None = None  # the id returned to the caller (messages only)
    text: str | None = None
    caption: str | None = None
    filename: str | None = None
    mimetype: str | None = None
    data: bytes | None = None
    reply_to: str | None = None
    typing: bool | None = None  # start (True) or stop (False) for kind "typing"
    message_id: str | None = None  # the message a "reaction" (``text``, "" removes) is on


@dataclass
class FakeSession:
    """A session's state; tests may read it, or change it through the gateway's helpers."""

    name: str
    status: SessionStatus = SessionStatus.STOPPED
    phone: str | None = None  # set while linked; kept across stop, like WAHA's `me`
    push_name: str | None = None
    webhooks: list[WebhookSubscription] = field(default_factory=list)
    qr: str | None = None

    @property
    def info(self) -> SessionInfo:
        return SessionInfo(
            self.name,
            self.status,
            phone=self.phone,
            push_name=self.push_name,
            webhooks=tuple(self.webhooks),
        )


@dataclass
class _Failure:
    error: GatewayError
    operation: Operation | None
    chat_id: str | None
    remaining: int | None  # None: until cleared

    def matches(self, operation: Operation, chat_id: str | None) -> bool:
        return (self.operation is None or self.operation == operation) and (
            self.chat_id is None or self.chat_id == chat_id
        )


class InMemoryWhatsAppGateway:
    """A first-class fake of the WhatsAppGateway port (see the module docstring)."""

    def __init__(
        self,
        *,
        default_session: bool = True,
        phone: str = DEFAULT_PHONE,
        push_name: str = DEFAULT_PUSH_NAME,
        returns_ids: bool = True,
        fixes_ids: bool = True,
    ) -> None:
        """``returns_ids=False`` answers sends without an id, like WAHA builds whose send
        answer is an empty body; ``fixes_ids=False`` hands out no id before a send, like WAHA's
        engines but NOWEB and GOWS."""
        self.sessions: dict[str, FakeSession] = {}
        self.sent: list[RecordedSend] = []
        self.lids: dict[str, str] = {}
        self.media: dict[str, bytes] = {}
        self.returns_ids = returns_ids
        self.fixes_ids = fixes_ids
        self._lost_answers = 0
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._default_phone = phone
        self._default_push_name = push_name
        if default_session:
            self.add_session(
                DEFAULT_SESSION, SessionStatus.WORKING, phone=phone, push_name=push_name
            )

    # ------------------------------------------------------------------ test-side helpers

    def add_session(
        self,
        name: str,
        status: SessionStatus = SessionStatus.STOPPED,
        *,
        phone: str | None = None,
        push_name: str | None = None,
        webhooks: Iterable[WebhookSubscription] = (),
    ) -> FakeSession:
        session = FakeSession(name, phone=phone, push_name=push_name, webhooks=list(webhooks))
        self.sessions[name] = session
        self._set_status(session, status)
        return session

    def session(self, name: str) -> FakeSession:
        session = self.sessions.get(name)
        if session is None:
            raise KeyError(f"no fake session named {name!r}")
        return session

    def link(self, name: str, phone: str | None = None, push_name: str | None = None) -> None:
        """A phone scans the QR: a SCAN_QR_CODE session becomes WORKING."""
        session = self.session(name)
        if session.status is not SessionStatus.SCAN_QR_CODE:
            raise RuntimeError(f"session {name!r} is {session.status}, not SCAN_QR_CODE")
        session.phone = phone or self._default_phone
        session.push_name = push_name or self._default_push_name
        self._set_status(session, SessionStatus.WORKING)

    def set_status(self, name: str, status: SessionStatus) -> None:
        """Force a status (e.g. FAILED); WORKING links the session if it was not."""
        session = self.session(name)
        if status is SessionStatus.WORKING and session.phone is None:
            session.phone, session.push_name = self._default_phone, self._default_push_name
        self._set_status(session, status)

    def add_lid(self, lid: str, phone_chat_id: str) -> None:
        self.lids[lid] = phone_chat_id

    def add_media(self, url: str, data: bytes) -> None:
        self.media[url] = data

    def fail_next(
        self,
        error: GatewayError,
        *,
        on: Operation | None = None,
        chat_id: str | None = None,
        times: int = 1,
    ) -> None:
        """Raise ``error`` from the next ``times`` calls (of operation ``on``, to ``chat_id``).

        Rules apply in the order they were added; a failed call changes no state."""
        self._failures.append(_Failure(error, on, chat_id, times))

    def fail_always(
        self, error: GatewayError, *, on: Operation | None = None, chat_id: str | None = None
    ) -> None:
        """Raise ``error`` from every matching call until ``clear_failures()``."""
        self._failures.append(_Failure(error, on, chat_id, None))

    def lose_next_answers(self, times: int = 1) -> None:
        """The next ``times`` message sends are sent, then raise TIMEOUT: the answer was lost."""
        self._lost_answers += times

    def clear_failures(self) -> None:
        self._failures.clear()

    def sent_in(self, session: str) -> list[RecordedSend]:
        return [record for record in self.sent if record.session == session]

    def messages(self, chat_id: str | None = None) -> list[RecordedSend]:
        """Texts, images and files sent (to ``chat_id``), in order; no seen or typing."""
        return [
            record
            for record in self.sent
            if record.kind in ("text", "image", "file")
            and (chat_id is None or record.chat_id == chat_id)
        ]

    def texts(self, chat_id: str | None = None) -> list[str]:
        return [record.text or "" for record in self.messages(chat_id) if record.kind == "text"]

    # ------------------------------------------------------------------ the port

    async def send_text(
        self,
        connection: Connection,
        chat_id: str,
        text: str,
        reply_to: str | None = None,
        message_id: str | None = None,
    ) -> SentMessage:
        session = self._working(connection, "send_text", chat_id)
        return self._record_message(
            session, "text", chat_id, text=text, reply_to=reply_to, message_id=message_id
        )

    async def new_message_id(self, connection: Connection, chat_id: str) -> str | None:
        self._working(connection, "new_message_id", chat_id)
        return self._new_id(chat_id) if self.fixes_ids else None

    async def own_messages(
        self, connection: Connection, chat_id: str, since: datetime
    ) -> Sequence[OwnMessage] | None:
        """Every message sent to the chat, newest first: the fake keeps no time."""
        session = self._working(connection, "own_messages", chat_id)
        return [
            OwnMessage(record.id or "", record.text or record.caption or "", record.kind != "text")
            for record in reversed(self.messages(chat_id))
            if record.session == session.name
        ]

    async def send_image(
        self, connection: Connection, chat_id: str, file: OutgoingFile, caption: str = ""
    ) -> SentMessage:
        session = self._working(connection, "send_image", chat_id)
        return self._record_message(session, "image", chat_id, caption=caption, file=file)

    async def send_document(
        self, connection: Connection, chat_id: str, file: OutgoingFile, caption: str = ""
    ) -> SentMessage:
        session = self._working(connection, "send_document", chat_id)
        return self._record_message(session, "file", chat_id, caption=caption, file=file)

    async def send_seen(
        self, connection: Connection, chat_id: str, message_ids: Sequence[str] = ()
    ) -> None:
        session = self._working(connection, "send_seen", chat_id)
        self.sent.append(RecordedSend(session.name, "seen", chat_id))

    async def react(self, connection: Connection, message_id: str, emoji: str) -> None:
        # WAHA's serialized ids name the chat: ``{fromMe}_{chatId}_{id}``
        parts = message_id.split("_")
        chat_id = parts[1] if len(parts) >= 3 else ""
        session = self._working(connection, "react", chat_id)
        self.sent.append(
            RecordedSend(session.name, "reaction", chat_id, text=emoji, message_id=message_id)
        )

    async def start_typing(self, connection: Connection, chat_id: str) -> None:
        session = self._working(connection, "start_typing", chat_id)
        self.sent.append(RecordedSend(session.name, "typing", chat_id, typing=True))

    async def stop_typing(self, connection: Connection, chat_id: str) -> None:
        session = self._working(connection, "stop_typing", chat_id)
        self.sent.append(RecordedSend(session.name, "typing", chat_id, typing=False))

    async def session_status(self, connection: Connection) -> SessionInfo:
        return self._existing(connection, "session_status").info

    async def start_session(
        self, connection: Connection, webhook: WebhookSubscription
    ) -> SessionInfo:
        self._check(connection, "start_session")
        session = self.sessions.get(connection.session)
        if session is None:
            session = self.add_session(connection.session)
        others = [hook for hook in session.webhooks if hook.url != webhook.url]
        session.webhooks = [*others, webhook]
        if session.status in (SessionStatus.STOPPED, SessionStatus.FAILED):
            linked = session.phone is not None
            self._set_status(
                session, SessionStatus.WORKING if linked else SessionStatus.SCAN_QR_CODE
            )
        return session.info

    async def qr_code(self, connection: Connection) -> QrCode:
        session = self._existing(connection, "qr_code")
        if session.status is not SessionStatus.SCAN_QR_CODE:
            raise _not_ready(session, "SCAN_QR_CODE")
        return QrCode(value=session.qr)

    async def logout_session(self, connection: Connection) -> SessionInfo:
        session = self._existing(connection, "logout_session")
        session.phone = session.push_name = None
        if session.status is not SessionStatus.STOPPED:
            self._set_status(session, SessionStatus.SCAN_QR_CODE)
        return session.info

    async def server_version(self, connection: Connection) -> ServerInfo:
        self._check(connection, "server_version")
        return ServerInfo(FAKE_VERSION, "fake")

    async def resolve_lid(self, connection: Connection, lid: str) -> str | None:
        self._working(connection, "resolve_lid", None)
        return self.lids.get(lid)

    async def download_media(self, connection: Connection, url: str, max_bytes: int) -> bytes:
        self._check(connection, "download_media")
        data = self.media.get(url)
        if data is None:
            raise GatewayError(GatewayErrorCode.REJECTED, f"no media at {url}")
        if len(data) > max_bytes:
            raise GatewayError(
                GatewayErrorCode.TOO_LARGE, f"over the limit of {max_bytes} bytes", size=len(data)
            )
        return data

    # ------------------------------------------------------------------ internals

    def _check(
        self, connection: Connection, operation: Operation, chat_id: str | None = None
    ) -> None:
        if not connection.base_url:
            raise GatewayError(GatewayErrorCode.UNREACHABLE, "no WAHA base URL is configured")
        for failure in self._failures:
            if failure.matches(operation, chat_id):
                if failure.remaining is not None:
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                raise failure.error

    def _existing(self, connection: Connection, operation: Operation) -> FakeSession:
        self._check(connection, operation)
        session = self.sessions.get(connection.session)
        if session is None:
            raise GatewayError(
                GatewayErrorCode.SESSION_NOT_FOUND, f"unknown session {connection.session!r}"
            )
        return session

    def _working(
        self, connection: Connection, operation: Operation, chat_id: str | None
    ) -> FakeSession:
        self._check(connection, operation, chat_id)
        session = self.sessions.get(connection.session)
        if session is None:
            raise GatewayError(
                GatewayErrorCode.SESSION_NOT_FOUND, f"unknown session {connection.session!r}"
            )
        if session.status is not SessionStatus.WORKING:
            raise _not_ready(session, "WORKING")
        return session

    def _set_status(self, session: FakeSession, status: SessionStatus) -> None:
        session.status = status
        session.qr = (
            "2@" + secrets.token_urlsafe(24) if status is SessionStatus.SCAN_QR_CODE else None
        )

    def _record_message(
        self,
        session: FakeSession,
        kind: SendKind,
        chat_id: str,
        *,
        text: str | None = None,
        caption: str | None = None,
        file: OutgoingFile | None = None,
        reply_to: str | None = None,
        message_id: str | None = None,
    ) -> SentMessage:
        if not (message_id and self.fixes_ids):
            message_id = self._new_id(chat_id)
        self.sent.append(
            RecordedSend(
                session.name,
                kind,
                chat_id,
                id=message_id,
                text=text,
                caption=caption or None,
                filename=file.filename if file else None,
                mimetype=file.mimetype if file else None,
                data=file.data if file else None,
                reply_to=reply_to,
            )
        )
        if self._lost_answers:
            self._lost_answers -= 1
            raise GatewayError(GatewayErrorCode.TIMEOUT, "sent, but the answer was lost")
        return SentMessage(message_id if self.returns_ids else None)

    def _new_id(self, chat_id: str) -> str:
        # WAHA's serialized id, `{fromMe}_{chatId}_{id}`, with a counter for a readable id
        return f"true_{chat_id}_3EB0{next(self._ids):016X}"


def _not_ready(session: FakeSession, expected: str) -> GatewayError:
    return GatewayError(
        GatewayErrorCode.SESSION_NOT_READY,
        f"session {session.name!r} is {session.status.value}, not {expected}",
    )


__all__ = [
    "DEFAULT_PHONE",
    "DEFAULT_SESSION",
    "FakeSession",
    "InMemoryWhatsAppGateway",
    "Operation",
    "RecordedSend",
    "SendKind",
]
