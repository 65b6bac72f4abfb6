"""In-memory persistence: a first-class unit of work for use-case tests and single-process demos."""

from __future__ import annotations

from wa_crm.adapters.memory.store import InMemoryStore, Tables
from wa_crm.adapters.memory.unit_of_work import InMemoryUnitOfWork

__all__ = ["InMemoryStore", "InMemoryUnitOfWork", "Tables"]
