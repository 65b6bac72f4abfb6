"""Draining a backlog of outbound messages through the WAHA simulator, with a WAHA outage in
the middle, on PostgreSQL.

10,000 agents' replies (2 per chat by default) are queued; ``wa-crm worker`` processes send
them through the simulator over HTTP under the association's limits (50 messages/s, 1 s between
two sends to a chat). When half are sent the simulator fails every request for 30 s (``refuse``:
connections dropped; or ``500``). Reported: messages lost (queued but never received by WAHA)
and sent twice, the send rate against the limit, the total time, and how long delivery took to
resume after WAHA came back (the circuit breaker probes every 30 s). Ceilings measured in the
same run: the simulator's own ``sendText`` throughput with a plain httpx loop, and the time a
perfect sender at the limit would need, outage included.

    python -m bench.delivery_backlog [--messages 10000] [--rate 50] [--outage 30]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.ingest_webhooks import free_port, postgres_database
from wa_crm.adapters.sql import upgrade
from wa_crm.adapters.sql.tables import messages
from wa_crm.container import Container, build_container, close_resources
from wa_crm.domain.model.association import Association, BotSettings, WhatsAppSettings
from wa_crm.domain.model.conversation import Channel, Conversation
from wa_crm.domain.model.message import Author
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.access.setup import NewAssociation
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.settings import Settings

API_KEY = "bench-waha-key"
SECRET_KEY = "bench-secret-key-0123456789"
SESSION = "default"
WA_CRM = Path(sys.executable).parent / "wa-crm"


@dataclass
class Run:
    queued: list[str]
    sent: list[dict[str, Any]]
    statuses: dict[str, int]
    started: float  # epoch seconds: the workers were started
    outage_from: float
    outage_to: float
    ceiling_per_second: float


def chat_id_of(number: int) -> str:
    return f"55119{number:08d}@c.us"


def epoch(record: dict[str, Any]) -> float:
    return datetime.fromisoformat(record["at"].replace("Z", "+00:00")).timestamp()


def busiest_second(times: list[float]) -> int:
    ordered, most, start = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


# --- the simulator and its ceiling ------------------------------------------------------------


SIMULATOR = """
import sys, uvicorn
from wa_crm.testing import SimulatorConfig, create_simulator_app
app = create_simulator_app(SimulatorConfig(api_key=sys.argv[1], ack_levels=()))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


