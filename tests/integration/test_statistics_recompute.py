"""The monitoring statistics on a large random history match a plain recomputation in Python.

About 120,000 messages of 6,000 conversations over 60 days, in two associations, are bulk
inserted into SQLite and PostgreSQL (``backend_url``), with messages and handoffs placed exactly
on the period's bounds. ``ComputeStatistics`` then runs for 30 local days in São Paulo and in
UTC, and every figure is compared with one computed from the generated rows themselves.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support.history import HistoryChunk, HistoryShape, generate, insert_history

from wa_crm.adapters.sql import create_engine
from wa_crm.adapters.sql.engine import read_only_engine
from wa_crm.adapters.sql.queries.statistics import SqlStatisticsQueries
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.statistics import (
    AnsweredConversations,
    DailyMessages,
    FirstResponse,
    Resolution,
    Statistics,
)
from wa_crm.domain.usecases.monitoring.statistics import ComputeStatistics, StatisticsRequest
from wa_crm.testing.clock import FakeClock

SHAPE = HistoryShape(
    messages=120_000,
    conversations=6_000,
    start=datetime(2026, 1, 5, 13, 17, tzinfo=UTC),
    days=60,
)
MAIN, OTHER = SHAPE.associations
FIRST_DAY, LAST_DAY = date(2026, 1, 20), date(2026, 2, 18)
PERIODS = [(MAIN, "America/Sao_Paulo"), (MAIN, "UTC"), (OTHER, "America/Sao_Paulo")]


def bounds(tz: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    start = datetime.combine(FIRST_DAY, time(), zone)
    return start, datetime.combine(LAST_DAY + timedelta(days=1), time(), zone)


def on_the_bounds() -> HistoryChunk:
    """Messages and handoffs at, and a microsecond before, every period's start and end."""
    chunk = HistoryChunk()
    tick = timedelta(microseconds=1)
    for tz in {tz for _, tz in PERIODS}:
        instants = [instant for bound in bounds(tz) for instant in (bound - tick, bound)]
        for number, instant in enumerate(instants):
            conversation_id = f"bounds-{tz}-{number}"
            for author, direction, status in (
                ("contact", "in", "received"),
                ("bot", "out", "failed"),
                ("agent", "out", "sent"),
            ):
                chunk.messages.append(
                    {
                        "id": f"{conversation_id}-{author}",
                        "association_id": MAIN,
                        "conversation_id": conversation_id,
                        "external_id": None,
                        "direction": direction,
                        "author": author,
                        "agent_id": None,
                        "type": "text",
                        "body": "on the bound",
                        "status": status,
                        "created_at": instant,
                    }
                )
            chunk.handoffs.append(
                {
                    "association_id": MAIN,
                    "conversation_id": conversation_id,
                    "reason": "keyword",
                    "at": instant,
                    "answered_at": instant + timedelta(seconds=number) if number % 2 else None,
                }
            )
    return chunk


