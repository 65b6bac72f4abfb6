"""The whole service on a real port, with the WAHA simulator calling its webhook over HTTP.

async with running_service(database_url, tmp_path) as service:
    await service.patient_writes("5511988887777@c.us", "Oi")
    texts = await service.wait_for_texts(lambda texts: len(texts) >= 2)

``running_unconfigured_service`` is the same with an association whose WhatsApp is not set up
yet (the wizard's starting point): the simulator has no session until the service starts one.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from wa_crm.adapters.waha.webhooks import SUBSCRIBED_EVENTS
from wa_crm.container import Container, build_container
from wa_crm.domain.model.association import Association, BotSettings, WhatsAppSettings
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.entrypoints.http.app import create_app
from wa_crm.settings import Settings
from wa_crm.testing import SimulatorConfig, free_port, running_simulator, serve_app

API_KEY = "e2e-waha-key"
SECRET = "e2e-webhook-secret"
SESSION = "default"


@dataclass
class Service:
    container: Container
    association: Association
    agent_id: str
    simulator_url: str
    http: httpx.AsyncClient
    service_url: str = ""

    async def patient_writes(self, chat_id: str, text: str, push_name: str = "") -> str:
        body = {"from": chat_id, "text": text, "push_name": push_name}
        response = await self.http.post(f"{self.simulator_url}/_sim/{SESSION}/inbound", json=body)
        response.raise_for_status()
        return str(response.json()["id"])

    async def patient_sends_voice_note(self, chat_id: str, audio: bytes) -> str:
        media = {"mimetype": "audio/ogg; codecs=opus", "data": base64.b64encode(audio).decode()}
        body = {"from": chat_id, "media": media}
        response = await self.http.post(f"{self.simulator_url}/_sim/{SESSION}/inbound", json=body)
        response.raise_for_status()
        return str(response.json()["id"])

    async def sent(self, chat_id: str | None = None) -> list[dict[str, Any]]:
        response = await self.http.get(f"{self.simulator_url}/_sim/{SESSION}/sent")
        response.raise_for_status()
        return [s for s in response.json() if chat_id is None or s["chatId"] == chat_id]

    async def texts(self, chat_id: str | None = None) -> list[str]:
        return [s["text"] for s in await self.sent(chat_id) if s["kind"] == "text"]

    async def wait_for_texts(
        self, done: Callable[[list[str]], bool], chat_id: str | None = None, within: float = 15
    ) -> list[str]:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            texts = await self.texts(chat_id)
            if done(texts):
                return texts
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out; the simulator received {texts!r}")
            await asyncio.sleep(0.05)

    async def conversation_of(self, chat_id: str) -> Any:
        async with self.container.uow_factory()() as uow:
            contact = await uow.contacts.find_by_chat_id(self.association.id, chat_id)
            assert contact is not None, f"no contact for {chat_id}"
            conversations = await uow.conversations.list_for_contact(
                self.association.id, contact.id
            )
        return conversations[0]

    async def contact_of(self, chat_id: str) -> Any:
        async with self.container.uow_factory()() as uow:
            return await uow.contacts.find_by_chat_id(self.association.id, chat_id)


QUICK_PACING: dict[str, float] = {"chat_gap_seconds": 0, "messages_per_second": 100}


def _settings(database_url: str, media_dir: Path, **extra: Any) -> Settings:
    return Settings(
        database_url=database_url,
        workers=1,
        job_poll_seconds=0.02,
        secret_key="e2e-secret-key-0123456789",
        media_dir=str(media_dir),
        **extra,
    )


async def _association_with_agent(
    container: Container, new: NewAssociation, bot: BotSettings | None
) -> tuple[Association, str]:
    """The association (with a quick bot) and its agent Ana; returns Ana's id."""
    association = (await container.create_association()(new)).unwrap()
    bot_settings = bot or BotSettings(debounce_seconds=0.3, typing_seconds=0)
    association = dataclasses.replace(association, bot=bot_settings)
    async with container.uow_factory()() as uow:
        await uow.associations.update(association)
        await uow.commit()
    agent = (
        await container.create_agent()(
            NewAgent("e2e", "ana@e2e.org", "Ana", "agent", "agent-password")
        )
    ).unwrap()
    return association, agent.id


def _host(crm: Starlette, prefix: str) -> Starlette:
    """A host app with wa_crm mounted under ``prefix``; the host runs wa_crm's lifespan
    (Starlette does not run a mounted app's)."""

    @asynccontextmanager
    async def lifespan(host: Starlette) -> AsyncIterator[None]:
        async with crm.router.lifespan_context(crm):
            yield

    return Starlette(routes=[Mount(prefix, app=crm)], lifespan=lifespan)


@asynccontextmanager
async def running_service(
    database_url: str,
    media_dir: Path,
    bot: BotSettings | None = None,
    *,
    quick_sends: bool = False,
    mounted_at: str = "",
    **settings: Any,
) -> AsyncIterator[Service]:
    """``settings``: Settings fields to override, e.g. a short ``request_body_timeout_seconds``.

    ``mounted_at``: a prefix such as ``/crm`` mounts the app there in a host Starlette app, as
    a backend embedding wa_crm does; ``Service.service_url`` then ends with it.

    ``quick_sends``: no gap between sends to a chat, for tests that pacing does not concern;
    otherwise a bot's second message waits out the default one-second gap, and stopping the
    service waits for it."""
    container = build_container(_settings(database_url, media_dir, **settings))
    app = create_app(container)
    async with serve_app(_host(app, mounted_at) if mounted_at else app) as host_url:
        service_url = f"{host_url}{mounted_at}"
        simulator = SimulatorConfig(
            api_key=API_KEY,
            hook_url=f"{service_url}/api/webhooks/whatsapp",
            hook_events=SUBSCRIBED_EVENTS,
            hook_hmac_key=SECRET,
            hook_retries_delay_seconds=0.05,
            ack_delay_seconds=0.01,
        )
        async with running_simulator(simulator) as simulator_url, httpx.AsyncClient() as http:
            pacing = QUICK_PACING if quick_sends else {}
            whatsapp = WhatsAppSettings(simulator_url, API_KEY, SESSION, SECRET, **pacing)
            association, agent_id = await _association_with_agent(
                container, NewAssociation("e2e", "Associação E2E", whatsapp=whatsapp), bot
            )
            yield Service(container, association, agent_id, simulator_url, http, service_url)


@asynccontextmanager
async def running_unconfigured_service(
    database_url: str, media_dir: Path, bot: BotSettings | None = None, **simulator_fields: Any
) -> AsyncIterator[Service]:
    """An association without WhatsApp settings, for its admin to set up: the service listens
    at its public URL (the webhook address it gives WAHA), and the simulator has no session
    and no global webhook until the service starts one with its own.

    ``simulator_fields``: SimulatorConfig fields to override, e.g. ``tier="CORE"``."""
    port = free_port()
    container = build_container(
        _settings(database_url, media_dir, public_url=f"http://127.0.0.1:{port}")
    )
    simulator = SimulatorConfig(
        api_key=API_KEY, default_session=False, ack_delay_seconds=0.01, **simulator_fields
    )
    async with (
        serve_app(create_app(container), port=port) as service_url,
        running_simulator(simulator) as simulator_url,
        httpx.AsyncClient() as http,
    ):
        association, agent_id = await _association_with_agent(
            container, NewAssociation("e2e", "Associação E2E"), bot
        )
        yield Service(container, association, agent_id, simulator_url, http, service_url)
