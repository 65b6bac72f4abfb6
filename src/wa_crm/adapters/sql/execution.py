"""Statement execution shared by the repositories.

The repositories build each statement once, at import, with ``bindparam`` placeholders, and run
it with a dict of parameters. Building a Core statement (coercing values, comparisons that make
bind parameters, ``excluded``, ``case``) and then generating its cache key used to cost more than
the database round trip; SQLAlchemy memoizes the cache key on the statement object, so reusing
one object skips both. Bind parameters compared with a column take the column's type, and an
``INSERT``/``UPDATE`` without ``.values()`` binds the parameters to its columns, so the column
types (UTC datetimes, money, JSON) still apply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import CursorResult, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.ports.unit_of_work import DuplicateKey

_UNIQUE_VIOLATIONS = {
    "23505",  # PostgreSQL unique_violation
    "SQLITE_CONSTRAINT_UNIQUE",
    "SQLITE_CONSTRAINT_PRIMARYKEY",
}

Statement = TypeVar("Statement", bound=Executable)
UpsertInsert = postgresql.Insert | sqlite.Insert
Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
"""One row's bound values by name, or many rows' (executemany)."""


async def execute(
    connection: AsyncConnection, statement: Executable, parameters: Parameters = None
) -> CursorResult[Any]:
    """Run ``statement``; a unique or primary key violation becomes ``DuplicateKey``."""
    try:
        return await connection.execute(statement, parameters)
    except IntegrityError as error:
        if _violation_code(error) in _UNIQUE_VIOLATIONS:
            raise DuplicateKey(str(error.orig)) from error
        raise


def per_dialect(
    build: Callable[[str], Statement],
) -> Callable[[AsyncConnection], Statement]:
    """``build(dialect_name)`` once per dialect, on first use: upserts (``ON CONFLICT``) are
    dialect constructs, so they cannot be built at import like the other statements."""
    built: dict[str, Statement] = {}

    def statement(connection: AsyncConnection) -> Statement:
        name = connection.dialect.name
        if name not in built:
            built[name] = build(name)
        return built[name]

    return statement


def upsert_insert(dialect_name: str, table: Table) -> UpsertInsert:
    """The dialect's INSERT, which has ``on_conflict_do_nothing``/``on_conflict_do_update``."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _violation_code(error: IntegrityError) -> str | None:
    orig = error.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
