"""Alerts: something an operator must look at (a session left WORKING, a message died).

One alert goes three ways: an ``alert`` event for the agents' open pages, a stored row for the
monitoring page, and a durable ``send_alert`` job that tells operators through the AlertSink
(log, signed webhook) even when no page is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wa_crm.domain.model.correlation import carried
from wa_crm.domain.model.events import DomainEvent, EventType
from wa_crm.domain.model.jobs import Job, NewJob, PermanentJobError
from wa_crm.domain.model.statistics import Alert
from wa_crm.ports.system import AlertSink
from wa_crm.ports.unit_of_work import UnitOfWork

SEND_ALERT_JOB = "send_alert"


async def raise_alert(
    uow: UnitOfWork,
    association_id: str,
    alert: Alert,
    details: dict[str, Any],
) -> None:
    """Within the caller's unit of work: the event goes out when it commits."""
    uow.record(
        DomainEvent(
            EventType.ALERT,
            association_id,
            {"kind": alert.kind, "message": alert.message, **details},
        )
    )
    await uow.alerts.add(association_id, alert)
    await uow.jobs.schedule(
        NewJob(
            kind=SEND_ALERT_JOB,
            key=f"{SEND_ALERT_JOB}:{association_id}:{alert.kind}:{alert.at.isoformat()}",
            run_after=alert.at,
            payload=carried({"kind": alert.kind, "message": alert.message}),
            association_id=association_id,
        ),
        alert.at,
    )


@dataclass(frozen=True)
class SendAlert:
    alerts: AlertSink

    async def __call__(self, job: Job) -> None:
        if job.association_id is None:
            raise PermanentJobError("send_alert job without an association")
        await self.alerts.alert(
            job.association_id, str(job.payload["kind"]), str(job.payload["message"])
        )
