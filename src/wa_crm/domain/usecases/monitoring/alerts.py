"""Alerts: something an operator must look at (a session left WORKING, a message died).

One alert goes three ways: an ``alert`` event for the agents' open pages, a stored row for the
monitoring page, and a durable ``send_alert`` job that tells operators through the AlertSink
(log, signed webhook) even when no page is open.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import AlertOperators
from wa_crm.domain.model.jobs import Attempt
from wa_crm.domain.model.statistics import Alert
from wa_crm.ports.system import AlertSink
from wa_crm.ports.unit_of_work import UnitOfWork


async def raise_alert(
    uow: UnitOfWork,
    association_id: str,
    alert: Alert,
    details: dict[str, Any],
) -> None:
    """Within the caller's unit of work: the agents' pages are told when it commits, with
    ``details`` beside the alert's kind and message."""
    await uow.alerts.add(association_id, dataclasses.replace(alert, details=details))
    await uow.jobs.schedule(
        new_job(
            AlertOperators(association_id, alert.kind, alert.message),
            key=f"{AlertOperators.kind}:{association_id}:{alert.kind}:{alert.at.isoformat()}",
            run_after=alert.at,
        ),
        alert.at,
    )


@dataclass(frozen=True)
class SendAlert:
    alerts: AlertSink

    async def __call__(self, command: AlertOperators, attempt: Attempt) -> None:
        await self.alerts.alert(command.association_id, command.alert_kind, command.message)
