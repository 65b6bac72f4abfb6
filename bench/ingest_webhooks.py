"""Webhook ingestion throughput and latency, on SQLite and PostgreSQL.

For each database: start ``wa-crm serve`` (one process, its in-process job worker on), drive it
with wrk using signed WAHA ``message`` webhooks (a new message each, from 500 senders), then
measure latency with an open-loop load at half the maximum rate. The same wrk run against a
bare Starlette endpoint that only parses the JSON gives the ceiling; the ratio is reported.

    python -m bench.ingest_webhooks [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
SECRET = "bench-webhook-secret"
SESSION = "bench"
POSTGRES_SERVER = os.environ.get("WA_CRM_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


@dataclass
class Figures:
    target: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    fixed_rate: float = 0.0
    fixed_p50_ms: float = 0.0
    fixed_p99_ms: float = 0.0
    errors: int = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook(number: int, run: str) -> bytes:
    sender = f"55119{number % 500:08d}@c.us"
    body = {
        "id": f"evt_{run}{number:016d}",
        "timestamp": int(time.time() * 1000),
        "event": "message",
        "session": SESSION,
        "me": {"id": "5511900000000@c.us", "pushName": "Bench"},
        "payload": {
            "id": f"false_{sender}_{run.upper()}{number:012X}",
            "timestamp": int(time.time()),
            "from": sender,
            "fromMe": False,
            "to": "5511900000000@c.us",
            "body": f"Olá, mensagem {number} sobre o meu pedido",
            "hasMedia": False,
            "_data": {"notifyName": f"Paciente {number % 500}"},
        },
        "engine": "WEBJS",
        "environment": {"version": "2026.9.2", "engine": "WEBJS", "tier": "CORE"},
    }
    return json.dumps(body, separators=(",", ":")).encode()


def signature(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha512).hexdigest()


def write_bodies(path: Path, count: int, run: str) -> None:
    with path.open("w") as out:
        for number in range(count):
            body = webhook(number, run)
            out.write(f"{signature(body)}\t{body.decode()}\n")


def wait_ready(url: str, process: subprocess.Popen[bytes], path: str = "/healthz") -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url + path, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@contextmanager
def server(command: list[str], env: dict[str, str], url: str, probe: str) -> Iterator[None]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(url, process, probe)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def run_wrk(
    url: str, bodies: Path, seconds: int, connections: int
) -> tuple[float, float, float, int]:
    output = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(HERE / "webhooks.lua"),
            url,
            "--",
            str(bodies),
            "1",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latencies = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, _ms(latencies["50"]), _ms(latencies["99"]), int(errors.group(1)) if errors else 0


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


async def open_loop(url: str, bodies: Path, rate: float, seconds: float, skip: int) -> list[float]:
    """Send at a fixed rate whatever the answers do, and time each request."""
    lines = (await asyncio.to_thread(bodies.read_text)).splitlines()[skip:]
    latencies: list[float] = []
    async with httpx.AsyncClient(
        base_url=url, timeout=10, limits=httpx.Limits(max_connections=64)
    ) as client:

        async def one(line: str) -> None:
            sig, body = line.split("\t", 1)
            started = time.perf_counter()
            response = await client.post(
                "/api/webhooks/whatsapp",
                content=body,
                headers={"Content-Type": "application/json", "X-Webhook-Hmac": sig},
            )
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()

        tasks, start = [], time.perf_counter()
        for index in range(int(rate * seconds)):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(lines[index])))
        await asyncio.gather(*tasks)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure_service(
    name: str, database_url: str, bodies: Path, seconds: int, count: int
) -> Figures:
    env = {
        **os.environ,
        "WA_CRM_DATABASE_URL": database_url,
        "WA_CRM_SECRET_KEY": "bench-secret-key-0123456789",
        "WA_CRM_LOG_LEVEL": "WARNING",
    }
    cli = str(VENV_BIN / "wa-crm")
    subprocess.run([cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            cli,
            "association",
            "create",
            "bench",
            "--name",
            "Bench",
            "--session",
            SESSION,
            "--waha-url",
            "http://127.0.0.1:9",
            "--webhook-secret",
            SECRET,
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with server([cli, "serve", "--port", str(port)], env, url, "/healthz"):
        rate, p50, p99, errors = run_wrk(url, bodies, seconds, connections=16)
        used = int(rate * seconds * 1.2)
        if used + int(rate / 2 * seconds) > count:
            raise RuntimeError("not enough distinct webhooks generated; raise --count")
        fixed = asyncio.run(open_loop(url, bodies, rate / 2, seconds, skip=used))
        stored = httpx.get(url + "/metrics").text
    duplicates = re.search(r'outcome="duplicate"} ([\d.]+)', stored)
    if duplicates:
        raise RuntimeError(
            f"{name}: {duplicates.group(1)} webhooks were duplicates; the run is void"
        )
    return Figures(
        name, rate, p50, p99, rate / 2, percentile(fixed, 0.5), percentile(fixed, 0.99), errors
    )


def measure_ceiling(bodies: Path, seconds: int) -> Figures:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(VENV_BIN / "uvicorn"),
        "bench.bare_app:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    with server(command, env, url, "/api/webhooks/whatsapp"):
        rate, p50, p99, errors = run_wrk(url, bodies, seconds, connections=16)
    return Figures("bare Starlette (parse JSON only)", rate, p50, p99, errors=errors)


@contextmanager
def postgres_database() -> Iterator[str]:
    import asyncpg  # type: ignore[import-untyped]

    name = f"wa_crm_bench_{secrets.token_hex(4)}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(f"{POSTGRES_SERVER}/test")
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://{POSTGRES_SERVER.split('://', 1)[1]}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--count", type=int, default=60_000)
    args = parser.parse_args(argv)
    results: list[Figures] = []
    with tempfile.TemporaryDirectory() as folder:
        bodies = Path(folder) / "webhooks.tsv"
        write_bodies(bodies, args.count, secrets.token_hex(3))
        ceiling = measure_ceiling(bodies, args.seconds)
        for name, maker in (("SQLite", None), ("PostgreSQL", postgres_database)):
            if maker is None:
                figures = measure_service(
                    "wa_crm on SQLite",
                    f"sqlite+aiosqlite:///{folder}/bench.db",
                    bodies,
                    args.seconds,
                    args.count,
                )
            else:
                with maker() as url:
                    write_bodies(bodies, args.count, secrets.token_hex(3))
                    figures = measure_service(
                        f"wa_crm on {name}", url, bodies, args.seconds, args.count
                    )
            results.append(figures)
    lines = [
        "## Webhook ingestion (`python -m bench.ingest_webhooks`)",
        "",
        f"wrk, 1 thread, 16 connections, {args.seconds} s per target; each request a new signed",
        "`message` webhook from one of 500 senders. Latency at a fixed rate: open loop at half of",
        "the maximum rate measured just before, for the same duration.",
        "",
        "| target | messages/s | p50 ms | p99 ms | ratio to ceiling "
        "| fixed rate/s | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
        f"| {ceiling.target} | {ceiling.requests_per_second:.0f} | {ceiling.p50_ms:.2f} | "
        f"{ceiling.p99_ms:.2f} | 1.00 | | | |",
    ]
    ceiling_rate = ceiling.requests_per_second
    for figures in results:
        lines.append(
            f"| {figures.target} | {figures.requests_per_second:.0f} | {figures.p50_ms:.2f} | "
            f"{figures.p99_ms:.2f} | {figures.requests_per_second / ceiling_rate:.2f} | "
            f"{figures.fixed_rate:.0f} | {figures.fixed_p50_ms:.2f} | {figures.fixed_p99_ms:.2f} |"
        )
    lines.append("")
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    main()
