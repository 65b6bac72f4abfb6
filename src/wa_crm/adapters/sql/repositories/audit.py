"""The audit log: INSERT and SELECT only, so nothing in wa_crm can change or delete an entry.

A page is read newest first by id (the order of appending, whatever the clock said) over the
index on (association, id). Its statement depends on which filters are set: one is built per
combination, on first use, with bind parameters (see ``execution``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute
from wa_crm.adapters.sql.tables import audit_log
from wa_crm.adapters.sql.types import UtcDateTime
from wa_crm.domain.model.audit import AuditAction, AuditEntry
from wa_crm.ports.unit_of_work import AuditQuery

_ADD = insert(audit_log)


class _Filters(NamedTuple):
    """Which filters a query sets: the shape of its statement."""

    start: bool
    end: bool
    actor: bool
    before: bool


@functools.cache
def _page(filters: _Filters) -> Select[Any]:
    where = [audit_log.c.association_id == bindparam("association_id")]
    if filters.start:
        where.append(audit_log.c.at >= bindparam("start", type_=UtcDateTime))
    if filters.end:
        where.append(audit_log.c.at < bindparam("end", type_=UtcDateTime))
    if filters.actor:
        where.append(audit_log.c.actor == bindparam("actor"))
    if filters.before:
        where.append(audit_log.c.id < bindparam("before_id", type_=Integer))
    return (
        select(audit_log)
        .where(*where)
        .order_by(audit_log.c.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


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

    async def list(
        self, association_id: str, query: AuditQuery
    ) -> Sequence[tuple[int, AuditEntry]]:
        filters = _Filters(
            start=query.start is not None,
            end=query.end is not None,
            actor=query.actor is not None,
            before=query.before_id is not None,
        )
        parameters = {
            "association_id": association_id,
            "start": query.start,
            "end": query.end,
            "actor": query.actor,
            "before_id": query.before_id,
            "limit": query.limit,
        }
        result = await execute(self._connection, _page(filters), parameters)
        return [
            (
                row["id"],
                AuditEntry(
                    association_id=row["association_id"],
                    actor=row["actor"],
                    action=AuditAction(row["action"]),
                    target_type=row["target_type"],
                    target_id=row["target_id"],
                    at=row["at"],
                    details=row["details"],
                ),
            )
            for row in result.mappings()
        ]
