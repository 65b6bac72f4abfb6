"""Delivery by ``wa-crm worker`` processes through the WAHA simulator over HTTP: a worker killed
with SIGKILL in the middle of a backlog leaves nothing undelivered once a worker runs again, and
sends nothing twice (what it had in flight is found in the chat before it is sent again); three
workers on PostgreSQL drain 1,500 messages without sending any twice and within the
session's and the chats' rate limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.integration.delivery_support import (
    SECRET_KEY,
    Waha,
    WorkerProcess,
    assert_delivered_in_order,
    busiest_window,
    create_association,
    duplicates,
    open_chats,
    queue_backlog,
    recording_simulator,
    sent_at,
    shortest_chat_gap,
    status_counts,
)

from wa_crm.container import Container, build_container, close_resources
from wa_crm.settings import Settings


@pytest.fixture
async def waha() -> AsyncIterator[Waha]:
    async with recording_simulator() as running:
        yield running


def setup_container(database_url: str, media_dir: Path) -> Container:
    """Queues the backlog and reads the outcome; the worker processes send."""
    settings = Settings(
        database_url=database_url, workers=0, secret_key=SECRET_KEY, media_dir=str(media_dir)
    )
    return build_container(settings)


@pytest.fixture
async def container(backend_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    built = setup_container(backend_url, tmp_path / "media")
    yield built
    await close_resources(built)


# --- 2. a worker killed in the middle of a backlog --------------------------------------------


@pytest.mark.slow
async def test_a_worker_killed_mid_backlog_loses_nothing(
    container: Container, waha: Waha, backend_url: str, tmp_path: Path
) -> None:
    association = await create_association(
        container, waha.url, messages_per_second=40, chat_gap_seconds=0.02
    )
    chats = await open_chats(container, association, 60)
    queued = await queue_backlog(container, association, chats, per_chat=2)
    # SQLite has one writer, so one job loop; PostgreSQL takes two in the process
    loops = 1 if backend_url.startswith("sqlite") else 2

    def worker() -> WorkerProcess:
        return WorkerProcess(
            backend_url, tmp_path / "media", tmp_path / "worker.log", loops, lease_seconds=3
        )

    doomed = worker()
    await doomed.start()
    try:
        await waha.wait_for_texts(len(queued) // 3, within=30)
    finally:
        await doomed.kill()
    at_kill = len(await waha.sent_texts())

    survivor = worker()
    await survivor.start()
    try:
        await waha.wait_for_texts(len(queued), within=30)
        await asyncio.sleep(0.3)  # a late second copy would show now
    finally:
        await survivor.stop()

    sent = await waha.sent_texts()
    resent = duplicates(sent)
    print(
        f"killed after {at_kill} of {len(queued)} sends; {len(resent)} sent twice "
        f"({loops} in flight at most): {sorted(resent)}"
    )
    assert_delivered_in_order(queued, sent)
    assert not resent, "a send the killed worker began is looked for before it goes again"
    assert await status_counts(container) == {"sent": len(queued)}


# --- 3. three workers on PostgreSQL -----------------------------------------------------------


async def wait_until_sent(container: Container, count: int, within: float) -> None:
    """Watch the database, not the simulator: listing thousands of sends would hold up the
    simulator's event loop and bunch the times it records."""
    deadline = time.monotonic() + within
    while (await status_counts(container)).get("sent", 0) < count:
        assert time.monotonic() < deadline, f"not all {count} messages were sent in time"
        await asyncio.sleep(0.5)


# 1,500 sends: 15 s at the limit, so that the busiest second and the busiest five seconds are
# both measured while the limit binds
CHATS, PER_CHAT = 150, 10
# 100/s binds: three workers on this two-core machine send about that many at most
RATE, CHAT_GAP = 100, 0.05
# Each send leaves within half an interval of its own slot, so a one-second window holds the
# sends of at most RATE + 1 slots, as the workers see them. The simulator stamps a send when
# its event loop handles it, and on this two-core machine three workers, PostgreSQL and the
# test process take turns: a process held back for up to 100 ms (measured: 50 to 80 ms, idle
# machine, at the commit before issue 14 as well) makes late sends land beside punctual ones.
# The slack is that stall in sends, not a looser limiter.
RATE_SLACK = RATE // 10
GAP_TOLERANCE = 0.005


@pytest.mark.postgres
@pytest.mark.slow
async def test_three_workers_drain_a_backlog_within_the_rate_limits(
    postgres_url: str, waha: Waha, tmp_path: Path
) -> None:
    container = setup_container(postgres_url, tmp_path / "media")
    try:
        association = await create_association(
            container, waha.url, messages_per_second=RATE, chat_gap_seconds=CHAT_GAP
        )
        chats = await open_chats(container, association, CHATS)
        queued = await queue_backlog(container, association, chats, per_chat=PER_CHAT)
        workers = [
            WorkerProcess(postgres_url, tmp_path / "media", tmp_path / f"worker-{n}.log", loops=4)
            for n in range(3)
        ]
        started = time.monotonic()
        await asyncio.gather(*(worker.start() for worker in workers))
        try:
            # only a guard against a hang: in a parallel run the other tests share the two cores
            await wait_until_sent(container, len(queued), within=180)
            drained = time.monotonic() - started
            await asyncio.sleep(0.3)
        finally:
            await asyncio.gather(*(worker.stop() for worker in workers))
        sent = await waha.sent_texts()
        counts = await status_counts(container)
    finally:
        await close_resources(container)

    times = [sent_at(record) for record in sent]
    busiest, busiest_five = busiest_window(times), busiest_window(times, 5)
    gap = shortest_chat_gap(sent)
    print(
        f"{len(sent)} sends in {drained:.1f} s (processes started included), "
        f"{len(sent) / (max(times) - min(times)):.0f}/s while sending; busiest second "
        f"{busiest} (limit {RATE}), busiest 5 s {busiest_five}; shortest gap in a chat "
        f"{gap * 1000:.0f} ms "
        f"(limit {CHAT_GAP * 1000:.0f} ms)"
    )
    assert not duplicates(sent), "no message sent twice"
    assert_delivered_in_order(queued, sent)
    assert counts == {"sent": len(queued)}
    assert busiest <= RATE + RATE_SLACK
    assert busiest_five <= 5 * RATE + RATE_SLACK
    assert gap >= CHAT_GAP - GAP_TOLERANCE
