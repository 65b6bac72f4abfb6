"""The WhatsApp gateway: what wa_crm asks of WAHA, in domain terms.

Failures are ``GatewayError`` exceptions raised by the adapter (they are infrastructure
faults); ``retryable`` tells the delivery job whether trying again can help.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class GatewayErrorCode(StrEnum):
    UNREACHABLE = "unreachable"  # connection refused, DNS, reset
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"  # 429
    SERVER_ERROR = "server_error"  # 5xx
    UNAUTHORIZED = "unauthorized"  # wrong API key
    SESSION_NOT_FOUND = "session_not_found"
    SESSION_NOT_READY = "session_not_ready"  # the session is not WORKING
    REACH_OUT_LIMIT = "reach_out_limit"  # WhatsApp's 463: contact must write first
    REJECTED = "rejected"  # any other 4xx, a redirect, a URL we do not fetch
    ONLY_DEFAULT_SESSION = "only_default_session"  # WAHA Core: no session but ``default``
    TOO_LARGE = "too_large"  # a download over the caller's size limit
    CIRCUIT_OPEN = "circuit_open"


_RETRYABLE = frozenset(
    {
        GatewayErrorCode.UNREACHABLE,
        GatewayErrorCode.TIMEOUT,
        GatewayErrorCode.RATE_LIMITED,
        GatewayErrorCode.SERVER_ERROR,
        GatewayErrorCode.SESSION_NOT_READY,
        GatewayErrorCode.CIRCUIT_OPEN,
    }
)


_SESSION_DOWN = frozenset({GatewayErrorCode.SESSION_NOT_FOUND, GatewayErrorCode.SESSION_NOT_READY})


class GatewayError(Exception):
    def __init__(
        self,
        code: GatewayErrorCode,
        message: str,
        *,
        retry_after: float | None = None,
        size: int | None = None,
    ) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        """One sentence for people, without the code."""
        self.retry_after = retry_after
        self.size = size
        """For TOO_LARGE: the file's size in bytes, when the server declared it."""

    @property
    def retryable(self) -> bool:
        return self.code in _RETRYABLE

    @property
    def session_down(self) -> bool:
        """WAHA has no such session now, or it is not WORKING: while WAHA restarts a session
        (a config change, a logout; seconds) its calls answer so. Worth waiting for, never a
        reason to give a message up."""
        return self.code in _SESSION_DOWN


class SessionStatus(StrEnum):
    STOPPED = "STOPPED"
    STARTING = "STARTING"
    SCAN_QR_CODE = "SCAN_QR_CODE"
    WORKING = "WORKING"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class SessionInfo:
    name: str
    status: SessionStatus
    phone: str | None = None  # the connected number's chat id once WORKING
    push_name: str | None = None
    webhooks: tuple[WebhookSubscription, ...] = ()
    """The session's own webhooks with their HMAC keys: they tell whose session it is."""


CORE_SESSION = "default"
"""The one session name WAHA Core runs."""


class ServerTier(StrEnum):
    CORE = "CORE"  # one session, named ``CORE_SESSION``
    PLUS = "PLUS"  # any number of sessions


@dataclass(frozen=True)
class ServerInfo:
    """What the WAHA server says of itself."""

    version: str
    engine: str | None = None
    tier: ServerTier | None = None
    """None when the server does not say."""
    upgrade_to: str | None = None
    """The oldest release wa_crm works with, when this server's is older; else None."""


@dataclass(frozen=True)
class OutgoingFile:
    mimetype: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class SentMessage:
    """WAHA's id of the sent message, or None when the engine's answer carried none."""

    external_id: str | None


@dataclass(frozen=True)
class OwnMessage:
    """One of the number's own messages in a chat, as WhatsApp keeps it."""

    external_id: str
    body: str
    """The text, or a file's caption."""
    has_media: bool


@dataclass(frozen=True)
class WebhookSubscription:
    url: str
    events: tuple[str, ...]
    hmac_key: str | None


@dataclass(frozen=True)
class QrCode:
    """The raw QR value a phone scans (rendered as an image on our side), None when WAHA has
    none yet."""

    value: str | None = None


@dataclass(frozen=True)
class Connection:
    """Where a session lives: the WAHA server, its API key and the session name."""

    base_url: str
    api_key: str
    session: str


class WhatsAppGateway(Protocol):
    async def send_text(
        self,
        connection: Connection,
        chat_id: str,
        text: str,
        reply_to: str | None = None,
        message_id: str | None = None,
    ) -> SentMessage:
        """``message_id``, from ``new_message_id``, is the WhatsApp id the text goes with."""
        ...

    async def new_message_id(self, connection: Connection, chat_id: str) -> str | None:
        """The WhatsApp id a text to ``chat_id`` will have if sent with it, fixed before the
        send so that the message can be looked for (``own_messages``) before it is sent again;
        None when the engine cannot fix ids beforehand (of WAHA's, only NOWEB and GOWS can)."""
        ...

    async def own_messages(
        self, connection: Connection, chat_id: str, since: datetime
    ) -> Sequence[OwnMessage] | None:
        """The number's latest messages in the chat from ``since`` on, newest first (one page
        of them); None when WAHA cannot list the chat (NOWEB without its store)."""
        ...

    async def send_image(
        self, connection: Connection, chat_id: str, file: OutgoingFile, caption: str = ""
    ) -> SentMessage: ...
    async def send_document(
        self, connection: Connection, chat_id: str, file: OutgoingFile, caption: str = ""
    ) -> SentMessage: ...
    async def send_seen(
        self, connection: Connection, chat_id: str, message_ids: Sequence[str] = ()
    ) -> None:
        """Mark the chat read; ``message_ids`` are the contact's messages read (NOWEB and GOWS
        mark exactly those, other engines the whole chat)."""
        ...

    async def react(self, connection: Connection, message_id: str, emoji: str) -> None:
        """Set the number's reaction to the message with this WhatsApp id; "" removes it."""
        ...

    async def start_typing(self, connection: Connection, chat_id: str) -> None: ...
    async def stop_typing(self, connection: Connection, chat_id: str) -> None: ...
    async def session_status(self, connection: Connection) -> SessionInfo:
        """The session's state; SESSION_NOT_FOUND is raised when WAHA does not know it."""
        ...

    async def start_session(
        self, connection: Connection, webhook: WebhookSubscription
    ) -> SessionInfo:
        """Create or update the session with our webhook, then start it (idempotent)."""
        ...

    async def qr_code(self, connection: Connection) -> QrCode: ...
    async def logout_session(self, connection: Connection) -> SessionInfo:
        """Unlink the phone; a running session starts over waiting for a new QR scan."""
        ...

    async def server_version(self, connection: Connection) -> ServerInfo:
        """Also proves the address is a WAHA server and the API key is accepted."""
        ...

    async def resolve_lid(self, connection: Connection, lid: str) -> str | None:
        """The phone chat id behind a ``@lid``, or None when WhatsApp does not reveal it."""
        ...

    async def download_media(self, connection: Connection, url: str, max_bytes: int) -> bytes:
        """The file a ``message`` webhook's media URL names, from the connection's own server.

        REJECTED, without any request, for a URL that is not one of the session's WAHA files;
        TOO_LARGE as soon as more than ``max_bytes`` arrive (the rest is never read), with the
        file's ``size`` when the server declared it.
        """
        ...
