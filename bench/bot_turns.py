"""Orchestration overhead of one bot turn, without model latency (the rules provider answers at
once), on SQLite and PostgreSQL.

A turn loads the conversation, contact, patient and history, decides, queues the reply and its
deliver job, and commits. The raw ceiling measured in the same run is one transaction that
reads one row and writes one row on the same database.

    python -m bench.bot_turns [--turns 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import text

from bench.ingest_webhooks import postgres_database
from wa_crm.adapters.ai import RulesProvider
from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.sql import SqlUnitOfWork, create_engine, upgrade
from wa_crm.adapters.system.clock import SystemClock
from wa_crm.adapters.system.ids import TimeOrderedIdGenerator
from wa_crm.adapters.system.secrets import FernetSecretCipher
from wa_crm.container import fact_handlers
from wa_crm.domain.model.association import Association, BotSettings, WhatsAppSettings
from wa_crm.domain.model.job_codec import command_of
from wa_crm.domain.model.job_commands import BotTurn
from wa_crm.domain.model.jobs import Attempt, Job
from wa_crm.domain.model.message import MessageType
from wa_crm.domain.model.whatsapp_events import InboundMessage, IncomingEvent
from wa_crm.domain.usecases.bot.bot_turn import RunBotTurn
from wa_crm.domain.usecases.inbound.ingest import IngestWhatsAppEvent
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.domain.usecases.runtime.message_bus import MessageBus


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def timed(action: Callable[[], Awaitable[None]], times: int) -> list[float]:
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        await action()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


async def measure(url: str, turns: int) -> tuple[list[float], list[float]]:
    await upgrade(url)
    engine = create_engine(url)
    cipher, clock, ids = (
        FernetSecretCipher("bench-secret-key-0123"),
        SystemClock(),
        TimeOrderedIdGenerator(),
    )
    publish = MessageBus(fact_handlers(InMemoryEventBus(clock)))  # as the service publishes

    def uow_factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, cipher, publish)

    async with uow_factory() as uow:
        await uow.associations.add(
            Association(
                "a",
                "bench",
                "Bench",
                clock.now(),
                whatsapp=WhatsAppSettings("http://waha", "k", "s", ""),
                bot=BotSettings(debounce_seconds=0, typing_seconds=0),
            )
        )
        await uow.commit()
    ingest = IngestWhatsAppEvent(uow_factory, clock, ids)
    for number in range(turns):
        chat = f"55119{number:08d}@c.us"
        event = InboundMessage(
            f"false_{chat}_{number}", chat, False, MessageType.TEXT, "Oi", clock.now()
        )
        await ingest(IncomingEvent("a", f"evt_{number}", event))
    async with uow_factory() as uow:
        turns = [command_of(job, [BotTurn]) for job in await _bot_jobs(uow)]
    turn = RunBotTurn(uow_factory, clock, ids, {"rules": RulesProvider()}, GatewayBreakers(clock))
    pending = iter(turns)

    async def one_turn() -> None:
        await turn(next(pending), Attempt(1, 6))

    async def ceiling() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT id FROM associations WHERE id = 'a'"))
            await connection.execute(text("UPDATE associations SET name = 'Bench' WHERE id = 'a'"))
            await connection.commit()

    turn_times = await timed(one_turn, len(turns))
    ceiling_times = await timed(ceiling, len(turns))
    await engine.dispose()
    return turn_times, ceiling_times


async def _bot_jobs(uow: SqlUnitOfWork) -> list[Job]:
    now = SystemClock().now()
    return list(await uow.jobs.claim_due(now, "bench", now, [BotTurn.kind], 100_000))


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args(argv)
    lines = [
        "## Bot turn overhead (`python -m bench.bot_turns`)",
        "",
        f"{args.turns} turns, each a new lead's first message answered by the rules provider",
        "(greeting and first question queued with their deliver job). Ceiling: one transaction",
        "reading one row and writing one row.",
        "",
        "| database | turn median ms | turn p99 ms | ceiling median ms | median ratio |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        targets = [("SQLite", f"sqlite+aiosqlite:///{folder}/bench.db")]
        for name, url in targets:
            turns, ceiling = asyncio.run(measure(url, args.turns))
            lines.append(_row(name, turns, ceiling))
    with postgres_database() as url:
        turns, ceiling = asyncio.run(measure(url, args.turns))
        lines.append(_row("PostgreSQL", turns, ceiling))
    lines.append("")
    print("\n".join(lines))
    return lines


def _row(name: str, turns: list[float], ceiling: list[float]) -> str:
    median, ceiling_median = statistics.median(turns), statistics.median(ceiling)
    return (
        f"| {name} | {median:.2f} | {percentile(turns, 0.99):.2f} | {ceiling_median:.2f} | "
        f"{ceiling_median / median:.2f} |"
    )


if __name__ == "__main__":
    main()
