"""The audit log page: entries newest first by id (the order of appending, whatever the clock
said) over the index on (association, id), and the names of the actors.

A page's statement depends on which filters are set: one is built per combination, on first
use, with bind parameters (see ``execution``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, bindparam, select, union_all

from wa_crm.adapters.sql.queries.read_only import ReadOnlyQueries
from wa_crm.adapters.sql.tables import agents, audit_log, contacts, conversations
from wa_crm.adapters.sql.types import UtcDateTime
from wa_crm.domain.model.audit import AuditAction, AuditEntry
from wa_crm.ports.queries import AuditQuery

_AGENT_NAMES = select(agents.c.id, agents.c.name).where(
    agents.c.association_id == bindparam("association_id")
)

_NAMED = contacts.c.display_name != ""
_TARGET_NAMES = union_all(
    select(contacts.c.id, contacts.c.display_name).where(
        contacts.c.association_id == bindparam("association_id"),
        contacts.c.id.in_(bindparam("contact_ids", expanding=True)),
        _NAMED,
    ),
    select(conversations.c.id, contacts.c.display_name)
    .join(contacts, contacts.c.id == conversations.c.contact_id)
    .where(
        conversations.c.association_id == bindparam("association_id"),
        contacts.c.association_id == bindparam("association_id"),
        conversations.c.id.in_(bindparam("conversation_ids", expanding=True)),
        _NAMED,
    ),
)


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


class SqlAuditQueries(ReadOnlyQueries):
    async def entries(
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
            for row in await self._mappings(_page(filters), parameters)
        ]

    async def agent_names(self, association_id: str) -> dict[str, str]:
        rows = await self._rows(_AGENT_NAMES, {"association_id": association_id})
        return {row.id: row.name for row in rows}

    async def target_names(
        self, association_id: str, contact_ids: Sequence[str], conversation_ids: Sequence[str]
    ) -> dict[str, str]:
        if not contact_ids and not conversation_ids:
            return {}
        parameters = {
            "association_id": association_id,
            "contact_ids": list(contact_ids),
            "conversation_ids": list(conversation_ids),
        }
        rows = await self._mappings(_TARGET_NAMES, parameters)
        return {row["id"]: row["display_name"] for row in rows}
