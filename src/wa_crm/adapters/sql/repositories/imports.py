"""Registry imports: one row per uploaded file, with its progress and resume point."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute
from wa_crm.adapters.sql.tables import imports
from wa_crm.domain.model.imports import Import, ImportKind, ImportStatus, RowError

_IN_ASSOCIATION = imports.c.association_id == bindparam("association_id")
_ADD = insert(imports)
_UPDATE = update(imports).where(imports.c.id == bindparam("key_id"))
# SQLite compiles FOR UPDATE to nothing; its unit of work already holds the one write lock.
_BY_ID = select(imports).where(_IN_ASSOCIATION, imports.c.id == bindparam("id")).with_for_update()


def _row(job: Import) -> dict[str, Any]:
    return {
        "id": job.id,
        "association_id": job.association_id,
        "kind": job.kind.value,
        "status": job.status.value,
        "file_key": job.file_key,
        "rows_done": job.rows_done,
        "imported": job.imported,
        "bad_rows": job.bad_rows,
        "errors": [{"line": e.line, "reason": e.reason} for e in job.errors],
        "error": job.error,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "finished_at": job.finished_at,
        "file_offset": job.file_offset,
        "lines_read": job.lines_read,
    }


def import_from_row(row: RowMapping) -> Import:
    return Import(
        id=row["id"],
        association_id=row["association_id"],
        kind=ImportKind(row["kind"]),
        file_key=row["file_key"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        status=ImportStatus(row["status"]),
        rows_done=row["rows_done"],
        imported=row["imported"],
        bad_rows=row["bad_rows"],
        errors=tuple(RowError(e["line"], e["reason"]) for e in row["errors"]),
        error=row["error"],
        finished_at=row["finished_at"],
        file_offset=row["file_offset"],
        lines_read=row["lines_read"],
    )


class SqlImportRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, job: Import) -> None:
        await execute(self._connection, _ADD, _row(job))

    async def update(self, job: Import) -> None:
        await execute(self._connection, _UPDATE, _row(job) | {"key_id": job.id})

    async def get(self, association_id: str, import_id: str) -> Import | None:
        parameters = {"association_id": association_id, "id": import_id}
        row = (await execute(self._connection, _BY_ID, parameters)).mappings().first()
        return None if row is None else import_from_row(row)
