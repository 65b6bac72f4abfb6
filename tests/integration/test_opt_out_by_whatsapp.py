"""Opting out and back in by WhatsApp message, through the WAHA simulator over real HTTP, on
SQLite and PostgreSQL: the choice is recorded and confirmed once; afterwards neither the bot nor
an agent's unsolicited reply reaches the contact, nor what was queued before; an agent may
answer what the contact writes later; "voltar" brings the bot back.

The service runs without workers: each test runs the jobs it wants when it wants them."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.delivery_support import FAST_BACKOFF, eventually, running

from wa_crm.adapters.waha.webhooks import SUBSCRIBED_EVENTS
from wa_crm.container import Container, build_container
from wa_crm.domain.model.association import BotSettings, PrivacySettings, WhatsAppSettings
from wa_crm.domain.model.job_commands import BotTurn, JobCommand
from wa_crm.domain.model.jobs import JobStatus
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.domain.usecases.outbound.delivery import OPTED_OUT
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.entrypoints.http import create_app
from wa_crm.settings import Settings
from wa_crm.testing import SimulatorConfig, running_simulator, serve_app

API_KEY = "opt-out-waha-key"
SECRET = "opt-out-webhook-secret"
SESSION = "default"
PATIENT = "5511988887777@c.us"
BOT = BotSettings(debounce_seconds=0.2, typing_seconds=0)
PRIVACY = PrivacySettings()
CHAT_GAP = 0.05
QUIET = 1.0
"""Seconds without anything new reaching the simulator, jobs running, that show the silence:
many times the bot's debounce and the gap between two sends to the chat."""


@dataclass
class World:
    container: Container
    association_id: str
    service_url: str
    simulator_url: str
    http: httpx.AsyncClient
    agent: dict[str, str]

    def api(self, path: str) -> str:
        return f"{self.service_url}/api/associations/optout/{path}"

    async def patient_writes(self, text: str) -> None:
        body = {"from": PATIENT, "text": text}
        response = await self.http.post(f"{self.simulator_url}/_sim/{SESSION}/inbound", json=body)
        response.raise_for_status()
        idle = await self.http.post(f"{self.simulator_url}/_sim/wait-idle", json={"timeout": 5})
        assert idle.json()["idle"], "the webhook was not delivered"

    async def texts(self) -> list[str]:
        response = await self.http.get(f"{self.simulator_url}/_sim/{SESSION}/sent")
        response.raise_for_status()
        return [s["text"] for s in response.json() if s["kind"] == "text"]

    async def wait_for_texts(self, done: Callable[[list[str]], bool]) -> list[str]:
        async def check() -> bool:
            return done(await self.texts())

        await eventually(check, within=15, what="texts on the simulator")
        return await self.texts()

    async def conversation(self) -> dict[str, Any]:
        response = await self.http.get(self.api("conversations"), headers=self.agent)
        items = response.json()["items"]
        assert len(items) == 1, items
        detail = await self.http.get(
            self.api(f"conversations/{items[0]['id']}"), headers=self.agent
        )
        return dict(detail.json())

    async def contact(self) -> dict[str, Any]:
        contact_id = (await self.conversation())["contact_id"]
        response = await self.http.get(self.api(f"contacts/{contact_id}"), headers=self.agent)
        return dict(response.json()["contact"])

    async def agent_replies(self, text: str) -> httpx.Response:
        conversation_id = (await self.conversation())["id"]
        return await self.http.post(
            self.api(f"conversations/{conversation_id}/messages"),
            json={"text": text},
            headers=self.agent,
        )

    async def messages(self) -> list[dict[str, Any]]:
        conversation_id = (await self.conversation())["id"]
        response = await self.http.get(
            self.api(f"conversations/{conversation_id}/messages"), headers=self.agent
        )
        return list(reversed(response.json()["items"]))

    @asynccontextmanager
    async def jobs(self, commands: Iterable[type[JobCommand]] | None = None) -> AsyncIterator[None]:
        """The service's job handlers (only those of ``commands``, when given) running meanwhile."""
        handlers = self.container.job_handlers()
        wanted = set(commands) if commands is not None else set(handlers)
        runner = JobRunner(
            self.container.uow_factory(),
            self.container.clock(),
            {command: handler for command, handler in handlers.items() if command in wanted},
            "opt-out-test",
            backoff=FAST_BACKOFF,
        )
        async with running(runner):
            yield

    async def quiet_texts(self) -> list[str]:
        """The simulator's texts once nothing new came for ``QUIET`` seconds (jobs running)."""
        texts = await self.texts()
        while True:
            await asyncio.sleep(QUIET)
            again = await self.texts()
            if again == texts:
                return texts
            texts = again


