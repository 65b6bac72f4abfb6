"""Monitoring statistics and the inbox list on small and large tables, SQLite and PostgreSQL.

A random history (``tests.support.history``: 10 messages per conversation over 60 days, three
quarters of it in the measured association, the rest in another) is bulk inserted at each size;
PostgreSQL then gets the ``VACUUM ANALYZE`` its autovacuum would run. Measured, as the service
runs them (the query ports on a read-only engine, a transaction per query): ``ComputeStatistics``
for the last 30 days in São Paulo, and the inbox's first page, unfiltered and for pending
conversations. Ceilings, through the raw driver
(sqlite3, asyncpg) in the same run: ``count(*)`` of the messages of the same range and a
``LIMIT 50`` page read in index order. Reported: p95 of each, the ratio ceiling/ours, and how
much each grows from the smallest size to the largest.

    python -m bench.stats_inbox [--sizes 10000,1000000] [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from tests.support.history import HistoryShape, generate, insert_history

from bench.bot_turns import percentile
from bench.ingest_webhooks import postgres_database
from wa_crm.adapters.sql import create_engine, upgrade
from wa_crm.adapters.sql.queries import sql_queries
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.conversation import ConversationStatus
from wa_crm.domain.usecases.monitoring.statistics import (
    DEFAULT_DAYS,
    ComputeStatistics,
    StatisticsRequest,
    day_bounds,
    zone,
)
from wa_crm.ports.queries import ConversationQuery
from wa_crm.testing.clock import FakeClock

TIMEZONE = "America/Sao_Paulo"
HISTORY_START = datetime(2026, 1, 1, 3, tzinfo=UTC)
HISTORY_DAYS = 60
LAST_DAY = date(2026, 3, 1)
FIRST_DAY = LAST_DAY - timedelta(days=DEFAULT_DAYS - 1)
PENDING = ConversationQuery(statuses=(ConversationStatus.PENDING,))

# The ceilings, through the raw drivers; the same text on both (asyncpg's placeholders differ).
COUNT = (
    "SELECT count(*) FROM messages WHERE association_id = {0} AND created_at >= {1}"
    " AND created_at < {2}"
)
PAGE = (
    "SELECT * FROM conversations WHERE association_id = {0} {filter}"
    " ORDER BY last_message_at DESC, id DESC LIMIT 50"
)

Timed = Callable[[], Awaitable[Any]]


@dataclass
class Figures:
    """p95 in milliseconds, ours and the ceiling's, per operation."""

    database: str
    messages: int
    ours: dict[str, float]
    ceiling: dict[str, float]


async def p95(action: Timed, runs: int) -> float:
    await action()  # warm the caches and the compiled statements
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        durations.append((time.perf_counter() - started) * 1000)
    return percentile(durations, 0.95)


async def load(url: str, shape: HistoryShape) -> None:
    await upgrade(url)
    engine = create_engine(url)
    try:
        for chunk in generate(shape, chunk_size=5_000):
            async with engine.begin() as connection:
                await insert_history(connection, chunk)
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()


async def measure_ours(url: str, association: Association, runs: int) -> dict[str, float]:
    engine = create_engine(url, read_only=True)
    queries = sql_queries(engine)
    compute = ComputeStatistics(queries.statistics, FakeClock())
    request = StatisticsRequest(association, FIRST_DAY, LAST_DAY, TIMEZONE)

    async def statistics() -> None:
        (await compute(request)).unwrap()

    def inbox(query: ConversationQuery) -> Timed:
        async def page() -> None:
            assert (await queries.inbox.page(association.id, query, "agent")).conversations

        return page

    try:
        return {
            "statistics": await p95(statistics, runs),
            "inbox": await p95(inbox(ConversationQuery()), runs * 10),
            "inbox pending": await p95(inbox(PENDING), runs * 10),
        }
    finally:
        await engine.dispose()


def period() -> tuple[datetime, datetime]:
    return day_bounds(FIRST_DAY, LAST_DAY, zone(TIMEZONE).unwrap())


