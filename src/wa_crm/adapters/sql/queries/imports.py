"""The list of CSV imports."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Integer, bindparam, select

from wa_crm.adapters.sql.queries.read_only import ReadOnlyQueries
from wa_crm.adapters.sql.repositories.imports import import_from_row
from wa_crm.adapters.sql.tables import imports
from wa_crm.domain.model.imports import Import

_RECENT = (
    select(imports)
    .where(imports.c.association_id == bindparam("association_id"))
    .order_by(imports.c.created_at.desc(), imports.c.id.desc())
    .limit(bindparam("limit", type_=Integer))
)


class SqlImportQueries(ReadOnlyQueries):
    async def recent(self, association_id: str, limit: int) -> Sequence[Import]:
        parameters = {"association_id": association_id, "limit": limit}
        return [import_from_row(row) for row in await self._mappings(_RECENT, parameters)]
