"""Retention on SQLite and PostgreSQL (``backend_url``): the daily job purges exactly what is
older than the period, files included (a filesystem media store), and every statistic of the
purged period stays what it was; the statistics still read the messages through their indexes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.history import HistoryShape, generate, insert_history

from wa_crm.adapters.media.filesystem import FilesystemMediaStore
from wa_crm.adapters.sql import SqlUnitOfWork, create_engine
from wa_crm.adapters.sql.engine import read_only_engine
from wa_crm.adapters.sql.knowledge_base import SqlKnowledgeBase
from wa_crm.adapters.sql.queries import statistics as queries
from wa_crm.adapters.sql.queries.statistics import SqlStatisticsQueries
from wa_crm.adapters.sql.tables import messages as messages_table
from wa_crm.domain.model.association import Association, PrivacySettings
from wa_crm.domain.model.job_commands import PurgeExpired
from wa_crm.domain.model.jobs import Job
from wa_crm.domain.model.message import (
    Author,
    Direction,
    Media,
    Message,
    MessageStatus,
    MessageType,
)
from wa_crm.domain.model.statistics import Statistics
from wa_crm.domain.usecases.monitoring.statistics import ComputeStatistics, StatisticsRequest
from wa_crm.domain.usecases.privacy.retention import PurgeExpiredMessages, purge_job
from wa_crm.ports.queries import StatisticsQueries
from wa_crm.ports.system import SecretCipher
from wa_crm.ports.unit_of_work import UnitOfWork
from wa_crm.testing.clock import FakeClock

UowFactory = Callable[[], UnitOfWork]
TICK = timedelta(microseconds=1)


@pytest.fixture
async def engine(backend_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(backend_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow_factory(engine: AsyncEngine, cipher: SecretCipher) -> UowFactory:
    return lambda: SqlUnitOfWork(engine, cipher)


@pytest.fixture
async def knowledge(engine: AsyncEngine) -> AsyncIterator[SqlKnowledgeBase]:
    reader = read_only_engine(engine)
    yield SqlKnowledgeBase(engine, reader)
    await reader.dispose()


@pytest.fixture
async def figures(engine: AsyncEngine) -> AsyncIterator[StatisticsQueries]:
    reader = read_only_engine(engine)
    yield SqlStatisticsQueries(reader)
    await reader.dispose()


async def add_association(uow_factory: UowFactory, association_id: str, days: int | None) -> None:
    privacy = PrivacySettings(retention_days=days)
    created = datetime(2025, 1, 1, tzinfo=UTC)
    async with uow_factory() as uow:
        await uow.associations.add(
            Association(association_id, association_id, "A", created, privacy=privacy)
        )
        await uow.commit()


async def run_purge(
    uow_factory: UowFactory, purge: PurgeExpiredMessages, association_id: str
) -> Job:
    now = purge.clock.now()
    async with uow_factory() as uow:
        job = await uow.jobs.schedule(purge_job(association_id, now), now)
        await uow.commit()
    await purge(PurgeExpired(association_id), job.attempt)
    async with uow_factory() as uow:
        rescheduled = await uow.jobs.get_by_key(job.key)
    assert rescheduled is not None
    return rescheduled


async def statistics(
    figures: StatisticsQueries, association_id: str, days: tuple[date, date], tz: str
) -> Statistics:
    compute = ComputeStatistics(figures, FakeClock())
    association = Association(association_id, association_id, "A", datetime(2025, 1, 1, tzinfo=UTC))
    return (await compute(StatisticsRequest(association, days[0], days[1], tz))).unwrap()


def message(message_id: str, association_id: str, at: datetime, with_file: bool) -> Message:
    media = None
    if with_file:
        url = f"{association_id}/inbound/{message_id}"
        media = Media(url, "image/png", f"{message_id}.png", stored=True)
    return Message(
        message_id,
        association_id,
        "c1",
        Direction.IN,
        Author.CONTACT,
        MessageType.IMAGE if with_file else MessageType.TEXT,
        "uma mensagem",
        MessageStatus.RECEIVED,
        at,
        media=media,
    )


async def test_the_job_purges_exactly_what_is_older_than_the_period_files_included(
    uow_factory: UowFactory,
    tmp_path: Path,
    figures: StatisticsQueries,
    knowledge: SqlKnowledgeBase,
) -> None:
    clock = FakeClock(datetime(2026, 3, 31, 13, 30, 15, 250_000, tzinfo=UTC))
    media = FilesystemMediaStore(tmp_path / "media")
    purge = PurgeExpiredMessages(uow_factory, media, clock, knowledge, batch_size=3)
    await add_association(uow_factory, "main", days=30)
    await add_association(uow_factory, "other", days=None)
    cutoff = clock.now() - timedelta(days=30)
    ages = {
        "ancient": timedelta(days=-300),
        "day-before": timedelta(days=-1),
        "second-before": timedelta(seconds=-1),
        "tick-before": -TICK,
        "at-cutoff": timedelta(0),
        "tick-after": TICK,
        "today": timedelta(days=30),
    }
    messages = [
        message(name, "main", cutoff + age, with_file=n % 2 == 0)
        for n, (name, age) in enumerate(ages.items())
    ]
    messages.append(message("other-ancient", "other", cutoff - timedelta(days=300), True))
    async with uow_factory() as uow:
        for item in messages:
            await uow.messages.add(item)
            if item.media is not None:
                await media.put(item.media.url or "", item.id.encode(), item.media.mimetype)
        await uow.commit()
    period = (date(2025, 4, 1), date(2026, 3, 31))
    before = await statistics(figures, "main", period, "America/Sao_Paulo")

    job = await run_purge(uow_factory, purge, "main")
    await run_purge(uow_factory, purge, "other")

    purged = {"ancient", "day-before", "second-before", "tick-before"}
    async with uow_factory() as uow:
        left = {m.id for m in await uow.messages.all_of_conversation("main", "c1")}
        left |= {m.id for m in await uow.messages.all_of_conversation("other", "c1")}
    assert left == {m.id for m in messages} - purged
    for item in messages:
        if item.media is not None:
            kept = await media.get(item.media.url or "")
            assert (kept is None) == (item.id in purged), item.id
    files = sorted(p.read_bytes() for p in (tmp_path / "media").rglob("*") if p.is_file())
    assert files == [b"at-cutoff", b"other-ancient", b"today"]
    assert job.run_after == clock.now() + timedelta(days=1)
    assert await statistics(figures, "main", period, "America/Sao_Paulo") == before
    assert sum(day.inbound for day in before.messages_by_day) == len(ages)


HISTORY = HistoryShape(
    messages=12_000,
    conversations=600,
    start=datetime(2026, 1, 5, 13, 17, tzinfo=UTC),
    days=30,
)
MAIN, OTHER = HISTORY.associations


async def test_statistics_of_a_purged_history_are_unchanged(
    engine: AsyncEngine,
    uow_factory: UowFactory,
    tmp_path: Path,
    figures: StatisticsQueries,
    knowledge: SqlKnowledgeBase,
) -> None:
    """A random history (bots, agents, handoffs, failures), purged up to a cut-off in the
    middle of an hour: figures over local days in São Paulo and in UTC stay the same."""
    generated = []
    for chunk in generate(HISTORY, chunk_size=200):
        async with engine.begin() as connection:
            await insert_history(connection, chunk)
        generated += chunk.messages
    await add_association(uow_factory, MAIN, days=15)
    await add_association(uow_factory, OTHER, days=None)
    clock = FakeClock(HISTORY.start + timedelta(days=30, minutes=21))
    purge = PurgeExpiredMessages(uow_factory, FilesystemMediaStore(tmp_path), clock, knowledge)
    days = (date(2026, 1, 4), date(2026, 2, 5))
    weeks = [
        (date(2026, 1, 4) + timedelta(days=7 * n), date(2026, 1, 10) + timedelta(days=7 * n))
        for n in range(5)
    ]
    periods = [
        (association, period, tz)
        for association in (MAIN, OTHER)
        for period in (days, *weeks)
        for tz in ("America/Sao_Paulo", "UTC")
    ]
    before = [await statistics(figures, *period) for period in periods]

    await run_purge(uow_factory, purge, MAIN)

    cutoff = clock.now() - timedelta(days=15)
    async with engine.connect() as connection:
        remaining = set((await connection.execute(select(messages_table.c.id))).scalars())
    purged = {
        m["id"] for m in generated if m["association_id"] == MAIN and m["created_at"] < cutoff
    }
    assert remaining == {m["id"] for m in generated} - purged
    assert len(purged) > len(remaining) / 4  # a good part of the history
    after = [await statistics(figures, *period) for period in periods]
    for period, was, now in zip(periods, before, after, strict=True):
        assert now == was, period
    assert before[0].answered.by_humans > 0 and before[0].delivery_failures > 0


@pytest.mark.parametrize(
    ("name", "statement", "messages_index"),
    [
        ("hourly", queries._hourly, "ix_messages_statistics"),
        ("answered", lambda _: queries._ANSWERED, "ix_messages_statistics"),
        ("failures", lambda _: queries._FAILURES, "ix_messages_failed_association_id_created_at"),
    ],
)
async def test_the_statistics_read_messages_from_their_indexes(
    engine: AsyncEngine, name: str, statement: Any, messages_index: str
) -> None:
    """Messages from their covering index, rollups from their key. With sequential scans off
    (PostgreSQL), so that the plan shows whether an index can be used at all, not whether a
    tiny table makes it worth it."""
    parameters = {
        "association_id": MAIN,
        "start": datetime(2026, 1, 1, 3, tzinfo=UTC),
        "end": datetime(2026, 2, 1, 3, tzinfo=UTC),
    }
    async with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            await connection.execute(text("SET LOCAL enable_seqscan = off"))
        built = statement(connection)
        plan = await connection.run_sync(explain, built, parameters, postgres)
    covering = "Index Only Scan using" if postgres else "USING COVERING INDEX"
    if name == "failures" and not postgres:
        covering = "USING INDEX"  # a partial index: its condition covers the other columns
    assert f"{covering} {messages_index}" in plan, plan
    rollups_key = "pk_message_rollups" if postgres else "sqlite_autoindex_message_rollups_1"
    assert rollups_key in plan, plan
    assert not re.search(r"(SCAN|Seq Scan on) messages\b", plan), plan


def explain(
    connection: Connection, statement: Any, parameters: dict[str, Any], postgres: bool
) -> str:
    """The plan of ``statement`` as the repository runs it (same SQL, same parameters)."""
    prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "

    def prepend(*args: Any) -> tuple[str, Any]:
        sql, parameters_ = args[2], args[3]
        return prefix + sql, parameters_

    event.listen(connection, "before_cursor_execute", prepend, retval=True)
    try:
        rows = connection.execute(statement, parameters).cursor.fetchall()
    finally:
        event.remove(connection, "before_cursor_execute", prepend)
    return "\n".join(str(row[0] if postgres else row[-1]) for row in rows)
