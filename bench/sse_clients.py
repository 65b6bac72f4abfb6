"""Server-Sent Events fan-out: N clients on one service process.

Start ``wa-crm serve`` (SQLite, no job workers, in-process event bus) and open N streams on
``GET /api/associations/{slug}/events`` from this process with raw asyncio sockets. Then post
M signed WAHA ``message`` webhooks one after another; each is timed from just before its POST
to the arrival of its ``message.created`` on every client. The server's resident memory before
the clients connect and once they are all subscribed gives the memory per connection. The
ceiling, measured the same way in the same run, is a bare Starlette + sse-starlette endpoint
(``bench/bare_sse_app.py``) whose ``POST /publish`` broadcasts one event to in-process queues.

    python -m bench.sse_clients [--clients 1000] [--events 20]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.ingest_webhooks import SECRET, SESSION, free_port, percentile, signature, wait_ready

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
SLUG = "bench"
EMAIL = "agent@bench.example"
SENDER = "5511900000001@c.us"
CONNECT_CONCURRENCY = 64
CONNECT_TIMEOUT = 30.0
EVENT_TIMEOUT = 5.0
SETTLE_SECONDS = 0.2


@dataclass
class Figures:
    target: str
    clients: int
    connect_seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    post_p50_ms: float
    missing: int
    rss_before: int
    rss_after: int
    events_per_publish: float

    @property
    def kib_per_connection(self) -> float:
        return (self.rss_after - self.rss_before) / 1024 / self.clients


def message_webhook(number: int, run: str) -> bytes:
    """A signed-to-be WAHA ``message`` webhook; always the same sender, so every one after the
    first makes the same events (the conversation's update and ``message.created``)."""
    body = {
        "id": f"evt_sse_{run}{number:012d}",
        "timestamp": int(time.time() * 1000),
        "event": "message",
        "session": SESSION,
        "me": {"id": "5511900000000@c.us", "pushName": "Bench"},
        "payload": {
            "id": f"false_{SENDER}_{run.upper()}{number:012X}",
            "timestamp": int(time.time()),
            "from": SENDER,
            "fromMe": False,
            "to": "5511900000000@c.us",
            "body": f"Olá, mensagem {number} sobre o meu pedido",
            "hasMedia": False,
            "_data": {"notifyName": "Paciente"},
        },
        "engine": "WEBJS",
        "environment": {"version": "2026.9.2", "engine": "WEBJS", "tier": "CORE"},
    }
    return json.dumps(body, separators=(",", ":")).encode()


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def raise_open_files(clients: int) -> tuple[int, int]:
    """Let this process (and the servers it starts, which inherit it) hold every socket."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = clients + 512
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            raise RuntimeError(f"open-files hard limit {hard} is below {wanted}; raise ulimit -Hn")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


@contextmanager
def server(
    command: list[str], env: dict[str, str], url: str, probe: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """The server's stderr goes to a file (a pipe nobody reads could fill and stall it)."""
    with log.open("wb") as err:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            try:
                wait_ready(url, process, probe)
            except RuntimeError as error:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{error}\n{tail}") from None
            yield process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


class Fanout:
    """Counts, per ``message.created`` ordinal, how many clients have it, to wake the publisher
    once all have."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.reached: defaultdict[int, int] = defaultdict(int)
        self.done: dict[int, asyncio.Event] = {}
        self.last = 0.0  # when any client last received any event

    async def quiet(self, seconds: float = 0.3) -> None:
        """Until no client has received anything for ``seconds``."""
        while True:
            idle = time.perf_counter() - self.last
            if idle >= seconds:
                return
            await asyncio.sleep(seconds - idle)

    def reset(self) -> None:
        self.reached.clear()
        self.done.clear()

    def arrived(self, ordinal: int) -> None:
        self.reached[ordinal] += 1
        if self.reached[ordinal] >= self.clients and ordinal in self.done:
            self.done[ordinal].set()

    async def wait(self, ordinal: int, seconds: float) -> bool:
        event = self.done.setdefault(ordinal, asyncio.Event())
        if self.reached[ordinal] >= self.clients:
            return True
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            return False
        return True


@dataclass
class Client:
    """One SSE stream read with raw asyncio: HTTP/1.1 chunked ``text/event-stream``."""

    fanout: Fanout
    records: list[tuple[float, bytes]] = field(default_factory=list)  # message.created only
    seen: int = 0  # events of any type
    created: int = 0
    types: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    writer: asyncio.StreamWriter | None = None
    task: asyncio.Task[None] | None = None

    async def connect(self, port: int, path: str, headers: dict[str, str]) -> None:
        reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"stream refused: {status!r}")
        chunked = False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if not chunked:
            raise RuntimeError("the stream is not chunked")
        self.task = asyncio.create_task(self.read(reader))

    async def read(self, reader: asyncio.StreamReader) -> None:
        with suppress(asyncio.IncompleteReadError, ConnectionError):
            await self._read(reader)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        buffer = b""
        while True:
            size_line = await reader.readline()
            if not size_line:
                return
            size = int(size_line.split(b";", 1)[0], 16)
            if size == 0:
                return
            chunk = await reader.readexactly(size + 2)
            now = time.perf_counter()
            buffer += chunk[:-2]
            while (end := buffer.find(b"\r\n\r\n")) >= 0:
                self.message(buffer[:end], now)
                buffer = buffer[end + 4 :]

    def message(self, block: bytes, now: float) -> None:
        kind, data = b"message", b""
        for line in block.split(b"\r\n"):
            if line.startswith(b"event:"):
                kind = line[6:].strip()
            elif line.startswith(b"data:"):
                data = line[5:].lstrip()
        if not data:  # a ping is a comment
            return
        self.seen += 1
        self.fanout.last = now
        self.types[kind.decode()] += 1
        if kind == b"message.created":
            self.records.append((now, data))
            self.created += 1
            self.fanout.arrived(self.created)

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        if self.writer is not None:
            self.writer.close()
            with suppress(OSError, TimeoutError):
                await asyncio.wait_for(self.writer.wait_closed(), 2)


@dataclass
class Target:
    """How to reach one server: its SSE path and headers, and how to publish event ``n``."""

    name: str
    port: int
    pid: int
    path: str
    headers: dict[str, str]
    publish: Callable[[httpx.AsyncClient, int], Awaitable[str]]  # returns the external id


async def open_clients(target: Target, count: int, fanout: Fanout) -> list[Client]:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    clients = [Client(fanout) for _ in range(count)]

    async def one(client: Client) -> None:
        async with gate:
            await asyncio.wait_for(
                client.connect(target.port, target.path, target.headers), CONNECT_TIMEOUT
            )

    try:
        await asyncio.gather(*(one(client) for client in clients))
    except BaseException:
        await close_all(clients)
        raise
    return clients


async def close_all(clients: list[Client]) -> None:
    await asyncio.gather(*(client.close() for client in clients))


async def until_subscribed(
    target: Target, http: httpx.AsyncClient, clients: list[Client], fanout: Fanout, first: int
) -> int:
    """Publish probes until every stream has carried one; returns the next event number."""
    number = first
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while not all(client.seen for client in clients):
        if time.monotonic() > deadline:
            waiting = sum(not client.seen for client in clients)
            raise RuntimeError(f"{target.name}: {waiting} streams never carried an event")
        await target.publish(http, number)
        number += 1
        for _ in range(20):
            await asyncio.sleep(0.05)
            if all(client.seen for client in clients):
                break
    await fanout.quiet()
    return number


async def measure(target: Target, count: int, events: int) -> tuple[Figures, dict[str, Any]]:
    fanout = Fanout(count)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{target.port}", timeout=30) as http:
        # Warm the server's code paths, so that the baseline does not count first-use costs.
        warm_fanout = Fanout(8)
        warm = await open_clients(target, 8, warm_fanout)
        number = await until_subscribed(target, http, warm, warm_fanout, 0)
        await close_all(warm)
        await asyncio.sleep(0.5)
        rss_before = rss_bytes(target.pid)

        started = time.perf_counter()
        clients = await open_clients(target, count, fanout)
        try:
            number = await until_subscribed(target, http, clients, fanout, number)
            connect_seconds = time.perf_counter() - started
            rss_after = rss_bytes(target.pid)
            for client in clients:
                client.records.clear()
                client.types.clear()
                client.created = 0
            fanout.reset()
            # The client is the measuring instrument: no collection pauses in it while timing.
            gc.collect()
            gc.disable()
            published: dict[str, float] = {}
            posts: list[float] = []
            for ordinal in range(1, events + 1):
                sent = time.perf_counter()
                external_id = await target.publish(http, number)
                posts.append((time.perf_counter() - sent) * 1000)
                published[external_id] = sent
                number += 1
                await fanout.wait(ordinal, EVENT_TIMEOUT)
                await asyncio.sleep(SETTLE_SECONDS / 4)
            await asyncio.sleep(SETTLE_SECONDS)
        finally:
            gc.enable()
            await close_all(clients)

    latencies: list[float] = []
    missing = 0
    sample: dict[str, Any] = {}
    for client in clients:
        arrived: dict[str, float] = {}
        for when, data in client.records:
            payload = json.loads(data)
            arrived[payload["data"]["external_id"]] = when
            sample = payload["data"]
        for external_id, sent in published.items():
            if external_id in arrived:
                latencies.append((arrived[external_id] - sent) * 1000)
            else:
                missing += 1
    if not latencies:
        raise RuntimeError(f"{target.name}: no event was delivered")
    kinds = sum(sum(client.types.values()) for client in clients)
    figures = Figures(
        target.name,
        count,
        connect_seconds,
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        max(latencies),
        percentile(posts, 0.5),
        missing,
        rss_before,
        rss_after,
        kinds / count / events,
    )
    return figures, sample


def measure_service(folder: Path, clients: int, events: int) -> tuple[Figures, dict[str, Any]]:
    env = {
        **os.environ,
        "WA_CRM_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/sse.db",
        "WA_CRM_SECRET_KEY": "bench-secret-key-0123456789",
        "WA_CRM_LOG_LEVEL": "WARNING",
        "WA_CRM_WORKERS": "0",
        "WA_CRM_MEDIA_DIR": str(folder / "media"),
    }
    env.pop("WA_CRM_REDIS_URL", None)
    cli = str(VENV_BIN / "wa-crm")

    def run(*args: str) -> str:
        return subprocess.run(
            [cli, *args], env=env, check=True, capture_output=True, text=True, timeout=60
        ).stdout.strip()

    run("db", "upgrade")
    run(
        "association",
        "create",
        SLUG,
        "--name",
        "Bench",
        "--session",
        SESSION,
        "--waha-url",
        "http://127.0.0.1:9",
        "--webhook-secret",
        SECRET,
    )
    run("agent", "create", SLUG, EMAIL, "--password", "bench-password-0123")
    token = run("agent", "token", SLUG, EMAIL).splitlines()[-1]
    run_id = os.urandom(3).hex()

    async def publish(http: httpx.AsyncClient, number: int) -> str:
        body = message_webhook(number, run_id)
        response = await http.post(
            "/api/webhooks/whatsapp",
            content=body,
            headers={"Content-Type": "application/json", "X-Webhook-Hmac": signature(body)},
        )
        response.raise_for_status()
        return str(json.loads(body)["payload"]["id"])

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [cli, "serve", "--port", str(port)]
    with server(command, env, url, "/healthz", folder / "service.log") as process:
        target = Target(
            "wa_crm (`wa-crm serve`, SQLite, in-process bus)",
            port,
            process.pid,
            f"/api/associations/{SLUG}/events",
            {"Authorization": f"Bearer {token}"},
            publish,
        )
        return asyncio.run(measure(target, clients, events))


def measure_ceiling(folder: Path, clients: int, events: int, data: dict[str, Any]) -> Figures:
    async def publish(http: httpx.AsyncClient, number: int) -> str:
        external_id = f"bare_{number}"
        body = {"type": "message.created", "data": {**data, "external_id": external_id}}
        response = await http.post("/publish", json=body)
        response.raise_for_status()
        return external_id

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(VENV_BIN / "uvicorn"),
        "bench.bare_sse_app:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    with server(command, env, url, "/publish", folder / "bare.log") as process:
        target = Target(
            "bare Starlette + sse-starlette (in-process broadcast)",
            port,
            process.pid,
            "/events",
            {},
            publish,
        )
        figures, _ = asyncio.run(measure(target, clients, events))
    return figures


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args(argv)
    soft, _ = raise_open_files(args.clients)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        service, sample = measure_service(folder, args.clients, args.events)
        ceiling = measure_ceiling(folder, args.clients, args.events, sample)
    lines = [
        "## SSE fan-out (`python -m bench.sse_clients`)",
        "",
        f"{args.clients} SSE clients on one server process, read with raw asyncio sockets from one",
        f"client process (open-files limit {soft}, inherited by the server). {args.events}",
        "events published one after another, each once the previous one reached every client;",
        "latency runs from just before the publishing POST (a signed `message` webhook for",
        "wa_crm, `POST /publish` for the ceiling) to the arrival of its `message.created` on",
        "each client, over all (client, event) pairs. Memory: server RSS once all clients are",
        "subscribed minus RSS before they connect, per client. Connect: from the first",
        "connection until every stream has carried a probe event. wa_crm publishes",
        "`conversation.updated` then `message.created` for each message (events/publish). The",
        "client's own event loop is part of both measurements.",
        "",
        "| target | p50 ms | p99 ms | max ms | POST p50 ms | missing | events/publish "
        "| connect s | RSS before MiB | KiB/connection |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for figures in (ceiling, service):
        lines.append(
            f"| {figures.target} | {figures.p50_ms:.1f} | {figures.p99_ms:.1f} | "
            f"{figures.max_ms:.1f} | {figures.post_p50_ms:.1f} | {figures.missing} | "
            f"{figures.events_per_publish:.1f} | {figures.connect_seconds:.1f} | "
            f"{figures.rss_before / 2**20:.0f} | {figures.kib_per_connection:.1f} |"
        )
    lines += [
        "",
        f"Ratio to the ceiling: latency p50 {ceiling.p50_ms / service.p50_ms:.2f}, "
        f"p99 {ceiling.p99_ms / service.p99_ms:.2f} (ceiling ÷ wa_crm); memory per connection "
        f"{service.kib_per_connection / ceiling.kib_per_connection:.2f}x the ceiling's.",
        "",
    ]
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    main()
