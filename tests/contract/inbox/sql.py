"""What only the SQL adapters promise: a page of the list costs the same few statements however
many rows it has (no query per row for last messages, contacts or matches)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.contract.persistence.base import UowFactory

from wa_crm.ports.queries import ConversationQuery, Queries

from .suite import AGENT, A, InboxSearchContract


class SqlInboxSearchContract(InboxSearchContract):
    async def test_a_page_costs_the_same_statements_whatever_its_length(
        self, uow_factory: UowFactory, queries: Queries, read_engine: AsyncEngine
    ) -> None:
        await self._seed(uow_factory)
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        costs = []
        for limit in (1, 5):
            statements.clear()
            event.listen(read_engine.sync_engine, "before_cursor_execute", count)
            try:
                query = ConversationQuery(text="entrega", snoozed=None, limit=limit)
                page = await queries.inbox.page(A, query, AGENT)
            finally:
                event.remove(read_engine.sync_engine, "before_cursor_execute", count)
            assert len(page.conversations) == min(limit, 3)
            assert len(page.last_messages) == len(page.matches) == len(page.conversations)
            costs.append(len(statements))
        assert costs[0] == costs[1]
