"""Whose WAHA session is it: one association per WAHA server and session.

- Claims compare server identities (``WahaServer``), never the URLs as typed; a server and
  session another association holds is refused with ``SessionTaken``, which never names it.
- A URL cannot reveal every alias of a server (a DNS name and an address of one host), so before
  wa_crm starts a session, shows its status, phone or QR, logs it out or sends through it for an
  association, it reads what WAHA says of the session: a webhook signed with another
  association's key, or the number another association of that session name has linked, makes
  the session that association's. Nothing of it is then shown, recorded or changed.
"""

from __future__ import annotations

import hmac

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Association, WhatsAppSettings
from wa_crm.domain.model.errors import SessionTaken
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from wa_crm.ports.whatsapp import SessionInfo


def session_taken(settings: WhatsAppSettings) -> SessionTaken:
    return SessionTaken(
        f"session {settings.session!r} on this WAHA server belongs to another association; "
        "choose another session name or WAHA server"
    )


async def session_claimed_elsewhere(uow: UnitOfWork, association: Association) -> bool:
    """Another association's settings name the same server identity and session."""
    if not association.whatsapp.base_url:
        return False
    return any(
        other.id != association.id and other.whatsapp.shares_session_with(association.whatsapp)
        for other in await uow.associations.find_by_session(association.whatsapp.session)
    )


async def session_if_ours(
    uow_factory: UnitOfWorkFactory, association: Association, info: SessionInfo
) -> Result[SessionInfo, SessionTaken]:
    """``info`` (what WAHA says of the association's session) unless it shows the session is
    another association's."""
    async with uow_factory() as uow:
        if await session_claimed_elsewhere(uow, association):
            return Failure(session_taken(association.whatsapp))
        namesakes = await uow.associations.find_by_session(association.whatsapp.session)
    others = [other for other in namesakes if other.id != association.id]
    if any(_carries_the_mark_of(info, other.whatsapp) for other in others):
        return Failure(session_taken(association.whatsapp))
    return Success(info)


def _carries_the_mark_of(info: SessionInfo, other: WhatsAppSettings) -> bool:
    secret = other.webhook_secret.encode()
    signed = bool(secret) and any(
        hook.hmac_key and hmac.compare_digest(hook.hmac_key.encode(), secret)
        for hook in info.webhooks
    )
    return signed or (info.phone is not None and info.phone == other.phone)
