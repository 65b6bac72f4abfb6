"""In-memory adapters: a first-class unit of work for use-case tests and single-process demos,
and a WhatsApp gateway fake that records what was sent."""

from __future__ import annotations

from wa_crm.adapters.memory.media import InMemoryMediaStore
from wa_crm.adapters.memory.store import InMemoryStore, Tables
from wa_crm.adapters.memory.unit_of_work import InMemoryUnitOfWork
from wa_crm.adapters.memory.whatsapp import (
    FakeSession,
    InMemoryWhatsAppGateway,
    RecordedSend,
)

__all__ = [
    "FakeSession",
    "InMemoryMediaStore",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InMemoryWhatsAppGateway",
    "RecordedSend",
    "Tables",
]
