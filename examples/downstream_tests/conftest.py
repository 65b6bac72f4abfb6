"""Fixtures of a downstream project that tests its wa_crm set-up against the WAHA simulator.

- ``waha``: the simulator (``wa_crm.testing.running_simulator``) on a free port, its global
  webhook pointed at the service and signed with the webhook secret, as a real WAHA would be
  configured; the ``Phone`` it yields writes as a patient and reads what was sent back.
- ``clinic``: wa_crm with the clinic's set-up (``clinic.set_up_clinic``), served over real
  HTTP on SQLite in the test's temporary folder.

Run: ``.venv/bin/pytest examples/downstream_tests`` (this folder has its own ``pytest.ini``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from clinic import BOT, set_up_clinic

from wa_crm.adapters.sql import upgrade
from wa_crm.adapters.waha.webhooks import SUBSCRIBED_EVENTS
from wa_crm.container import build_container
from wa_crm.domain.model.association import Association, WhatsAppSettings
from wa_crm.entrypoints.http import create_app
from wa_crm.settings import Settings
from wa_crm.testing import SimulatorConfig, free_port, running_simulator, serve_app

WAHA_API_KEY = "test-waha-key"
WEBHOOK_SECRET = "test-webhook-secret"
SESSION = "default"  # the simulator starts with this session linked (WORKING)


@dataclasses.dataclass
class Phone:
    """The patients' side of WhatsApp, through the simulator's ``/_sim/`` control API."""

    url: str
    http: httpx.AsyncClient

    async def write(self, chat_id: str, text: str, name: str = "") -> None:
        body = {"from": chat_id, "text": text, "push_name": name}
        response = await self.http.post(f"{self.url}/_sim/{SESSION}/inbound", json=body)
        response.raise_for_status()

    async def received(self, chat_id: str) -> list[str]:
        """Texts sent to ``chat_id`` through WAHA, in order."""
        sent: list[dict[str, Any]] = (await self.http.get(f"{self.url}/_sim/{SESSION}/sent")).json()
        return [s["text"] for s in sent if s["chatId"] == chat_id and s["kind"] == "text"]

    async def wait_for(self, chat_id: str, count: int, within: float = 5.0) -> list[str]:
        """Wait until ``chat_id`` received ``count`` texts, then make sure no more follow."""
        deadline = asyncio.get_running_loop().time() + within
        while len(texts := await self.received(chat_id)) < count:
            assert asyncio.get_running_loop().time() < deadline, f"received only {texts!r}"
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        return await self.received(chat_id)


@pytest.fixture
def service_port() -> int:
    return free_port()


@pytest_asyncio.fixture
async def waha(service_port: int) -> AsyncIterator[Phone]:
    config = SimulatorConfig(
        api_key=WAHA_API_KEY,
        hook_url=f"http://127.0.0.1:{service_port}/api/webhooks/whatsapp",
        hook_events=SUBSCRIBED_EVENTS,
        hook_hmac_key=WEBHOOK_SECRET,
        hook_retries_delay_seconds=0.05,
        ack_delay_seconds=0.01,
    )
    async with running_simulator(config) as url, httpx.AsyncClient() as http:
        yield Phone(url, http)


@pytest_asyncio.fixture
async def clinic(waha: Phone, service_port: int, tmp_path: Path) -> AsyncIterator[Association]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'wa_crm.db'}",
        media_dir=str(tmp_path / "media"),
        secret_key="test-secret-key-0123456789",
        job_poll_seconds=0.02,
    )
    await upgrade(settings.database_url)
    container = build_container(settings)
    async with serve_app(create_app(container), port=service_port):
        # Shorter waits than in production, so that the tests are quick.
        whatsapp = WhatsAppSettings(
            waha.url,
            WAHA_API_KEY,
            SESSION,
            WEBHOOK_SECRET,
            messages_per_second=20,
            chat_gap_seconds=0.05,
        )
        quick = dataclasses.replace(BOT, debounce_seconds=0.1, typing_seconds=0)
        yield await set_up_clinic(container, whatsapp, bot=quick)