@asynccontextmanager
async def simulator() -> AsyncIterator[str]:
    """The simulator in a process of its own, as WAHA would be: nothing the bench does here
    holds up its event loop and bunches the times it records."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SIMULATOR, API_KEY, str(port), stdin=asyncio.subprocess.DEVNULL
    )
    try:
        async with httpx.AsyncClient(base_url=url, timeout=1) as client:
            deadline = time.monotonic() + 30
            while True:
                with suppress(httpx.HTTPError):
                    if (await client.get("/ping")).status_code == 200:
                        break
                if time.monotonic() > deadline or process.returncode is not None:
                    raise RuntimeError("the WAHA simulator did not start")
                await asyncio.sleep(0.1)
        yield url
    finally:
        await stop_worker(process)


async def simulator_ceiling(url: str, requests: int = 3000, concurrency: int = 8) -> float:
    """sendText requests per second the simulator answers to a plain httpx loop."""
    headers = {"X-Api-Key": API_KEY}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as client:

        async def sender(worker: int) -> None:
            for number in range(worker, requests, concurrency):
                body = {"session": SESSION, "chatId": chat_id_of(number), "text": f"c{number}"}
                (await client.post("/api/sendText", json=body)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(sender(worker) for worker in range(concurrency)))
        elapsed = time.perf_counter() - started
        (await client.post("/_sim/reset")).raise_for_status()
    return requests / elapsed


# --- the backlog ------------------------------------------------------------------------------


async def seed(
    container: Container, waha_url: str, args: argparse.Namespace
) -> tuple[Association, list[str]]:
    created = await container.create_association()(
        NewAssociation("bench", "Bench", whatsapp=WhatsAppSettings(waha_url, API_KEY))
    )
    association = dataclasses.replace(
        created.unwrap(),
        bot=BotSettings(enabled=False, typing_seconds=0),
        whatsapp=WhatsAppSettings(
            waha_url,
            API_KEY,
            SESSION,
            "bench-webhook-secret",
            messages_per_second=args.rate,
            chat_gap_seconds=args.chat_gap,
        ),
    )
    ids, clock = container.ids(), container.clock()
    per_chat = max(1, args.messages // args.chats)
    queued: list[str] = []
    async with container.uow_factory()() as uow:
        await uow.associations.update(association)
        await uow.commit()
    for first in range(0, args.chats, 500):
        async with container.uow_factory()() as uow:
            for number in range(first, min(first + 500, args.chats)):
                now = clock.now()
                contact = Contact(ids.new_id(), association.id, chat_id_of(number), now)
                await uow.contacts.add(contact)
                conversation = Conversation.open(
                    id=ids.new_id(),
                    association_id=association.id,
                    contact_id=contact.id,
                    channel=Channel.WHATSAPP,
                    session=SESSION,
                    at=now,
                    bot_available=False,
                )
                await uow.conversations.add(conversation)
                for sequence in range(per_chat):
                    text = f"chat {number:05d} message {sequence:03d}"
                    await queue_outbound(
                        uow, ids, conversation, Outgoing(text, Author.AGENT), clock.now()
                    )
                    queued.append(text)
                await uow.conversations.update(conversation)
            await uow.commit()
    return association, queued


async def sent_count(container: Container) -> int:
    query = select(func.count()).where(messages.c.status == "sent")
    async with container.engine().connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def statuses(container: Container) -> dict[str, int]:
    query = select(messages.c.status, func.count()).group_by(messages.c.status)
    async with container.engine().connect() as connection:
        return {str(s): int(n) for s, n in (await connection.execute(query)).all()}


# --- the workers ------------------------------------------------------------------------------


async def start_worker(database_url: str, media_dir: str, loops: int) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "WA_CRM_DATABASE_URL": database_url,
        "WA_CRM_SECRET_KEY": SECRET_KEY,
        "WA_CRM_MEDIA_DIR": media_dir,
        "WA_CRM_WORKERS": str(loops),
        "WA_CRM_JOB_POLL_SECONDS": "0.05",
        "WA_CRM_LOG_LEVEL": "ERROR",
    }
    return await asyncio.create_subprocess_exec(
        str(WA_CRM),
        "worker",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def stop_worker(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(process.wait(), 15)
    except TimeoutError:
        with suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def drain(database_url: str, args: argparse.Namespace) -> Run:
    await upgrade(database_url)
    with tempfile.TemporaryDirectory() as media_dir:
        settings = Settings(
            database_url=database_url, workers=0, secret_key=SECRET_KEY, media_dir=media_dir
        )
        container = build_container(settings)
        try:
            async with simulator() as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
                ceiling = await simulator_ceiling(url)
                _, queued = await seed(container, url, args)
                started = time.time()
                workers = [
                    await start_worker(database_url, media_dir, args.loops)
                    for _ in range(args.processes)
                ]
                try:
                    outage = await run_with_outage(container, http, len(queued), args)
                finally:
                    await asyncio.gather(*(stop_worker(worker) for worker in workers))
                response = await http.get(f"/_sim/{SESSION}/sent")
                sent = [record for record in response.json() if record["kind"] == "text"]
            counts = await statuses(container)
        finally:
            await close_resources(container)
    return Run(queued, sent, counts, started, outage[0], outage[1], ceiling)


async def run_with_outage(
    container: Container, http: httpx.AsyncClient, total: int, args: argparse.Namespace
) -> tuple[float, float]:
    """Until every message is sent (or the time is up): the outage once half are sent."""
    give_up = time.monotonic() + 3 * total / args.rate + args.outage + 300
    outage_from = outage_to = 0.0
    while (done := await sent_count(container)) < total:
        if not outage_from and done >= total // 2:
            body = {"mode": args.fault, "seconds": args.outage}
            (await http.post("/_sim/faults", json=body)).raise_for_status()
            outage_from = time.time()
            outage_to = outage_from + args.outage
        if time.monotonic() > give_up:
            break
        await asyncio.sleep(0.5)
    return outage_from, outage_to


# --- the report -------------------------------------------------------------------------------


def report(run: Run, args: argparse.Namespace) -> list[str]:
    texts = Counter(record["text"] for record in run.sent)
    lost = len(set(run.queued) - set(texts))
    twice = sum(count - 1 for count in texts.values() if count > 1)
    times = sorted(epoch(record) for record in run.sent)
    first, last = times[0], times[-1]
    before = [t for t in times if t < run.outage_from]
    after = [t for t in times if t >= run.outage_to]
    during = len(times) - len(before) - len(after)
    resumed = (after[0] - run.outage_to) if after else float("nan")
    total = last - run.started
    span_before = before[-1] - before[0] if len(before) > 1 else 0.0
    span_after = after[-1] - after[0] if len(after) > 1 else 0.0
    steady_before = len(before) / span_before if span_before else 0.0
    steady_after = len(after) / span_after if span_after else 0.0
    sending = span_before + span_after or last - first
    perfect = len(run.queued) / args.rate + args.outage
    failed = {status: n for status, n in run.statuses.items() if status != "sent"}
    lines = [
        "## Delivery backlog with a WAHA outage (`python -m bench.delivery_backlog`)",
        "",
        f"{len(run.queued):,} queued agent replies, {args.chats:,} chats, limits "
        f"{args.rate:g} messages/s per session and {args.chat_gap:g} s between sends to a chat;",
        f"{args.processes} `wa-crm worker` processes x {args.loops} job loops on PostgreSQL; "
        f"a {args.outage:g} s outage (fault `{args.fault}`) once half were sent; circuit",
        "breaker and backoff at their defaults (5 failures, 30 s cool-down).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| messages lost (queued, never received by WAHA) | {lost} |",
        f"| messages sent twice | {twice} |",
        f"| messages not `sent` in the database | {failed or 0} |",
        f"| sends WAHA accepted during the outage | {during} |",
        f"| total time, workers started to last send | {total:.1f} s |",
        f"| delivery resumed after WAHA came back | {resumed:.1f} s |",
        f"| send rate before the outage / after it | {steady_before:.1f} / "
        f"{steady_after:.1f} per s (limit {args.rate:g}) |",
        f"| send rate over the time spent sending | {len(times) / sending:.1f} per s |",
        f"| busiest one-second window | {busiest_second(times)} sends |",
        f"| ceiling: a perfect sender at the limit, outage included | {perfect:.0f} s |",
        f"| ceiling: the simulator's sendText, plain httpx, 8 at a time | "
        f"{run.ceiling_per_second:.0f} per s |",
        "",
    ]
    print("\n".join(lines))
    return lines


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=5_000)
    parser.add_argument("--rate", type=float, default=50.0, help="messages/s per session")
    parser.add_argument("--chat-gap", type=float, default=1.0, help="seconds between sends")
    parser.add_argument("--outage", type=float, default=30.0, help="seconds")
    parser.add_argument("--fault", default="refuse", choices=["refuse", "500", "timeout"])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--loops", type=int, default=16, help="job loops per process")
    parser.add_argument("--dump", type=Path, help="write what WAHA received here (JSON)")
    args = parser.parse_args(argv)
    with postgres_database() as url:
        run = asyncio.run(drain(url, args))
    if args.dump:
        args.dump.write_text(json.dumps({"run": dataclasses.asdict(run)}))
    return report(run, args)


if __name__ == "__main__":
    main()
