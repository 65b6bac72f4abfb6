"""Publishing committed events: state is already safe, so a bus fault is logged, not raised."""

from __future__ import annotations

import logging

from wa_crm.ports.events import EventBus
from wa_crm.ports.unit_of_work import UnitOfWork

_log = logging.getLogger("wa_crm.events")


async def publish_committed(uow: UnitOfWork, bus: EventBus) -> None:
    for event in uow.committed_events():
        try:
            await bus.publish(event)
        except Exception:
            _log.exception("event not published", extra={"event_type": event.type.value})