def recompute(history: HistoryChunk, association_id: str, tz: str) -> Statistics:
    """Straight from the rows: each message's local day, sets of conversations, a median."""
    start, end = bounds(tz)
    zone = ZoneInfo(tz)
    messages = [
        m
        for m in history.messages
        if m["association_id"] == association_id and start <= m["created_at"] < end
    ]
    per_day = Counter((m["created_at"].astimezone(zone).date(), m["direction"]) for m in messages)
    days = [FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
    by_bot = {m["conversation_id"] for m in messages if m["author"] == "bot"}
    by_agent = {m["conversation_id"] for m in messages if m["author"] == "agent"}
    handoffs = [
        h
        for h in history.handoffs
        if h["association_id"] == association_id and start <= h["at"] < end
    ]
    waits = [(h["answered_at"] - h["at"]).total_seconds() for h in handoffs if h["answered_at"]]
    first_handoffs: dict[str, datetime] = {}
    for h in history.handoffs:
        if h["association_id"] == association_id:
            known = first_handoffs.get(h["conversation_id"], h["at"])
            first_handoffs[h["conversation_id"]] = min(known, h["at"])
    resolution_times = sorted(
        (c["resolved_at"] - first_handoffs.get(c["id"], c["created_at"])).total_seconds()
        for c in history.conversations
        if c["association_id"] == association_id
        and c["resolved_at"] is not None
        and start <= c["resolved_at"] < end
        and (c["assignee_id"] is not None or c["id"] in first_handoffs)
    )
    return Statistics(
        first_day=FIRST_DAY,
        last_day=LAST_DAY,
        timezone=tz,
        messages_by_day=tuple(DailyMessages(d, per_day[d, "in"], per_day[d, "out"]) for d in days),
        answered=AnsweredConversations(by_bot_only=len(by_bot - by_agent), by_humans=len(by_agent)),
        handoffs_by_reason=dict(Counter(h["reason"] for h in handoffs)),
        first_response=FirstResponse(
            answered=len(waits),
            waiting=len(handoffs) - len(waits),
            median_seconds=statistics.median(waits) if waits else None,
        ),
        delivery_failures=sum(
            1 for m in messages if m["direction"] == "out" and m["status"] == "failed"
        ),
        resolution=Resolution(
            resolved=len(resolution_times),
            median_seconds=statistics.median(resolution_times) if resolution_times else None,
            # nearest rank: the ceil(90% of n)th
            p90_seconds=resolution_times[-(-len(resolution_times) * 9 // 10) - 1]
            if resolution_times
            else None,
        ),
    )


@pytest.fixture
async def engine(backend_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(backend_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def history(engine: AsyncEngine) -> HistoryChunk:
    """Everything inserted, kept as one chunk for the recomputation."""
    everything = HistoryChunk()
    for chunk in [*generate(SHAPE, chunk_size=1_000), on_the_bounds()]:
        async with engine.begin() as connection:
            await insert_history(connection, chunk)
        everything.conversations += chunk.conversations
        everything.messages += chunk.messages
        everything.handoffs += chunk.handoffs
    return everything


def without_median(figures: Statistics) -> Statistics:
    """Without the durations, which SQLite keeps to the millisecond."""
    return replace(
        figures,
        first_response=replace(figures.first_response, median_seconds=None),
        resolution=replace(figures.resolution, median_seconds=None, p90_seconds=None),
    )


@pytest.fixture
async def figures(engine: AsyncEngine) -> AsyncIterator[SqlStatisticsQueries]:
    reader = read_only_engine(engine)
    yield SqlStatisticsQueries(reader)
    await reader.dispose()


@pytest.mark.slow
async def test_statistics_match_a_recomputation_from_the_rows(
    figures: SqlStatisticsQueries, history: HistoryChunk
) -> None:
    compute = ComputeStatistics(figures, FakeClock())
    for association_id, tz in PERIODS:
        association = Association(association_id, association_id, "Main", SHAPE.start)
        request = StatisticsRequest(association, FIRST_DAY, LAST_DAY, tz)
        computed = (await compute(request)).unwrap()
        expected = recompute(history, association_id, tz)
        assert without_median(computed) == without_median(expected), (association_id, tz)
        # SQLite's julianday keeps milliseconds.
        median = expected.first_response.median_seconds
        assert computed.first_response.median_seconds == pytest.approx(median, abs=1e-3)
        resolution = expected.resolution
        assert computed.resolution.median_seconds == pytest.approx(
            resolution.median_seconds, abs=1e-3
        )
        assert computed.resolution.p90_seconds == pytest.approx(resolution.p90_seconds, abs=1e-3)
        assert resolution.resolved > 100 and computed.by_agent == ()
        # The history exercises every figure.
        assert sum(day.inbound + day.outbound for day in expected.messages_by_day) > 10_000
        assert expected.answered.by_bot_only > 0 and expected.answered.by_humans > 0
        assert expected.first_response.waiting > 0 and median is not None
        assert expected.delivery_failures > 0
