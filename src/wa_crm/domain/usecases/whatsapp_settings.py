"""An admin sets up the association's WhatsApp connection (design section 7, admin routes).

- Settings: the WAHA address, API key, session name and webhook secret; a session name is unique
  per WAHA server (the webhook routing relies on it). Secrets are write-only: the API never
  returns them, storage encrypts them.
- The connection check tells the admin what is wrong in one sentence: nothing listens, the
  address is not WAHA, the key is refused, the session does not exist yet or is not linked.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Association, WhatsAppSettings
from wa_crm.domain.model.errors import (
    AlreadyExists,
    DomainError,
    InvalidInput,
    UnknownAssociation,
)
from wa_crm.ports.unit_of_work import UnitOfWorkFactory
from wa_crm.ports.whatsapp import (
    Connection,
    GatewayError,
    GatewayErrorCode,
    SessionStatus,
    WhatsAppGateway,
)

_SESSION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_MESSAGES_PER_SECOND = 50.0
MAX_CHAT_GAP_SECONDS = 60.0


# ------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class WhatsAppChanges:
    """Fields an admin sends; None keeps the stored value."""

    base_url: str | None = None
    session: str | None = None
    api_key: str | None = None
    webhook_secret: str | None = None
    messages_per_second: float | None = None
    chat_gap_seconds: float | None = None


def valid_base_url(raw: str) -> Result[str, InvalidInput]:
    url = raw.strip().rstrip("/")
    if not url:
        return Success("")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Failure(InvalidInput("base_url must be an http:// or https:// address"))
    if parts.query or parts.fragment or parts.username or parts.password:
        return Failure(InvalidInput("base_url must not carry a query, a fragment or credentials"))
    return Success(url)


def _merged(
    current: WhatsAppSettings, changes: WhatsAppChanges
) -> Result[WhatsAppSettings, InvalidInput]:
    base_url = current.base_url
    if changes.base_url is not None:
        match valid_base_url(changes.base_url):
            case Failure(error):
                return Failure(error)
            case Success(url):
                base_url = url
    session = current.session if changes.session is None else changes.session.strip()
    if not _SESSION_NAME.fullmatch(session):
        return Failure(
            InvalidInput("session must be 1-64 letters, digits, '-' or '_' (a WAHA session name)")
        )
    rate = current.messages_per_second
    if changes.messages_per_second is not None:
        rate = changes.messages_per_second
        if not 0 < rate <= MAX_MESSAGES_PER_SECOND:
            return Failure(
                InvalidInput(
                    f"messages_per_second must be above 0 and at most {MAX_MESSAGES_PER_SECOND:g}"
                )
            )
    gap = current.chat_gap_seconds
    if changes.chat_gap_seconds is not None:
        gap = changes.chat_gap_seconds
        if not 0 <= gap <= MAX_CHAT_GAP_SECONDS:
            return Failure(
                InvalidInput(f"chat_gap_seconds must be from 0 to {MAX_CHAT_GAP_SECONDS:g}")
            )
    moved = (base_url, session) != (current.base_url, current.session)
    return Success(
        WhatsAppSettings(
            base_url=base_url,
            api_key=current.api_key if changes.api_key is None else changes.api_key.strip(),
            session=session,
            webhook_secret=current.webhook_secret
            if changes.webhook_secret is None
            else changes.webhook_secret.strip(),
            phone=None if moved else current.phone,
            messages_per_second=rate,
            chat_gap_seconds=gap,
        )
    )


@dataclass(frozen=True)
class UpdateWhatsAppSettings:
    uow_factory: UnitOfWorkFactory

    async def __call__(
        self, association_id: str, changes: WhatsAppChanges
    ) -> Result[Association, DomainError]:
        async with self.uow_factory() as uow:
            association = await uow.associations.get(association_id)
            if association is None:
                return Failure(UnknownAssociation("no such association"))
            match _merged(association.whatsapp, changes):
                case Failure(error):
                    return Failure(error)
                case Success(settings):
                    pass
            if settings.base_url:
                for other in await uow.associations.find_by_session(settings.session):
                    if other.id != association.id and other.whatsapp.base_url == settings.base_url:
                        return Failure(
                            AlreadyExists(
                                f"session {settings.session!r} on this WAHA server belongs to "
                                "another association; choose another session name"
                            )
                        )
            updated = dataclasses.replace(association, whatsapp=settings)
            await uow.associations.update(updated)
            await uow.commit()
        return Success(updated)


# ------------------------------------------------------------------------- connection check


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    """The address and key work (the session may still need starting or linking)."""
    code: str
    message: str
    status: str | None = None
    phone: str | None = None
    version: str | None = None


_FAILURE_MESSAGES = {
    GatewayErrorCode.UNREACHABLE: "Nothing answers at this address: check the URL and that "
    "WAHA is running and reachable from wa_crm.",
    GatewayErrorCode.TIMEOUT: "WAHA did not answer in time: check the address and the network.",
    GatewayErrorCode.UNAUTHORIZED: "WAHA refused the API key: copy WHATSAPP_API_KEY from the "
    "WAHA server's settings.",
    GatewayErrorCode.SERVER_ERROR: "WAHA answered with a server error: look at its logs.",
    GatewayErrorCode.RATE_LIMITED: "WAHA is limiting requests: try again in a minute.",
}


def _failed_check(error: GatewayError, *, probing_version: bool) -> ConnectionCheck:
    if probing_version and error.code is GatewayErrorCode.REJECTED:
        return ConnectionCheck(
            False,
            "not_waha",
            "Something answers at this address, but it is not a WAHA server "
            "(no /api/server/version).",
        )
    message = _FAILURE_MESSAGES.get(error.code, f"WAHA refused the request: {error}")
    return ConnectionCheck(False, error.code.value, message)


@dataclass(frozen=True)
class ConnectionOverrides:
    """Values typed in the wizard and not saved yet; None uses the stored one."""

    base_url: str | None = None
    api_key: str | None = None
    session: str | None = None


@dataclass(frozen=True)
class CheckWhatsAppConnection:
    gateway: WhatsAppGateway

    async def __call__(
        self, association: Association, overrides: ConnectionOverrides
    ) -> Result[ConnectionCheck, InvalidInput]:
        match _merged(
            association.whatsapp,
            WhatsAppChanges(
                base_url=overrides.base_url, api_key=overrides.api_key, session=overrides.session
            ),
        ):
            case Failure(error):
                return Failure(error)
            case Success(settings):
                pass
        if not settings.base_url:
            return Success(
                ConnectionCheck(False, "not_configured", "Enter the WAHA server's address.")
            )
        connection = Connection(settings.base_url, settings.api_key, settings.session)
        return Success(await self._check(connection))

    async def _check(self, connection: Connection) -> ConnectionCheck:
        try:
            server = await self.gateway.server_version(connection)
        except GatewayError as error:
            return _failed_check(error, probing_version=True)
        version = f"{server.version} ({server.engine})" if server.engine else server.version
        try:
            info = await self.gateway.session_status(connection)
        except GatewayError as error:
            if error.code is GatewayErrorCode.SESSION_NOT_FOUND:
                return ConnectionCheck(
                    True,
                    "session_not_found",
                    f"WAHA {version} accepts the key; session {connection.session!r} does not "
                    "exist yet: start it to create it.",
                    version=version,
                )
            return _failed_check(error, probing_version=False)
        if info.status is SessionStatus.WORKING:
            return ConnectionCheck(
                True,
                "working",
                f"Connected: session {connection.session!r} is WORKING.",
                info.status.value,
                info.phone,
                version,
            )
        return ConnectionCheck(
            True,
            "session_not_working",
            f"WAHA {version} accepts the key; session {connection.session!r} is "
            f"{info.status.value}: start it and scan the QR code.",
            info.status.value,
            info.phone,
            version,
        )