async def ceiling_sqlite(path: str, association_id: str, runs: int) -> dict[str, float]:
    database = sqlite3.connect(path)
    start, end = (bound.replace(tzinfo=None).isoformat(" ", "microseconds") for bound in period())
    count = COUNT.format("?", "?", "?")

    def query(sql: str, *parameters: str) -> Timed:
        async def run() -> None:
            database.execute(sql, parameters).fetchall()

        return run

    try:
        return {
            "statistics": await p95(query(count, association_id, start, end), runs),
            "inbox": await p95(query(PAGE.format("?", filter=""), association_id), runs * 10),
            "inbox pending": await p95(
                query(PAGE.format("?", filter="AND status = ?"), association_id, "pending"),
                runs * 10,
            ),
        }
    finally:
        database.close()


async def ceiling_postgres(url: str, association_id: str, runs: int) -> dict[str, float]:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    start, end = period()

    def query(sql: str, *parameters: Any) -> Timed:
        async def run() -> None:
            await connection.fetch(sql, *parameters)

        return run

    try:
        return {
            "statistics": await p95(
                query(COUNT.format("$1", "$2", "$3"), association_id, start, end), runs
            ),
            "inbox": await p95(query(PAGE.format("$1", filter=""), association_id), runs * 10),
            "inbox pending": await p95(
                query(PAGE.format("$1", filter="AND status = $2"), association_id, "pending"),
                runs * 10,
            ),
        }
    finally:
        await connection.close()


async def run_size(
    database: str, url: str, sqlite_path: str | None, messages: int, runs: int
) -> Figures:
    shape = HistoryShape(
        messages=messages, conversations=messages // 10, start=HISTORY_START, days=HISTORY_DAYS
    )
    await load(url, shape)
    association = Association(shape.associations[0], "bench", "Bench", HISTORY_START)
    ours = await measure_ours(url, association, runs)
    if sqlite_path is None:
        ceiling = await ceiling_postgres(url, association.id, runs)
    else:
        ceiling = await ceiling_sqlite(sqlite_path, association.id, runs)
    return Figures(database, messages, ours, ceiling)


def report(results: list[Figures], runs: int) -> list[str]:
    lines = [
        "## Statistics and inbox on large tables (`python -m bench.stats_inbox`)",
        "",
        "A random history, 10 messages per conversation over 60 days, 3/4 of it in the measured",
        f"association. p95 of {runs} runs of `ComputeStatistics` (30 days, {TIMEZONE}) and of",
        f"{runs * 10} first pages of the inbox (50 conversations), each in its own unit of work.",
        "Ceilings through the raw driver: `count(*)` of the same messages range (index-only)",
        "and a `LIMIT 50` page in index order. PostgreSQL after `VACUUM ANALYZE`.",
        "",
        "| database | messages / conversations | operation | p95 ms | ceiling p95 ms | "
        "ceiling / ours |",
        "|---|---|---|---|---|---|",
    ]
    for figures in results:
        for operation, ours in figures.ours.items():
            ceiling = figures.ceiling[operation]
            lines.append(
                f"| {figures.database} | {figures.messages:,} / {figures.messages // 10:,} | "
                f"{operation} | {ours:.2f} | {ceiling:.3f} | {ceiling / ours:.2f} |"
            )
    lines += [
        "",
        "| database | operation | growth, smallest to largest size | ceiling's growth |",
        "|---|---|---|---|",
    ]
    for database in dict.fromkeys(figures.database for figures in results):
        sizes = [figures for figures in results if figures.database == database]
        smallest, largest = sizes[0], sizes[-1]
        for operation, ours in largest.ours.items():
            growth = ours / smallest.ours[operation]
            ceiling = largest.ceiling[operation] / smallest.ceiling[operation]
            lines.append(f"| {database} | {operation} | {growth:.1f}x | {ceiling:.1f}x |")
    lines.append("")
    print("\n".join(lines))
    return lines


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000", help="messages, comma-separated")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    results = []
    for messages in sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = str(Path(folder) / "bench.db")
            url = f"sqlite+aiosqlite:///{path}"
            results.append(asyncio.run(run_size("SQLite", url, path, messages, args.runs)))
    for messages in sizes:
        with postgres_database() as url:
            results.append(asyncio.run(run_size("PostgreSQL", url, None, messages, args.runs)))
    return report(results, args.runs)


if __name__ == "__main__":
    main()
