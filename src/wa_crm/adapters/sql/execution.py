"""Statement execution shared by the repositories: translates unique violations to ours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Result, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.ports.unit_of_work import DuplicateKey

_UNIQUE_VIOLATIONS = {
    "23505",  # PostgreSQL unique_violation
    "SQLITE_CONSTRAINT_UNIQUE",
    "SQLITE_CONSTRAINT_PRIMARYKEY",
}


async def execute(
    connection: AsyncConnection, statement: Executable, parameters: Any = None
) -> Result[Any]:
    """Run ``statement``; a unique or primary key violation becomes ``DuplicateKey``."""
    try:
        return await connection.execute(statement, parameters)
    except IntegrityError as error:
        if _violation_code(error) in _UNIQUE_VIOLATIONS:
            raise DuplicateKey(str(error.orig)) from error
        raise


def upsert_insert(connection: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing``/``on_conflict_do_update``."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _violation_code(error: IntegrityError) -> str | None:
    orig = error.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
