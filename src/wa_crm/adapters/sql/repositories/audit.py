"""The audit log: INSERT only here, SELECT only in ``queries.audit``, so nothing in wa_crm can
change or delete an entry."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute
from wa_crm.adapters.sql.tables import audit_log
from wa_crm.domain.model.audit import AuditEntry

_ADD = insert(audit_log)


class SqlAuditRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, entry: AuditEntry) -> None:
        row = {
            "association_id": entry.association_id,
            "actor": entry.actor,
            "action": entry.action.value,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "at": entry.at,
            "details": entry.details,
        }
        await execute(self._connection, _ADD, row)
