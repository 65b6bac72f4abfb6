"""An admin runs the association's WAHA session: start it, link a phone by QR, log out, read
its status, send a test message (architecture.md section 7, admin routes).

- Starting the session writes our webhook (URL from the public URL, our events, the HMAC key)
  into it; a missing webhook secret is generated then, since WAHA must sign what it sends us.
- Every status seen here goes into the session's history (``record_session_status``).
- Nothing here acts on, shows or records a session that is another association's
  (``session_ownership``): Start would otherwise replace its webhook key, and its patients'
  messages would land in this association's inbox.
- WAHA failures are shown to the admin (``WhatsAppServerError``, HTTP 502), not retried;
  WAHA Core's refusal of a session not named ``default`` is the admin's to fix, and says how
  (``CoreNeedsDefaultSession``, HTTP 409).
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.errors import (
    CoreNeedsDefaultSession,
    DomainError,
    NotConfigured,
    SessionNotWorking,
    SessionTaken,
    WhatsAppServerError,
)
from wa_crm.domain.model.phone import Phone
from wa_crm.domain.usecases.admin.session_ownership import session_if_ours
from wa_crm.domain.usecases.inbound.contacts import connection_of
from wa_crm.domain.usecases.monitoring.session_health import record_session_status
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.ports.queries import MonitoringQueries, SessionStatusChange
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory
from wa_crm.ports.whatsapp import (
    GatewayError,
    GatewayErrorCode,
    QrCode,
    SessionInfo,
    SessionStatus,
    WebhookSubscription,
    WhatsAppGateway,
)

WEBHOOK_PATH = "/api/webhooks/whatsapp"
HISTORY_SHOWN = 50
TEST_MESSAGE = "Mensagem de teste do wa_crm: o número está conectado."


def webhook_url(public_url: str) -> str:
    return public_url.rstrip("/") + WEBHOOK_PATH


def _failure_of(error: GatewayError) -> WhatsAppServerError | CoreNeedsDefaultSession:
    if error.code is GatewayErrorCode.ONLY_DEFAULT_SESSION:
        return CoreNeedsDefaultSession()
    return WhatsAppServerError(error.message)


# ------------------------------------------------------------------------- session control


@dataclass(frozen=True)
class SessionControl:
    """Start, read the QR of, log out and read the status of the association's session."""

    uow_factory: UnitOfWorkFactory
    monitoring: MonitoringQueries
    gateway: WhatsAppGateway
    breakers: GatewayBreakers
    clock: Clock
    public_url: str
    events: tuple[str, ...]

    async def start(self, association: Association) -> Result[SessionInfo, DomainError]:
        if not association.whatsapp.configured:
            return Failure(NotConfigured("save the WAHA address and session first"))
        match await _unless_taken(self.uow_factory, self.gateway, association):
            case Failure(error):
                return Failure(error)
        if not association.whatsapp.webhook_secret:
            association = await self._with_new_webhook_secret(association)
        subscription = WebhookSubscription(
            url=webhook_url(self.public_url),
            events=self.events,
            hmac_key=association.whatsapp.webhook_secret,
        )
        try:
            info = await self.gateway.start_session(connection_of(association), subscription)
        except GatewayError as error:
            return Failure(_failure_of(error))
        await self._record(association, info)
        return Success(info)

    async def qr(self, association: Association) -> Result[tuple[SessionInfo, QrCode], DomainError]:
        """The status, and the QR while the session waits for a scan."""
        if not association.whatsapp.configured:
            return Failure(NotConfigured("save the WAHA address and session first"))
        connection = connection_of(association)
        try:
            match await _session_if_ours(self.uow_factory, self.gateway, association):
                case Failure(taken):
                    return Failure(taken)
                case Success(info):
                    pass
            qr = QrCode()
            if info.status is SessionStatus.SCAN_QR_CODE:
                try:
                    qr = await self.gateway.qr_code(connection)
                except GatewayError as error:
                    if error.code is not GatewayErrorCode.SESSION_NOT_READY:
                        raise
                    info = await self.gateway.session_status(connection)  # it moved on
        except GatewayError as error:
            return Failure(_failure_of(error))
        await self._record(association, info)
        return Success((info, qr))

    async def logout(self, association: Association) -> Result[SessionInfo, DomainError]:
        if not association.whatsapp.configured:
            return Failure(NotConfigured("save the WAHA address and session first"))
        match await _unless_taken(self.uow_factory, self.gateway, association):
            case Failure(error):
                return Failure(error)
        try:
            info = await self.gateway.logout_session(connection_of(association))
        except GatewayError as error:
            return Failure(_failure_of(error))
        await self._record(association, info)
        return Success(info)

    async def status(self, association: Association) -> Result[SessionReport, SessionTaken]:
        """What WAHA says now (or why it could not be asked), with the recorded history."""
        info: SessionInfo | None = None
        problem: GatewayError | None = None
        if association.whatsapp.configured:
            try:
                info = await self.gateway.session_status(connection_of(association))
            except GatewayError as error:
                problem = error
            if info is not None:
                match await session_if_ours(self.uow_factory, association, info):
                    case Failure(taken):
                        return Failure(taken)
                await self._record(association, info)
        history = await self.monitoring.session_history(association.id, HISTORY_SHOWN)
        circuit = (
            self.breakers.state(connection_of(association))
            if association.whatsapp.configured
            else "closed"
        )
        return Success(SessionReport(info, problem, tuple(history), circuit))

    async def _record(self, association: Association, info: SessionInfo) -> None:
        async with self.uow_factory() as uow:
            current = await uow.associations.get(association.id)
            if current is None:
                return
            await record_session_status(
                uow, current, info.status.value, info.phone, self.clock.now()
            )
            await uow.commit()

    async def _with_new_webhook_secret(self, association: Association) -> Association:
        async with self.uow_factory() as uow:
            await uow.associations.lock(association.id)  # the row is read, then written whole
            current = await uow.associations.get(association.id) or association
            whatsapp = dataclasses.replace(
                current.whatsapp, webhook_secret=secrets.token_urlsafe(32)
            )
            updated = dataclasses.replace(current, whatsapp=whatsapp)
            await uow.associations.update(updated)
            await uow.commit()
        return updated


