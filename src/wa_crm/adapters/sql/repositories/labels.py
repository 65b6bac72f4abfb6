"""The label catalog, and the label names conversations carry (``conversations.labels``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Executable,
    Integer,
    bindparam,
    delete,
    exists,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.json_arrays import json_array_values
from wa_crm.adapters.sql.tables import conversations, labels
from wa_crm.domain.model.label_catalog import Label, relabelled

_KEY = (
    labels.c.association_id == bindparam("association_id"),
    labels.c.name == bindparam("name"),
)
_LABEL = select(labels).where(*_KEY)
_UPDATE = (
    update(labels)
    .where(
        labels.c.association_id == bindparam("key_association_id"),
        labels.c.name == bindparam("key_name"),
    )
    .values(colour=bindparam("new_colour"))
)
_DELETE = delete(labels).where(*_KEY)

_VALUES = json_array_values(conversations.c.labels).table_valued("value")
_CARRYING = (
    conversations.c.association_id == bindparam("association_id"),
    conversations.c.labels.is_not(None),
    exists(
        select(literal_column("1", Integer))
        .select_from(_VALUES)
        .where(_VALUES.c.value == bindparam("name"))
    ),
)
_CARRIED = select(func.count()).select_from(conversations).where(*_CARRYING)
# Locked, so that an agent labelling one of them meanwhile waits instead of being overwritten.
_CARRIERS = (
    select(conversations.c.id, conversations.c.labels)
    .where(*_CARRYING)
    .order_by(conversations.c.id)
    .with_for_update()
)
_SET_LABELS = (
    update(conversations)
    .where(conversations.c.id == bindparam("key_id"))
    .values(labels=bindparam("new_labels", type_=conversations.c.labels.type))
)


@per_dialect
def _add_if_absent(dialect: str) -> Executable:
    return upsert_insert(dialect, labels).on_conflict_do_nothing().returning(labels.c.name)


class SqlLabelRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, association_id: str, name: str) -> Label | None:
        result = await execute(
            self._connection, _LABEL, {"association_id": association_id, "name": name}
        )
        row = result.mappings().first()
        return None if row is None else Label(**row)

    async def add_if_absent(self, label: Label) -> bool:
        row = {
            "association_id": label.association_id,
            "name": label.name,
            "colour": label.colour,
            "created_at": label.created_at,
        }
        result = await execute(self._connection, _add_if_absent(self._connection), row)
        return result.first() is not None

    async def update(self, label: Label) -> None:
        parameters = {
            "key_association_id": label.association_id,
            "key_name": label.name,
            "new_colour": label.colour,
        }
        await execute(self._connection, _UPDATE, parameters)

    async def delete(self, association_id: str, name: str) -> bool:
        parameters = {"association_id": association_id, "name": name}
        result = await execute(self._connection, _DELETE, parameters)
        return result.rowcount > 0

    async def carried(self, association_id: str, name: str) -> int:
        parameters = {"association_id": association_id, "name": name}
        result = await execute(self._connection, _CARRIED, parameters)
        return int(result.scalar_one())

    async def relabel(self, association_id: str, old: str, new: str | None) -> int:
        parameters = {"association_id": association_id, "name": old}
        carriers = (await execute(self._connection, _CARRIERS, parameters)).all()
        if not carriers:
            return 0
        changes: list[dict[str, Any]] = [
            {"key_id": row.id, "new_labels": list(relabelled(tuple(row.labels), old, new)) or None}
            for row in carriers
        ]
        await execute(self._connection, _SET_LABELS, changes)
        return len(changes)
