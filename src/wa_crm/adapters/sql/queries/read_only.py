"""What the query adapters share: a read-only engine, one short transaction per query."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import Executable, Row, RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from wa_crm.adapters.sql.execution import execute

StatementOf = Executable | Callable[[AsyncConnection], Executable]
"""A statement, or (``execution.per_dialect``) what builds it for the connection's dialect."""


class ReadOnlyQueries:
    """Base of the SQL query adapters.

    ``engine`` comes from ``create_engine(url, read_only=True)``: its transactions cannot write,
    and on SQLite they read a snapshot beside the writer instead of taking its lock. Each query
    checks a connection out, reads, and gives it back (the transaction rolls back); one that
    needs several statements to agree runs them on one connection (``_reading``).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def _reading(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for several reads of one snapshot."""
        return self._engine.connect()

    async def _rows(
        self, statement: StatementOf, parameters: Mapping[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        async with self._reading() as connection:
            built = statement(connection) if callable(statement) else statement
            return (await execute(connection, built, parameters)).all()

    async def _mappings(
        self, statement: StatementOf, parameters: Mapping[str, Any] | None = None
    ) -> list[RowMapping]:
        return [row._mapping for row in await self._rows(statement, parameters)]