async def _session_if_ours(
    uow_factory: UnitOfWorkFactory, gateway: WhatsAppGateway, association: Association
) -> Result[SessionInfo, SessionTaken]:
    """What WAHA says of the association's session, refused when the session is another
    association's; WAHA's failures are raised."""
    info = await gateway.session_status(connection_of(association))
    return await session_if_ours(uow_factory, association, info)


async def _unless_taken(
    uow_factory: UnitOfWorkFactory, gateway: WhatsAppGateway, association: Association
) -> Result[None, DomainError]:
    """Before acting on the session: refused when it is another association's; a session WAHA
    does not know yet is nobody's."""
    try:
        match await _session_if_ours(uow_factory, gateway, association):
            case Failure(taken):
                return Failure(taken)
    except GatewayError as error:
        if error.code is not GatewayErrorCode.SESSION_NOT_FOUND:
            return Failure(_failure_of(error))
    return Success(None)


@dataclass(frozen=True)
class SessionReport:
    info: SessionInfo | None
    problem: GatewayError | None
    history: tuple[SessionStatusChange, ...]
    circuit: str


# ---------------------------------------------------------------------------- test message


@dataclass(frozen=True)
class SendTestMessage:
    """A message straight through WAHA (not the delivery queue): the admin wants to see at
    once whether the number works, and a failure is shown, not retried."""

    uow_factory: UnitOfWorkFactory
    gateway: WhatsAppGateway

    async def __call__(
        self, association: Association, phone_text: str, text: str | None
    ) -> Result[tuple[Phone, str | None], DomainError]:
        match Phone.parse(phone_text):
            case Failure(error):
                return Failure(error)
            case Success(phone):
                pass
        if not association.whatsapp.configured:
            return Failure(NotConfigured("save the WAHA address and session first"))
        match await _unless_taken(self.uow_factory, self.gateway, association):
            case Failure(refused):
                return Failure(refused)
        body = (text or "").strip() or TEST_MESSAGE
        try:
            sent = await self.gateway.send_text(
                connection_of(association), phone.chat_id(), body[:4096]
            )
        except GatewayError as error:
            if error.code is GatewayErrorCode.SESSION_NOT_READY:
                return Failure(
                    SessionNotWorking("the session is not WORKING: link the phone first")
                )
            return Failure(_failure_of(error))
        return Success((phone, sent.external_id))
