"""Session health: what WAHA says of each association's session, kept with its history.

- Every status from a ``session.status`` webhook or the periodic poll is recorded when it
  differs from the last one, and published as ``session.status``.
- A session that leaves ``WORKING`` raises an alert (``alerts.py``).
- The poll (``poll_session`` job, one per association) catches what webhooks miss: WAHA
  stopping without a word, or the webhook itself being broken. A session WAHA shows to be
  another association's is recorded as ``SESSION_TAKEN``, without its number
  (``session_ownership``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from returns.result import Failure

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.events import DomainEvent, EventType
from wa_crm.domain.model.jobs import Job, NewJob, PermanentJobError
from wa_crm.domain.model.statistics import Alert
from wa_crm.domain.usecases.alerts import raise_alert
from wa_crm.domain.usecases.contacts import connection_of
from wa_crm.domain.usecases.publish import publish_committed
from wa_crm.domain.usecases.session_ownership import session_if_ours
from wa_crm.ports.events import EventBus
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from wa_crm.ports.whatsapp import GatewayError, WhatsAppGateway

WORKING = "WORKING"
SESSION_TAKEN = "SESSION_TAKEN"
POLL_SESSION_JOB = "poll_session"


async def record_session_status(
    uow: UnitOfWork,
    association: Association,
    status: str,
    phone: str | None,
    now: datetime,
    reported_at: datetime | None = None,
) -> None:
    """Record and publish a status; alert when a working session stops working.

    ``reported_at`` (a webhook's emission time) older than the last recorded status means the
    webhook overtook by a newer one, or by a poll that read the state since: it is stale and
    dropped. This compares WAHA's clock with ours; with clocks far apart a fresh webhook may be
    dropped too, and the next poll (every minute) records the state then.
    """
    await uow.associations.lock(association.id)  # one status recorded at a time
    history = await uow.session_events.history(association.id, 1)
    if reported_at is not None and history and reported_at < history[0].at:
        return
    if phone and phone != association.whatsapp.phone:
        whatsapp = dataclasses.replace(association.whatsapp, phone=phone)
        await uow.associations.update(dataclasses.replace(association, whatsapp=whatsapp))
    if history and history[0].status == status:
        return
    previous = await uow.session_events.record(association.id, status, now)
    session = association.whatsapp.session
    uow.record(
        DomainEvent(
            EventType.SESSION_STATUS, association.id, {"session": session, "status": status}
        )
    )
    if previous == WORKING and status != WORKING:
        message = f"WhatsApp session {session!r} left WORKING: it is now {status}"
        await raise_alert(
            uow,
            association.id,
            Alert("session_down", message, now),
            {"session": session, "status": status},
        )


def poll_job(association_id: str, at: datetime) -> NewJob:
    return NewJob(
        kind=POLL_SESSION_JOB,
        key=f"{POLL_SESSION_JOB}:{association_id}",
        run_after=at,
        payload={},
        association_id=association_id,
    )


@dataclass(frozen=True)
class PollSessionStatus:
    """Ask WAHA for the session's state, record it, and come back after ``every``."""

    uow_factory: UnitOfWorkFactory
    gateway: WhatsAppGateway
    bus: EventBus
    clock: Clock
    every: timedelta = timedelta(seconds=60)

    async def __call__(self, job: Job) -> None:
        association_id = job.association_id
        if association_id is None:
            raise PermanentJobError("poll_session job without an association")
        async with self.uow_factory() as uow:
            association = await uow.associations.get(association_id)
        if association is None:
            return
        if association.whatsapp.configured:
            try:
                info = await self.gateway.session_status(connection_of(association))
                status, phone = info.status.value, info.phone
                if isinstance(await session_if_ours(self.uow_factory, association, info), Failure):
                    status, phone = SESSION_TAKEN, None
            except GatewayError as error:
                status, phone = f"UNREACHABLE ({error.code.value})", None
        now = self.clock.now()
        async with self.uow_factory() as uow:
            if association.whatsapp.configured:
                await record_session_status(uow, association, status, phone, now)
            await uow.jobs.schedule(poll_job(association_id, now + self.every), now)
            await uow.commit()
        await publish_committed(uow, self.bus)
