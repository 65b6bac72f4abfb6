"""Two service processes on PostgreSQL and Redis: an event caused through one reaches an SSE
client of the other, and a client that reconnects with Last-Event-ID gets exactly what it
missed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from tests.support.waha_payloads import WaMessage, encode, headers_for, message_event

from wa_crm.container import build_container, close_resources
from wa_crm.domain.model.association import WhatsAppSettings
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.settings import Settings
from wa_crm.testing import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
REDIS_URL = os.environ.get("WA_CRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "sse-secret"
SECRET_KEY = "sse-secret-key-0123456789"
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def service(database_url: str, **overrides: str) -> Iterator[str]:
    """``wa-crm serve`` in a subprocess; ``overrides``: more environment (``WA_CRM_WORKERS``)."""
    port = free_port()
    env = {
        **os.environ,
        "WA_CRM_DATABASE_URL": database_url,
        "WA_CRM_REDIS_URL": REDIS_URL,
        "WA_CRM_SECRET_KEY": SECRET_KEY,
        "WA_CRM_WORKERS": "0",
        "WA_CRM_LOG_LEVEL": "WARNING",
        **overrides,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "wa_crm.entrypoints.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if process.poll() is not None:
                raise RuntimeError(f"wa-crm serve exited with {process.returncode}")
            try:
                if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
async def token(postgres_url: str) -> AsyncIterator[str]:
    try:
        import redis.asyncio as redis

        client = redis.Redis.from_url(REDIS_URL)
        await client.ping()
        await client.aclose()
    except Exception as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is needed on CI: {error}")
        pytest.skip(f"Redis unreachable: {error}")
    container = build_container(Settings(database_url=postgres_url, secret_key=SECRET_KEY))
    try:
        whatsapp = WhatsAppSettings("http://waha.invalid", "k", "sse-session", SECRET)
        (
            await container.create_association()(NewAssociation("sse", "SSE", whatsapp=whatsapp))
        ).unwrap()
        await container.create_agent()(NewAgent("sse", "ana@sse.org", "Ana", "agent", "password1"))
        yield (await container.issue_api_token()("sse", "ana@sse.org")).unwrap()
    finally:
        await close_resources(container)


async def read_events(response: httpx.Response, count: int) -> list[dict]:  # type: ignore[type-arg]
    events: list[dict] = []  # type: ignore[type-arg]
    event_id = None
    async for line in response.aiter_lines():
        if line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("data:"):
            payload = json.loads(line[5:].strip())
            assert payload["id"] == event_id
            events.append(payload)
            if len(events) == count:
                return events
    raise AssertionError("the stream ended early")


async def post_message(client: httpx.AsyncClient, url: str, text: str) -> None:
    event = message_event(WaMessage(body=text), session="sse-session", emitted_at=datetime.now(UTC))
    raw = encode(event)
    response = await client.post(
        f"{url}/api/webhooks/whatsapp", content=raw, headers=headers_for(raw, SECRET)
    )
    assert response.status_code == 200, response.text


async def test_events_cross_processes_and_resume_exactly(postgres_url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with service(postgres_url) as first, service(postgres_url) as second:
        async with httpx.AsyncClient(timeout=10) as client:
            async with client.stream(
                "GET", f"{second}/api/associations/sse/events", headers=headers
            ) as stream:
                assert stream.status_code == 200
                reading = asyncio.create_task(read_events(stream, 3))
                await asyncio.sleep(0.3)  # the subscription is live before the event
                await post_message(client, first, "primeira")
                seen = await asyncio.wait_for(reading, 10)
            assert [e["type"] for e in seen] == [
                "conversation.created",
                "message.created",
                "conversation.updated",
            ]
            assert seen[1]["data"]["body"] == "primeira"
            last_seen = seen[-1]["id"]

            await post_message(client, first, "segunda")
            await post_message(client, first, "terceira")
            resumed_headers = {**headers, "Last-Event-ID": last_seen}
            async with client.stream(
                "GET", f"{second}/api/associations/sse/events", headers=resumed_headers
            ) as stream:
                missed = await asyncio.wait_for(read_events(stream, 4), 10)
    bodies = [e["data"].get("body") for e in missed if e["type"] == "message.created"]
    assert bodies == ["segunda", "terceira"]
    assert [e["type"] for e in missed].count("conversation.updated") == 2
    assert all(e["id"] > last_seen for e in missed)
