"""In-memory adapters of the query ports (``ports.queries``): they read the store's committed
tables, as the SQL ones read committed rows.

The statistics re-implement the SQL aggregates in Python (about 120 lines). They stay: they are
the in-memory fake of ``StatisticsQueries`` that use-case tests run against (an erasure or a
purge must leave every figure as it was), and the contract suite holds them to the SQL figures,
so they cannot drift; without them those tests would need a database.
"""

from __future__ import annotations

from wa_crm.adapters.memory.queries.audit import InMemoryAuditQueries
from wa_crm.adapters.memory.queries.imports import InMemoryImportQueries
from wa_crm.adapters.memory.queries.inbox import InMemoryInboxQueries
from wa_crm.adapters.memory.queries.labels import InMemoryLabelQueries
from wa_crm.adapters.memory.queries.monitoring import InMemoryMonitoringQueries
from wa_crm.adapters.memory.queries.statistics import InMemoryStatisticsQueries
from wa_crm.adapters.memory.store import InMemoryStore
from wa_crm.ports.queries import Queries


def in_memory_queries(store: InMemoryStore) -> Queries:
    return Queries(
        inbox=InMemoryInboxQueries(store),
        statistics=InMemoryStatisticsQueries(store),
        audit=InMemoryAuditQueries(store),
        monitoring=InMemoryMonitoringQueries(store),
        imports=InMemoryImportQueries(store),
        labels=InMemoryLabelQueries(store),
    )


__all__ = ["in_memory_queries"]
