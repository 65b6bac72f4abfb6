"""Refused webhooks, counted for the monitoring page.

- A webhook answered with a 4xx (a bad signature, a body that is not a WAHA event, an unknown
  session) is counted per minute and reason, for its association when the body named one,
  else for the service (``SERVICE``): an operator whose every event is refused sees it.
- Counts are kept a day; the page shows the last hour's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from wa_crm.ports.queries import MonitoringQueries
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

SERVICE = ""
"""The scope of refusals no association could be found for."""
SHOWN_PERIOD = timedelta(hours=1)


@dataclass(frozen=True)
class RefusedWebhooks:
    """The last hour's refusals of an association and of the service, by reason."""

    association: dict[str, int]
    service: dict[str, int]


@dataclass(frozen=True)
class WebhookRefusals:
    uow_factory: UnitOfWorkFactory
    monitoring: MonitoringQueries
    clock: Clock

    async def record(self, association_id: str | None, reason: str) -> None:
        async with self.uow_factory() as uow:
            scope = association_id or SERVICE
            await uow.alerts.count_refused_webhook(scope, reason, self.clock.now())
            await uow.commit()

    async def last_hour(self, association_id: str) -> RefusedWebhooks:
        since = self.clock.now() - SHOWN_PERIOD
        return RefusedWebhooks(
            await self.monitoring.refused_webhooks(association_id, since),
            await self.monitoring.refused_webhooks(SERVICE, since),
        )
