"""What every query port promises beside the repositories: it reads committed data only, and
never waits for a unit of work that is writing (on SQLite, for the single writer's lock)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from wa_crm.ports.queries import ConversationQuery, Queries

from .base import PersistenceContract, UowFactory
from .builders import T0, an_association

A_WHILE = 5.0
"""Far below SQLite's busy timeout (30 s): a read that queued for the writer would miss it."""


class QueriesContract(PersistenceContract):
    async def test_a_read_runs_while_a_unit_of_work_holds_its_write_open(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        association = an_association()
        async with uow_factory() as uow:
            await uow.associations.add(association)
            await uow.handoffs.record(association.id, "c1", "keyword", T0)
            await uow.commit()
        period = (T0, T0 + timedelta(hours=1))

        async with uow_factory() as writer:
            await writer.handoffs.record(association.id, "c2", "max_turns", T0)
            during = await asyncio.wait_for(
                queries.statistics.period(association.id, *period), A_WHILE
            )
            inbox = await asyncio.wait_for(
                queries.inbox.page(association.id, ConversationQuery(), "agent-1"), A_WHILE
            )
            await writer.commit()
        after = await queries.statistics.period(association.id, *period)

        # The open unit's handoff is not committed yet.
        assert during.handoffs_by_reason == {"keyword": 1}
        assert sum(inbox.counts.values()) == 0
        assert after.handoffs_by_reason == {"keyword": 1, "max_turns": 1}


class SqlQueriesContract(PersistenceContract):
    """The query adapters' engine refuses every write."""

    @pytest.fixture
    def read_engine(self) -> AsyncEngine:
        raise NotImplementedError

    @pytest.mark.parametrize(
        "statement",
        [
            "DELETE FROM jobs",
            "UPDATE associations SET slug = 'x'",
            "INSERT INTO processed_events (association_id, event_id, processed_at)"
            " VALUES ('a', 'e', '2026-01-01')",
        ],
    )
    async def test_the_read_engine_cannot_write(
        self, read_engine: AsyncEngine, statement: str
    ) -> None:
        async with read_engine.connect() as connection:
            with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
                await connection.execute(text(statement))
