"""A patient's voice note, end to end over HTTP: the WAHA simulator delivers it, the service
fetches the file, the fake OpenAI-compatible server transcribes it (its real multipart wire
format), the transcript is in the agents' API, and the rules assistant answers what was said.
Without a transcriber, the assistant does what the association chose for voice notes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.harness import Service, running_service
from tests.support.eventually import eventually

from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.model.people import Order
from wa_crm.testing import serve_app
from wa_crm.testing.fake_ai_servers import FakeAIServer, create_fake_openai_app

MARIA = "551199998888@c.us"  # the registry has +55 11 99999-8888
PATIENTS = "id,full_name,phone,status\np-1,Maria Silva,+55 11 99999-8888,active\n"
BOT = BotSettings(debounce_seconds=0.3, typing_seconds=0)
TRANSCRIBER_KEY = "sk-transcriber-e2e-0123456789"
ASKS_FOR_THE_ORDER = b"OggS\x00\x02" + b"cade-meu-pedido" * 40
NOT_AUDIO = b"OggS\x00\x02" + b"noise" * 40


@pytest.fixture
async def whisper() -> AsyncIterator[tuple[str, FakeAIServer]]:
    app = create_fake_openai_app(api_key=TRANSCRIBER_KEY)
    fake: FakeAIServer = app.state.fake
    fake.transcripts[ASKS_FOR_THE_ORDER] = "Oi, cadê meu pedido?"
    async with serve_app(app) as url:
        yield url, fake


@pytest.fixture
async def service(
    sqlite_url: str, tmp_path: Path, whisper: tuple[str, FakeAIServer]
) -> AsyncIterator[Service]:
    async with running_service(
        sqlite_url,
        tmp_path / "media",
        BOT,
        quick_sends=True,
        transcriber_base_url=whisper[0],
        transcriber_api_key=TRANSCRIBER_KEY,
    ) as running:
        await _with_maria_and_her_order(running)
        yield running


async def _with_maria_and_her_order(service: Service) -> None:
    await service.container.import_patients()("e2e", PATIENTS)
    async with service.container.uow_factory()() as uow:
        await uow.patients.add_order(
            service.association.id,
            "p-1",
            Order("o-7", date(2026, 11, 2), "Óleo 30ml", Decimal("289.90"), "enviado"),
        )
        await uow.commit()


async def _api_messages(service: Service) -> list[dict[str, Any]]:
    """Maria's messages as the agents' API gives them; none before her first one is stored."""
    if await service.contact_of(MARIA) is None:
        return []
    conversation = (await service.conversation_of(MARIA)).id
    token = (await service.container.issue_api_token()("e2e", "ana@e2e.org")).unwrap()
    url = f"{service.service_url}/api/associations/e2e/conversations/{conversation}/messages"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        response = await http.get(url)
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _transcribed(items: list[dict[str, Any]]) -> bool:
    return any(m["type"] == "audio" and m["transcript"] is not None for m in items)


async def test_a_voice_note_is_fetched_transcribed_and_shown_in_the_api(
    service: Service, whisper: tuple[str, FakeAIServer]
) -> None:
    _, fake = whisper
    await service.patient_sends_voice_note(MARIA, ASKS_FOR_THE_ORDER)

    messages = await eventually(lambda: _api_messages(service), _transcribed)

    (voice,) = [m for m in messages if m["type"] == "audio"]
    assert voice["transcript"] == "Oi, cadê meu pedido?"
    assert voice["media"]["url"] is not None  # served by us, from our media store
    (request,) = [r for r in fake.requests if r.path == "/v1/audio/transcriptions"]
    assert request.status == 200
    assert request.headers["authorization"] == f"Bearer {TRANSCRIBER_KEY}"
    assert request.body["language"] == "pt"
    assert request.body["file"]["size"] == len(ASKS_FOR_THE_ORDER)


async def test_the_assistant_answers_what_the_voice_note_said(service: Service) -> None:
    await service.patient_sends_voice_note(MARIA, ASKS_FOR_THE_ORDER)

    texts = await service.wait_for_texts(
        lambda t: any("o-7" in text for text in t), MARIA, within=5
    )

    assert any("enviado" in text for text in texts)
    assert BOT.transition_message not in texts


async def test_audio_the_transcriber_cannot_hear_is_untranscribable_and_answered(
    service: Service, whisper: tuple[str, FakeAIServer]
) -> None:
    await service.patient_sends_voice_note(MARIA, NOT_AUDIO)

    messages = await eventually(lambda: _api_messages(service), _transcribed)

    (voice,) = [m for m in messages if m["type"] == "audio"]
    assert voice["transcript"] == ""
    # the contact is not left waiting: asked to write, as the association chose
    await service.wait_for_texts(lambda t: BOT.voice_note_message in t, MARIA, within=5)


async def test_without_a_transcriber_the_association_asks_to_write(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running_service(sqlite_url, tmp_path / "media", BOT, quick_sends=True) as service:
        await _with_maria_and_her_order(service)
        await service.patient_sends_voice_note(MARIA, ASKS_FOR_THE_ORDER)

        texts = await service.wait_for_texts(lambda t: BOT.voice_note_message in t, MARIA, within=5)

        (voice,) = [m for m in await _api_messages(service) if m["type"] == "audio"]
        assert voice["transcript"] is None
        assert not any("o-7" in text for text in texts)
