"""An admin sets up the association's WhatsApp connection (architecture.md section 7, admin routes).

- Settings: the WAHA address, API key, session name and webhook secret; a session name is unique
  per WAHA server (the webhook routing relies on it), comparing server identities
  (``WahaServer``) so that no spelling of an address claims another association's session.
  Secrets are write-only: the API never returns them, storage encrypts them.
- The connection check tells the admin what is wrong in one sentence: nothing listens, the
  address is not WAHA, the key is refused, the WAHA release is older than wa_crm supports, WAHA
  Core is asked for a session not named ``default`` (``CoreNeedsDefaultSession``, a 409 like
  Start's), the session does not exist yet or is not linked. It
  never echoes what a server answered (the check must not become a probe of the internal
  network), and never shows a session that is another association's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Association, WhatsAppChanges
from wa_crm.domain.model.errors import (
    CoreNeedsDefaultSession,
    DomainError,
    InvalidInput,
    SessionTaken,
    UnknownAssociation,
)
from wa_crm.domain.usecases.admin.session_ownership import (
    session_claimed_elsewhere,
    session_if_ours,
    session_taken,
)
from wa_crm.ports.unit_of_work import DuplicateKey, UnitOfWorkFactory
from wa_crm.ports.whatsapp import (
    CORE_SESSION,
    Connection,
    GatewayError,
    GatewayErrorCode,
    ServerTier,
    SessionStatus,
    WhatsAppGateway,
)

# ------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class UpdateWhatsAppSettings:
    uow_factory: UnitOfWorkFactory

    async def __call__(
        self, association_id: str, changes: WhatsAppChanges
    ) -> Result[Association, DomainError]:
        async with self.uow_factory() as uow:
            await uow.associations.lock(association_id)  # the row is read, then written whole
            association = await uow.associations.get(association_id)
            if association is None:
                return Failure(UnknownAssociation("no such association"))
            match association.whatsapp.changed(changes):
                case Failure(error):
                    return Failure(error)
                case Success(settings):
                    pass
            updated = dataclasses.replace(association, whatsapp=settings)
            if await session_claimed_elsewhere(uow, updated):
                return Failure(session_taken(settings))
            try:
                await uow.associations.update(updated)
            except DuplicateKey:  # another association claimed it since the check
                return Failure(session_taken(settings))
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
    needed_version: str | None = None
    """The oldest WAHA release wa_crm works with, when the server's is older."""


_FAILURE_MESSAGES = {
    GatewayErrorCode.UNREACHABLE: "Nothing answers at this address: check the URL and that "
    "WAHA is running and reachable from wa_crm.",
    GatewayErrorCode.TIMEOUT: "WAHA did not answer in time: check the address and the network.",
    GatewayErrorCode.UNAUTHORIZED: "WAHA refused the API key: copy the WAHA server's WAHA_API_KEY.",
    GatewayErrorCode.SERVER_ERROR: "WAHA answered with a server error: look at its logs.",
    GatewayErrorCode.RATE_LIMITED: "WAHA is limiting requests: try again in a minute.",
    GatewayErrorCode.CIRCUIT_OPEN: "WAHA failed repeatedly: wa_crm pauses before asking again.",
}
_REFUSED = "WAHA refused the request: look at its logs."
# The only failures of the version probe that are told apart: anything else that answers is
# "not WAHA", whatever it answered, so the check does not map the ports of the internal network.
_TOLD_APART_WHEN_PROBING = frozenset(
    {GatewayErrorCode.UNREACHABLE, GatewayErrorCode.TIMEOUT, GatewayErrorCode.UNAUTHORIZED}
)
_NOT_WAHA = ConnectionCheck(
    False,
    "not_waha",
    "Something answers at this address, but not as a WAHA server does: check the address and "
    "the port.",
)


def _failed_check(error: GatewayError, *, probing_version: bool) -> ConnectionCheck:
    """A fixed sentence per failure: what the server answered is never echoed."""
    if probing_version and error.code not in _TOLD_APART_WHEN_PROBING:
        return _NOT_WAHA
    return ConnectionCheck(False, error.code.value, _FAILURE_MESSAGES.get(error.code, _REFUSED))


@dataclass(frozen=True)
class ConnectionOverrides:
    """Values typed in the wizard and not saved yet; None uses the stored one."""

    base_url: str | None = None
    api_key: str | None = None
    session: str | None = None


@dataclass(frozen=True)
class CheckWhatsAppConnection:
    """Values typed and not saved yet are checked like saved ones: a server and session another
    association holds is refused (``SessionTaken``), and so is a session WAHA shows to be another
    association's; its status and phone are never shown."""

    uow_factory: UnitOfWorkFactory
    gateway: WhatsAppGateway

    async def __call__(
        self, association: Association, overrides: ConnectionOverrides
    ) -> Result[ConnectionCheck, InvalidInput | SessionTaken | CoreNeedsDefaultSession]:
        match association.whatsapp.changed(
            WhatsAppChanges(
                base_url=overrides.base_url, api_key=overrides.api_key, session=overrides.session
            )
        ):
            case Failure(error):
                return Failure(error)
            case Success(settings):
                pass
        if not settings.base_url:
            return Success(
                ConnectionCheck(False, "not_configured", "Enter the WAHA server's address.")
            )
        candidate = dataclasses.replace(association, whatsapp=settings)
        async with self.uow_factory() as uow:
            if await session_claimed_elsewhere(uow, candidate):
                return Failure(session_taken(settings))
        return await self._check(candidate)

    async def _check(
        self, association: Association
    ) -> Result[ConnectionCheck, SessionTaken | CoreNeedsDefaultSession]:
        settings = association.whatsapp
        connection = Connection(settings.base_url, settings.api_key, settings.session)
        try:
            server = await self.gateway.server_version(connection)
        except GatewayError as error:
            return Success(_failed_check(error, probing_version=True))
        version = f"{server.version} ({server.engine})" if server.engine else server.version
        if server.upgrade_to is not None:
            return Success(
                ConnectionCheck(
                    False,
                    "waha_too_old",
                    f"WAHA {server.version} is older than {server.upgrade_to}, the oldest release "
                    "wa_crm works with: update WAHA.",
                    version=version,
                    needed_version=server.upgrade_to,
                )
            )
        if server.tier is ServerTier.CORE and connection.session != CORE_SESSION:
            return Failure(CoreNeedsDefaultSession())
        try:
            info = await self.gateway.session_status(connection)
        except GatewayError as error:
            if error.code is GatewayErrorCode.ONLY_DEFAULT_SESSION:
                return Failure(CoreNeedsDefaultSession())
            if error.code is GatewayErrorCode.SESSION_NOT_FOUND:
                return Success(
                    ConnectionCheck(
                        True,
                        "session_not_found",
                        f"WAHA {version} accepts the key; session {connection.session!r} does "
                        "not exist yet: start it to create it.",
                        version=version,
                    )
                )
            return Success(_failed_check(error, probing_version=False))
        match await session_if_ours(self.uow_factory, association, info):
            case Failure(taken):
                return Failure(taken)
        if info.status is SessionStatus.WORKING:
            return Success(
                ConnectionCheck(
                    True,
                    "working",
                    f"Connected: session {connection.session!r} is WORKING.",
                    info.status.value,
                    info.phone,
                    version,
                )
            )
        return Success(
            ConnectionCheck(
                True,
                "session_not_working",
                f"WAHA {version} accepts the key; session {connection.session!r} is "
                f"{info.status.value}: start it and scan the QR code.",
                info.status.value,
                info.phone,
                version,
            )
        )
