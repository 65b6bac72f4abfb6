"""Session health: what WAHA says of each association's session, kept with its history.

- Every status from a ``session.status`` webhook or the periodic poll is recorded when it
  differs from the last one, and published as ``session.status``.
- A session that leaves ``WORKING`` for a status only a person can change (``FAILED``, waiting
  for a QR scan, taken by another association) raises the ``session_down`` alert at once
  (``alerts.py``). One that is stopped, starting or missing may be restarting (WAHA restarts a
  session after a config change, in seconds): ``CheckSessionDown`` raises the alert once if it
  is still not back after ``alert_after`` (``WA_CRM_SESSION_DOWN_ALERT_SECONDS``).
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
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import ConfirmSessionDown, PollSession
from wa_crm.domain.model.jobs import Attempt, NewJob, Postpone
from wa_crm.domain.model.statistics import Alert
from wa_crm.domain.usecases.admin.session_ownership import session_if_ours
from wa_crm.domain.usecases.inbound.contacts import connection_of
from wa_crm.domain.usecases.monitoring.alerts import raise_alert
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from wa_crm.ports.whatsapp import GatewayError, WhatsAppGateway

WORKING = "WORKING"
SESSION_TAKEN = "SESSION_TAKEN"
# Statuses that do not pass by themselves: a person must restart, scan or sort out the session.
_NEEDS_A_PERSON = frozenset({"FAILED", "SCAN_QR_CODE", SESSION_TAKEN})


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
    latest = await uow.session_events.latest(association.id)
    if reported_at is not None and latest and reported_at < latest.at:
        return
    if phone and phone != association.whatsapp.phone:
        # Read again under the lock: ``association`` may have been read before a poll's call
        # to WAHA, and storing it would undo settings an admin saved meanwhile.
        current = await uow.associations.get(association.id)
        if current is not None:
            whatsapp = dataclasses.replace(current.whatsapp, phone=phone)
            await uow.associations.update(dataclasses.replace(current, whatsapp=whatsapp))
    if latest and latest.status == status:
        return
    session = association.whatsapp.session
    previous = await uow.session_events.record(association.id, status, now, session=session)
    if previous != WORKING or status == WORKING:
        return
    if status in _NEEDS_A_PERSON:
        message = f"WhatsApp session {session!r} left WORKING: it is now {status}"
        await _alert_session_down(uow, association, status, message, now)
    else:
        await uow.jobs.schedule(_check_job(association.id, now), now)


async def _alert_session_down(
    uow: UnitOfWork, association: Association, status: str, message: str, now: datetime
) -> None:
    await raise_alert(
        uow,
        association.id,
        Alert("session_down", message, now),
        {"session": association.whatsapp.session, "status": status},
    )


def _check_job(association_id: str, left_working_at: datetime) -> NewJob:
    """One per association: a later departure from WORKING replaces it, with its own time."""
    return new_job(
        ConfirmSessionDown(association_id, left_working_at),
        key=f"{ConfirmSessionDown.kind}:{association_id}",
        run_after=left_working_at,
    )


@dataclass(frozen=True)
class CheckSessionDown:
    """Alert once when a session that left WORKING is still not back after ``alert_after``.

    - Back to WORKING meanwhile: nothing (it was a restart).
    - Not yet ``alert_after``: the job waits, without using attempts.
    - Messages keep waiting after the alert too; the alert tells a person to look.
    """

    uow_factory: UnitOfWorkFactory
    clock: Clock
    alert_after: timedelta = timedelta(minutes=10)

    async def __call__(self, command: ConfirmSessionDown, attempt: Attempt) -> None:
        association_id = command.association_id
        due = command.since + self.alert_after
        if self.clock.now() < due:
            raise Postpone("the session may still come back", due - self.clock.now())
        async with self.uow_factory() as uow:
            association = await uow.associations.get(association_id)
            latest = await uow.session_events.latest(association_id)
            if association is None or latest is None or latest.status == WORKING:
                return
            status, session = latest.status, association.whatsapp.session
            message = (
                f"WhatsApp session {session!r} has not been WORKING for "
                f"{_duration(self.alert_after)}: it is {status}; messages wait for it"
            )
            await _alert_session_down(uow, association, status, message, self.clock.now())
            await uow.commit()


def poll_job(association_id: str, at: datetime) -> NewJob:
    return new_job(
        PollSession(association_id), key=f"{PollSession.kind}:{association_id}", run_after=at
    )


@dataclass(frozen=True)
class PollSessionStatus:
    """Ask WAHA for the session's state, record it, and come back after ``every``."""

    uow_factory: UnitOfWorkFactory
    gateway: WhatsAppGateway
    clock: Clock
    every: timedelta = timedelta(seconds=60)

    async def __call__(self, command: PollSession, attempt: Attempt) -> None:
        association_id = command.association_id
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


def _duration(span: timedelta) -> str:
    seconds = span.total_seconds()
    if seconds < 120:
        return f"{round(seconds, 1):g} seconds"
    return f"{round(seconds / 60, 1):g} minutes"
