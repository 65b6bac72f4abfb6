"""SQL adapters of the query ports (``ports.queries``), on a read-only engine."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from wa_crm.adapters.sql.queries.audit import SqlAuditQueries
from wa_crm.adapters.sql.queries.imports import SqlImportQueries
from wa_crm.adapters.sql.queries.inbox import SqlInboxQueries
from wa_crm.adapters.sql.queries.labels import SqlLabelQueries
from wa_crm.adapters.sql.queries.monitoring import SqlMonitoringQueries
from wa_crm.adapters.sql.queries.statistics import SqlStatisticsQueries
from wa_crm.ports.queries import Queries


def sql_queries(read_engine: AsyncEngine) -> Queries:
    """``read_engine``: ``create_engine(url, read_only=True)``."""
    return Queries(
        inbox=SqlInboxQueries(read_engine),
        statistics=SqlStatisticsQueries(read_engine),
        audit=SqlAuditQueries(read_engine),
        monitoring=SqlMonitoringQueries(read_engine),
        imports=SqlImportQueries(read_engine),
        labels=SqlLabelQueries(read_engine),
    )


__all__ = ["sql_queries"]