@pytest.fixture
async def world(backend_url: str, tmp_path: Path) -> AsyncIterator[World]:
    settings = Settings(
        database_url=backend_url,
        workers=0,
        secret_key="opt-out-secret-key-0123456789",
        media_dir=str(tmp_path / "media"),
    )
    container = build_container(settings)
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
                simulator_url, API_KEY, SESSION, SECRET, chat_gap_seconds=CHAT_GAP
            )
            created = await container.create_association()(
                NewAssociation("optout", "Associação", whatsapp=whatsapp)
            )
            association = dataclasses.replace(created.unwrap(), bot=BOT)
            async with container.uow_factory()() as uow:
                await uow.associations.update(association)
                await uow.commit()
            await container.create_agent()(
                NewAgent("optout", "ana@optout.org", "Ana", "agent", "agent-password")
            )
            token = (await container.issue_api_token()("optout", "ana@optout.org")).unwrap()
            yield World(
                container,
                association.id,
                service_url,
                simulator_url,
                http,
                {"Authorization": f"Bearer {token}"},
            )


async def test_sair_stops_the_bot_and_agents_may_only_answer_what_comes_after(
    world: World,
) -> None:
    async with world.jobs():
        await world.patient_writes("Oi")
        await world.wait_for_texts(lambda texts: len(texts) >= 1)
        greeted = await world.quiet_texts()  # the greeting and the first question

        await world.patient_writes("Sair")
        texts = await world.quiet_texts()
        assert texts == [*greeted, PRIVACY.opt_out_confirmation]
        contact = await world.contact()
        assert contact["opted_out_at"] is not None
        assert contact["opt_out_source"] == "keyword:SAIR"
        assert (await world.conversation())["contact_opted_out"] is True

        refused = await world.agent_replies("Olá, podemos ajudar?")
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "contact_opted_out"
        assert "opted out" in refused.json()["error"]["message"]

        await world.patient_writes("Preciso falar sobre meu pedido")
        assert await world.quiet_texts() == texts, "the bot does not answer"
        assert (await world.conversation())["status"] == "bot"

        answered = await world.agent_replies("Claro, qual o número do pedido?")
        assert answered.status_code == 201, answered.text
        texts = await world.wait_for_texts(lambda t: len(t) == len(texts) + 1)
        assert texts[-1] == "Claro, qual o número do pedido?"
        assert await world.quiet_texts() == texts


async def test_what_was_due_before_the_opt_out_is_not_sent(world: World) -> None:
    await world.patient_writes("Oi")
    async with world.jobs([BotTurn]):  # the bot answers, nothing is delivered yet

        async def greeting_queued() -> bool:
            return any(m["author"] == "bot" for m in await world.messages())

        await eventually(greeting_queued, what="the bot's answer in the queue")
    await world.patient_writes("Tudo bem?")  # a bot turn is due after the debounce
    await world.patient_writes("  parar!  ")
    await world.patient_writes("Alô?")  # what that turn finds unanswered

    async with world.jobs():
        await world.wait_for_texts(lambda texts: len(texts) >= 1)
        assert await world.quiet_texts() == [PRIVACY.opt_out_confirmation]

    messages = await world.messages()
    bot = [m for m in messages if m["author"] == "bot"]  # the greeting and the first question
    assert {(m["status"], m["error"]) for m in bot} == {("failed", OPTED_OUT)}
    assert [m["body"] for m in messages if m["author"] == "system"] == [
        PRIVACY.opt_out_confirmation
    ]
    alerts = await world.container.queries().monitoring.recent_alerts(world.association_id, 10)
    assert alerts == [], "not a dead letter"
    async with world.container.uow_factory()() as uow:
        turn = await uow.jobs.get_by_key(f"{BotTurn.kind}:{(messages[0])['conversation_id']}")
    assert turn is not None and turn.status is JobStatus.DONE, "the bot turn ran, silently"
    assert (await world.contact())["opt_out_source"] == "keyword:PARAR"


async def test_voltar_opts_back_in_and_the_bot_answers_again(world: World) -> None:
    async with world.jobs():
        await world.patient_writes("STOP")
        await world.wait_for_texts(lambda texts: len(texts) >= 1)
        await world.patient_writes("Voltar")
        texts = await world.quiet_texts()
        assert texts == [PRIVACY.opt_out_confirmation, PRIVACY.opt_in_confirmation]
        contact = await world.contact()
        assert (contact["opted_out_at"], contact["opt_out_source"]) == (None, None)
        assert (await world.conversation())["contact_opted_out"] is False

        await world.patient_writes("Oi")
        answered = await world.wait_for_texts(lambda t: len(t) > len(texts))
        assert answered[-1] != PRIVACY.opt_in_confirmation
