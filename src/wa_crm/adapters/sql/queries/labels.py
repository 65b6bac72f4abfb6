"""The label catalog with how many conversations carry each label."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select, true

from wa_crm.adapters.sql.json_arrays import json_array_values
from wa_crm.adapters.sql.queries.read_only import ReadOnlyQueries
from wa_crm.adapters.sql.tables import conversations, labels
from wa_crm.domain.model.label_catalog import DEFAULT_COLOUR, LabelUsage

_VALUES = json_array_values(conversations.c.labels).table_valued("value").alias("label")
_COUNTS = (
    select(_VALUES.c.value.label("name"), func.count().label("conversations"))
    .select_from(conversations)
    .join(_VALUES, true())
    .where(
        conversations.c.association_id == bindparam("association_id"),
        conversations.c.labels.is_not(None),
    )
    .group_by(_VALUES.c.value)
)
_CATALOG = select(labels.c.name, labels.c.colour).where(
    labels.c.association_id == bindparam("association_id")
)


class SqlLabelQueries(ReadOnlyQueries):
    async def catalog(self, association_id: str) -> Sequence[LabelUsage]:
        parameters = {"association_id": association_id}
        async with self._reading() as connection:
            counts = {
                row.name: row.conversations for row in await connection.execute(_COUNTS, parameters)
            }
            colours = {
                row.name: row.colour for row in await connection.execute(_CATALOG, parameters)
            }
        return [
            LabelUsage(name, colours.get(name, DEFAULT_COLOUR), counts.get(name, 0))
            for name in sorted(set(colours) | set(counts))
        ]
