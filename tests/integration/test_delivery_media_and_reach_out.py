"""The whole service on a real port with the WAHA simulator calling its webhook: a patient's
photo is fetched from WAHA before WAHA deletes it (``WHATSAPP_FILES_LIFETIME`` of 2 s), kept in
our media store with its size and checksum, and served to agents by our authenticated route
after WAHA lost it; WhatsApp's reach-out limit (463) makes a dead letter at once with its own
error code, after one request, and leaves the circuit breaker closed."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.integration.delivery_support import (
    API_KEY,
    SECRET,
    SECRET_KEY,
    SESSION,
    Waha,
    create_association,
    eventually,
    recording_simulator,
)

from wa_crm.adapters.waha.webhooks import SUBSCRIBED_EVENTS
from wa_crm.container import Container, build_container
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.job_commands import Deliver
from wa_crm.domain.model.jobs import Backoff, JobStatus
from wa_crm.domain.model.message import Message, MessageStatus
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.domain.usecases.inbound.contacts import connection_of
from wa_crm.domain.usecases.inbox.agent_actions import AgentRequest
from wa_crm.entrypoints.http.app import create_app
from wa_crm.settings import Settings
from wa_crm.testing import SimulatorConfig, serve_app

FILES_LIFETIME = 2.0
PATIENT = "5511977776666@c.us"
AGENT_EMAIL = "ana@entrega.org"
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64  # a JPEG's first bytes, then 16 KiB


@dataclass
class Service:
    url: str
    container: Container
    association: Association
    agent_id: str
    token: str
    waha: Waha

    async def messages_of(self, chat_id: str) -> list[Message]:
        async with self.container.uow_factory()() as uow:
            contact = await uow.contacts.find_by_chat_id(self.association.id, chat_id)
            if contact is None:
                return []
            found: list[Message] = []
            for conversation in await uow.conversations.list_for_contact(
                self.association.id, contact.id
            ):
                found += await uow.messages.list_for_conversation(
                    self.association.id, conversation.id, before=None, limit=50
                )
        return found


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    settings = Settings(
        database_url=sqlite_url,
        workers=1,
        job_poll_seconds=0.02,
        secret_key=SECRET_KEY,
        media_dir=str(tmp_path / "media"),
    )
    container = build_container(settings)
    container.job_runner.add_kwargs(backoff=Backoff(base_seconds=0.05, max_seconds=0.5))
    async with serve_app(create_app(container)) as service_url:
        simulator = SimulatorConfig(
            api_key=API_KEY,
            hook_url=f"{service_url}/api/webhooks/whatsapp",
            hook_events=SUBSCRIBED_EVENTS,
            hook_hmac_key=SECRET,
            hook_retries_delay_seconds=0.05,
            ack_levels=(),
            files_lifetime_seconds=FILES_LIFETIME,
        )
        async with recording_simulator(simulator) as waha:
            association = await create_association(
                container, waha.url, messages_per_second=20, chat_gap_seconds=0
            )
            agent = await container.create_agent()(
                NewAgent(association.slug, AGENT_EMAIL, "Ana", "agent", "agent-password")
            )
            token = await container.issue_api_token()(association.slug, AGENT_EMAIL)
            yield Service(
                service_url, container, association, agent.unwrap().id, token.unwrap(), waha
            )


async def test_inbound_media_is_kept_before_waha_deletes_it(service: Service) -> None:
    waha, store = service.waha, service.container.media_store()
    photo = {"mimetype": "image/jpeg", "filename": "receita.jpg", "data": b64(PHOTO)}
    written = time.monotonic()
    response = await waha.http.post(
        f"/_sim/{SESSION}/inbound",
        json={"from": PATIENT, "text": "Segue a receita", "media": photo},
    )
    response.raise_for_status()

    async def stored() -> bool:
        found = await service.messages_of(PATIENT)
        return bool(found) and found[0].media is not None and found[0].media.stored

    await eventually(stored, within=FILES_LIFETIME, what="the photo in our media store")
    kept_after = time.monotonic() - written
    (message,) = await service.messages_of(PATIENT)
    media = message.media
    assert media is not None and media.url is not None
    assert (media.size, media.checksum) == (len(PHOTO), hashlib.sha256(PHOTO).hexdigest())
    assert (media.mimetype, media.filename, media.error) == ("image/jpeg", "receita.jpg", None)

    downloads = [r for r in waha.recorder.requests if r.path.startswith("/api/files/")]
    assert len(downloads) == 1, "fetched once"
    (inbound,) = (await waha.http.get(f"/_sim/{SESSION}/inbound")).json()
    await asyncio.sleep(max(0.0, written + FILES_LIFETIME + 0.1 - time.monotonic()))
    gone = await waha.http.get(inbound["media"]["url"], headers={"X-Api-Key": API_KEY})
    assert gone.status_code == 404, "WAHA deleted the file"

    assert await store.get(media.url) == PHOTO
    route = f"{service.url}/api/associations/{service.association.slug}/media/{message.id}"
    served = await waha.http.get(route, headers={"Authorization": f"Bearer {service.token}"})
    assert served.status_code == 200 and served.content == PHOTO
    assert served.headers["content-type"].startswith("image/jpeg")
    assert (await waha.http.get(route)).status_code == 401, "agents only"
    print(f"photo kept {kept_after:.3f} s after it arrived (WAHA keeps it {FILES_LIFETIME} s)")


async def test_the_reach_out_limit_is_a_dead_letter_at_once(service: Service) -> None:
    waha, container = service.waha, service.container
    response = await waha.http.post(
        f"/_sim/{SESSION}/inbound", json={"from": PATIENT, "text": "Oi"}
    )
    response.raise_for_status()

    async def conversation_opened() -> bool:
        return bool(await service.messages_of(PATIENT))

    await eventually(conversation_opened, what="the patient's conversation")
    (inbound,) = await service.messages_of(PATIENT)
    await waha.fault("463")
    request = AgentRequest(service.association.id, inbound.conversation_id, service.agent_id)
    reply = (await container.agent_actions().reply(request, "Olá! Como posso ajudar?")).unwrap()

    async def failed() -> bool:
        async with container.uow_factory()() as uow:
            message = await uow.messages.get(service.association.id, reply.id)
        return message is not None and message.status is MessageStatus.FAILED

    await eventually(failed, what="a dead letter")
    await asyncio.sleep(0.5)  # with a backoff of tens of milliseconds, retries would show now
    async with container.uow_factory()() as uow:
        message = await uow.messages.get(service.association.id, reply.id)
        job = await uow.jobs.get_by_key(f"{Deliver.kind}:{inbound.conversation_id}")
    assert message is not None and message.error is not None
    assert message.error == "reach_out_limit"
    assert job is not None and (job.status, job.attempts) == (JobStatus.DONE, 1)
    sends = waha.recorder.sends()
    assert [request.fault for request in sends] == ["463"], "one request, no retries"
    breakers = container.gateway_breakers()
    assert breakers.state(connection_of(service.association)) == "closed"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
