"""Units of work in tests publish as the application's do: through the container's table."""

from __future__ import annotations

from wa_crm.container import fact_handlers
from wa_crm.domain.usecases.runtime.message_bus import MessageBus
from wa_crm.ports.events import EventBus


def publishing_to(bus: EventBus) -> MessageBus:
    return MessageBus(fact_handlers(bus))
