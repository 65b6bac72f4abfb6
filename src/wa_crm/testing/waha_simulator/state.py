"""In-memory state: sessions with their status history, sent and received messages, files."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

STATUSES = (
    "STOPPED",
    "STARTING",
    "SCAN_QR_CODE",
    "PASSKEY_REQUIRED",
    "PASSKEY_CONFIRMATION_REQUIRED",
    "WORKING",
    "FAILED",
)
RUNNING = (
    "STARTING",
    "SCAN_QR_CODE",
    "PASSKEY_REQUIRED",
    "PASSKEY_CONFIRMATION_REQUIRED",
    "WORKING",
)

ACK_NAMES = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}


def now_ms() -> int:
    return int(time.time() * 1000)


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Session:
    name: str
    config: dict[str, Any] = field(default_factory=dict)
    status: str = "STOPPED"
    history: list[dict[str, Any]] = field(default_factory=list)
    me: dict[str, Any] | None = None
    """Set while the session is linked (authenticated); kept across stop, cleared by logout."""
    qr: str | None = None
    activity_ms: int | None = None
    gone_until: float | None = None
    """While it restarts (a ``time.monotonic()`` deadline), WAHA has no such session to talk
    to: its calls answer 404, though ``GET /api/sessions/{name}`` still shows it STOPPED."""

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def gone(self) -> bool:
        return self.gone_until is not None and time.monotonic() < self.gone_until

    def last_statuses(self) -> list[dict[str, Any]]:
        return [dict(point) for point in self.history[-3:]]


@dataclass
class SentRecord:
    """Something the client asked WAHA to send (listed by `GET /_sim/{session}/sent`)."""

    session: str
    kind: str  # text | image | file | seen | typing | reaction
    chat_id: str
    id: str | None = None
    hex_id: str | None = None
    text: str | None = None
    caption: str | None = None
    filename: str | None = None
    mimetype: str | None = None
    reply_to: str | None = None
    typing: bool | None = None
    message_ids: list[str] | None = None
    ack: int | None = None
    timestamp: int = field(default_factory=lambda: int(time.time()))
    at: str = field(default_factory=iso_now)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "chatId": self.chat_id,
            "kind": self.kind,
            "text": self.text,
            "caption": self.caption,
            "filename": self.filename,
            "at": self.at,
            "session": self.session,
            "mimetype": self.mimetype,
            "reply_to": self.reply_to,
            "ack": self.ack,
            "ackName": None if self.ack is None else ACK_NAMES.get(self.ack),
        }
        if self.typing is not None:
            data["typing"] = self.typing
        if self.message_ids is not None:
            data["messageIds"] = self.message_ids
        return data


@dataclass
class InboundRecord:
    """A message a simulated contact sent (listed by `GET /_sim/{session}/inbound`)."""

    session: str
    id: str
    chat_id: str
    sender: str
    text: str
    push_name: str | None
    media_url: str | None
    mimetype: str | None
    filename: str | None
    read: bool = False
    at: str = field(default_factory=iso_now)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "chatId": self.chat_id,
            "from": self.sender,
            "text": self.text,
            "push_name": self.push_name,
            "media": None
            if self.media_url is None
            else {"url": self.media_url, "mimetype": self.mimetype, "filename": self.filename},
            "read": self.read,
            "at": self.at,
        }


@dataclass
class StoredFile:
    data: bytes
    mimetype: str
    expires_at: float | None  # time.monotonic() deadline; None keeps it forever


@dataclass
class Contact:
    """What `check-exists` and the lids endpoints answer for a number."""

    phone: str  # digits
    exists: bool = True
    chat_id: str | None = None
    lid: str | None = None


@dataclass
class SimulatorState:
    sessions: dict[str, Session] = field(default_factory=dict)
    sent: dict[str, list[SentRecord]] = field(default_factory=dict)
    inbound: dict[str, list[InboundRecord]] = field(default_factory=dict)
    files: dict[tuple[str, str], StoredFile] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)  # by digits
    lids: dict[str, str] = field(default_factory=dict)  # lid -> pn (@c.us)

    def sent_for(self, session: str) -> list[SentRecord]:
        return self.sent.setdefault(session, [])

    def inbound_for(self, session: str) -> list[InboundRecord]:
        return self.inbound.setdefault(session, [])

    def find_sent(self, session: str, message_id: str) -> SentRecord | None:
        for record in self.sent.get(session, []):
            if message_id in (record.id, record.hex_id):
                return record
        return None

    def get_file(self, session: str, filename: str) -> StoredFile | None:
        stored = self.files.get((session, filename))
        if stored is None:
            return None
        if stored.expires_at is not None and time.monotonic() >= stored.expires_at:
            del self.files[(session, filename)]
            return None
        return stored

    def purge_expired_files(self) -> None:
        now = time.monotonic()
        for key, stored in list(self.files.items()):
            if stored.expires_at is not None and now >= stored.expires_at:
                del self.files[key]
