"""A send WAHA carried out but whose answer never reached us is not sent twice (issue 15).

The simulator's ``lost_answer`` fault sends the message and drops the answer, so our client
times out as it would when real WAHA answers late or the connection breaks after the send. The
retry first looks for the message in the chat: on NOWEB and GOWS by the WhatsApp id fixed
before the send, on WEBJS by its text among our messages since the first attempt. Through the
real ``WahaGateway`` over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers
from tests.integration.delivery_support import (
    API_KEY,
    SECRET_KEY,
    SESSION,
    Waha,
    assert_delivered_in_order,
    create_association,
    duplicates,
    fast_runner,
    open_chats,
    queue_backlog,
    recording_simulator,
    running,
    status_counts,
)

from wa_crm.adapters.waha.gateway import WahaGateway
from wa_crm.container import Container, build_container, close_resources
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.settings import Settings
from wa_crm.testing import SimulatorConfig

CLIENT_TIMEOUT = httpx.Timeout(0.5)
LOST_FOR_SECONDS = 1.5
NOWEB_STORE = {"noweb": {"markOnline": True, "store": {"enabled": True, "fullSync": False}}}


@pytest.fixture(params=["WEBJS", "NOWEB", "GOWS"])
async def waha(request: pytest.FixtureRequest) -> AsyncIterator[Waha]:
    engine = str(request.param)
    config = SimulatorConfig(api_key=API_KEY, ack_levels=(), engine=engine)
    async with recording_simulator(config) as running_waha:
        if engine == "NOWEB":  # NOWEB lists a chat only from its store
            put = await running_waha.http.put(
                f"/api/sessions/{SESSION}",
                json={"config": NOWEB_STORE},
                headers={"X-Api-Key": API_KEY},
            )
            put.raise_for_status()
        yield running_waha


@pytest.fixture
async def container(backend_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    settings = Settings(
        database_url=backend_url,
        workers=0,
        job_poll_seconds=0.02,
        secret_key=SECRET_KEY,
        media_dir=str(tmp_path / "media"),
    )
    built = build_container(settings)
    built.gateway.override(providers.Singleton(WahaGateway, timeout=CLIENT_TIMEOUT))
    breakers = GatewayBreakers(built.clock(), failure_threshold=3, cooldown=timedelta(seconds=0.3))
    built.gateway_breakers.override(providers.Object(breakers))
    yield built
    await close_resources(built)


async def test_a_send_whose_answer_was_lost_is_not_sent_again(
    container: Container, waha: Waha
) -> None:
    association = await create_association(
        container, waha.url, messages_per_second=100, chat_gap_seconds=0.01
    )
    chats = await open_chats(container, association, 4)
    queued = await queue_backlog(container, association, chats, per_chat=3)

    async with running(fast_runner(container)):
        began = time.monotonic()
        await waha.fault("lost_answer", LOST_FOR_SECONDS)
        await asyncio.sleep(LOST_FOR_SECONDS)
        sent = await waha.wait_for_texts(len(queued), within=30)
        await asyncio.sleep(0.3)  # a late second copy would show now
        sent = await waha.sent_texts()

    lost = Counter(r.fault for r in waha.recorder.sends(since=began) if r.fault)["lost_answer"]
    resent = duplicates(sent)
    print(f"{lost} answers lost; {sum(resent.values()) - len(resent)} sent twice: {resent}")
    assert lost >= 1, "a send met the fault"
    assert not resent, "nothing sent twice"
    assert_delivered_in_order(queued, sent)
    assert await status_counts(container) == {"sent": len(queued)}
    # each message holds the WhatsApp id WAHA gave it: its acks will find it
    async with container.uow_factory()() as uow:
        stored = {
            message.body: message.external_id
            for chat in chats
            for message in await uow.messages.list_for_conversation(
                association.id, chat.conversation_id, before=None, limit=10
            )
        }
    assert stored == {record["text"]: record["id"] for record in sent}
