"""Conversations that end and conversations that wait, over HTTP with the WAHA simulator, on
SQLite and PostgreSQL, with a fake clock: a contact who stops answering gets the closing
message and the conversation is resolved once the time has passed; a handoff nobody answers
raises the ``sla_breached`` alert and the inbox list marks it; an agent's answer clears the mark.

The service runs without workers: the test advances the clock and runs the due jobs itself."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from wa_crm.adapters.waha.webhooks import SUBSCRIBED_EVENTS
from wa_crm.container import Container, build_container
from wa_crm.domain.model.association import BotSettings, WhatsAppSettings
from wa_crm.domain.model.job_commands import (
    AlertOperators,
    BotTurn,
    CheckFirstResponse,
    CloseInactive,
    Deliver,
)
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.entrypoints.http import create_app
from wa_crm.settings import Settings
from wa_crm.testing import SimulatorConfig, running_simulator, serve_app
from wa_crm.testing.clock import FakeClock

API_KEY = "clocks-waha-key"
SECRET = "clocks-webhook-secret"
SESSION = "default"
PATIENT = "5511988887777@c.us"
BOT = BotSettings(debounce_seconds=0, typing_seconds=0)
HOUR = 3600.0
JOBS = (BotTurn, Deliver, CloseInactive, CheckFirstResponse, AlertOperators)


@dataclass
class World:
    container: Container
    clock: FakeClock
    runner: JobRunner
    service_url: str
    simulator_url: str
    http: httpx.AsyncClient
    agent: dict[str, str]

    def api(self, path: str) -> str:
        return f"{self.service_url}/api/associations/clocks/{path}"

    async def patient_writes(self, text: str) -> None:
        body = {"from": PATIENT, "text": text}
        response = await self.http.post(f"{self.simulator_url}/_sim/{SESSION}/inbound", json=body)
        response.raise_for_status()
        idle = await self.http.post(f"{self.simulator_url}/_sim/wait-idle", json={"timeout": 5})
        assert idle.json()["idle"], "the webhook was not delivered"
        await self.after(0)

    async def after(self, hours: float) -> None:
        """Move the clock, then run what is due until nothing is."""
        self.clock.advance(hours * HOUR)
        for _ in range(20):
            if not await self.runner.run_due():
                return
        raise AssertionError("jobs still due after 20 rounds")

    async def texts(self) -> list[str]:
        response = await self.http.get(f"{self.simulator_url}/_sim/{SESSION}/sent")
        response.raise_for_status()
        return [s["text"] for s in response.json() if s["kind"] == "text"]

    async def listed(self) -> dict[str, Any]:
        response = await self.http.get(self.api("conversations"), headers=self.agent)
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert len(items) == 1, items
        return dict(items[0])

    async def alerts(self) -> list[str]:
        response = await self.http.get(self.api("alerts"), headers=self.agent)
        assert response.status_code == 200, response.text
        return [alert["kind"] for alert in response.json()["items"]]


@pytest.fixture
async def world(backend_url: str, tmp_path: Path) -> AsyncIterator[World]:
    settings = Settings(
        database_url=backend_url,
        workers=0,
        secret_key="clocks-secret-key-0123456789",
        media_dir=str(tmp_path / "media"),
    )
    container = build_container(settings)
    clock = FakeClock(datetime.now(UTC))  # the simulator stamps its events with the real time
    container.clock.override(providers.Object(clock))
    async with serve_app(create_app(container)) as service_url:
        simulator = SimulatorConfig(
            api_key=API_KEY,
            hook_url=f"{service_url}/api/webhooks/whatsapp",
            hook_events=SUBSCRIBED_EVENTS,
            hook_hmac_key=SECRET,
            hook_retries_delay_seconds=0.05,
            ack_delay_seconds=0.01,
        )
        async with running_simulator(simulator) as simulator_url, httpx.AsyncClient() as http:
            whatsapp = WhatsAppSettings(
                simulator_url, API_KEY, SESSION, SECRET, chat_gap_seconds=0, messages_per_second=100
            )
            created = await container.create_association()(
                NewAssociation("clocks", "Associação", whatsapp=whatsapp)
            )
            association = dataclasses.replace(created.unwrap(), bot=BOT)
            async with container.uow_factory()() as uow:
                await uow.associations.update(association)
                await uow.commit()
            await container.create_agent()(
                NewAgent("clocks", "ana@clocks.org", "Ana", "admin", "agent-password")
            )
            token = (await container.issue_api_token()("clocks", "ana@clocks.org")).unwrap()
            handlers = container.job_handlers()
            runner = JobRunner(
                container.uow_factory(),
                clock,
                {command: handlers[command] for command in JOBS},
                "clocks-test",
            )
            yield World(
                container,
                clock,
                runner,
                service_url,
                simulator_url,
                http,
                {"Authorization": f"Bearer {token}"},
            )


async def test_a_contact_who_stops_answering_is_told_and_the_conversation_ends(
    world: World,
) -> None:
    await world.patient_writes("Oi")
    greeted = await world.texts()
    assert greeted, "the bot answers"
    await world.after(23.5)
    assert (await world.listed())["status"] == "bot"
    assert await world.texts() == greeted
    await world.after(1)
    assert (await world.listed())["status"] == "resolved"
    assert await world.texts() == [*greeted, BOT.closing_message]
    await world.after(24)
    assert await world.texts() == [*greeted, BOT.closing_message], "told once"


async def test_a_handoff_nobody_answers_is_late_until_an_agent_answers(world: World) -> None:
    await world.patient_writes("Quero falar com um atendente")
    waiting = await world.listed()
    assert (waiting["status"], waiting["sla_breached"]) == ("pending", False)
    await world.after(29 / 60)
    assert (await world.listed())["sla_breached"] is False
    await world.after(2 / 60)
    late = await world.listed()
    assert late["sla_breached"] is True and late["sla_breached_at"] is not None
    assert await world.alerts() == ["sla_breached"]
    await world.after(1)
    assert await world.alerts() == ["sla_breached"], "alerted once"

    answer = await world.http.post(
        world.api(f"conversations/{late['id']}/messages"),
        json={"text": "Oi! Sou a Ana, como posso ajudar?"},
        headers=world.agent,
    )
    assert answer.status_code == 201, answer.text
    answered = await world.listed()
    assert (answered["status"], answered["sla_breached"]) == ("human", False)
    await world.after(0)
    assert (await world.texts())[-1] == "Oi! Sou a Ana, como posso ajudar?"
    assert (await world.listed())["status"] == "human", "a conversation with agents never closes"
