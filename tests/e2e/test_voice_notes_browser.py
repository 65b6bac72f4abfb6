"""A voice note's transcript in the inbox, in headless Chromium at 1366x850, 1024x768 and
390x844, against the whole service, the WAHA simulator and the fake transcription server over
real HTTP: the player shows first, the transcript arrives under it live (the message's change
over SSE, nothing reloaded), and audio that cannot be transcribed says so, in the page's
language. Setup as in test_inbox_browser.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.harness import Service, running_service
from tests.e2e.test_inbox_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    TIMEOUT_MS,
    _chromium_or_skip,
)
from tests.support.eventually import eventually

from wa_crm.domain.model.association import BotSettings
from wa_crm.testing import serve_app
from wa_crm.testing.fake_ai_servers import Delay, FakeAIServer, create_fake_openai_app

pytestmark = pytest.mark.browser

MARIA = "5511999998888@c.us"
SIZES = [(1366, 850, "en"), (1024, 768, "pt-BR"), (390, 844, "pt-BR")]
LABELS = {
    "en": ("Transcript:", "The audio could not be transcribed."),
    "pt-BR": ("Transcrição:", "Não foi possível transcrever o áudio."),
}
NOISE = b"OggS\x00\x02" + b"static" * 40


def _voice(width: int) -> bytes:
    return b"OggS\x00\x02" + f"voice-note-at-{width}px".encode() * 20


def _said(width: int) -> str:
    return f"Bom dia, queria saber se a receita de {width} chegou, por favor."


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async_playwright = _chromium_or_skip()
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def desk(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[Service, FakeAIServer]]:
    """The bot is off, so Maria's conversation waits for the agents; she said good morning."""
    whisper = create_fake_openai_app()
    fake: FakeAIServer = whisper.state.fake
    for width, _, _ in SIZES:
        fake.transcripts[_voice(width)] = _said(width)
    async with (
        serve_app(whisper) as whisper_url,
        running_service(
            sqlite_url,
            tmp_path / "media",
            BotSettings(enabled=False),
            transcriber_base_url=whisper_url,
        ) as service,
    ):
        await service.patient_writes(MARIA, "Bom dia", push_name="Maria")
        await eventually(lambda: service.contact_of(MARIA), lambda contact: contact is not None)
        yield service, fake


async def _held(fake: FakeAIServer) -> int:
    return fake.held


async def test_the_transcript_arrives_under_the_player_at_three_sizes(
    browser: Any, desk: tuple[Service, FakeAIServer]
) -> None:
    from playwright.async_api import expect

    service, fake = desk
    conversation = (await service.conversation_of(MARIA)).id
    signed_in = None
    for width, height, lang in SIZES:
        label, failed = LABELS[lang]
        context = await browser.new_context(
            viewport={"width": width, "height": height},
            locale="en-US",
            has_touch=width < 600,
            storage_state=signed_in,
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error, seen=problems: seen.append(f"page error: {error}"))
        await page.goto(f"{service.service_url}/dashboard/e2e/inbox?lang={lang}&c={conversation}")
        if signed_in is None:
            await page.fill("#email", "ana@e2e.org")
            await page.fill("#password", "agent-password")
            await page.press("#password", "Enter")
        await expect(page.locator(".msg-in", has_text="Bom dia").first).to_be_visible()
        signed_in = await context.storage_state()
        voice_notes = page.locator(".msg-in", has=page.locator("audio"))
        before = await voice_notes.count()

        # the player first, while the transcription server is still listening
        fake.push_transcription(Delay(30))
        await service.patient_sends_voice_note(MARIA, _voice(width))
        await eventually(lambda: _held(fake), bool)
        latest = voice_notes.nth(before)
        await expect(latest.locator("audio")).to_be_visible()
        await expect(latest.locator(".msg-transcript")).to_have_count(0)

        # then the transcript, live
        fake.release()
        transcript = latest.locator(".msg-transcript")
        await expect(transcript).to_have_text(f"{label} {_said(width)}")
        box, bubble = await transcript.bounding_box(), await latest.bounding_box()
        assert box is not None and bubble is not None
        assert box["y"] > (await latest.locator("audio").bounding_box() or {"y": 0})["y"]
        assert box["x"] + box["width"] <= bubble["x"] + bubble["width"] + 0.5, (box, bubble)
        assert bubble["x"] + bubble["width"] <= width

        # audio the server cannot hear
        await service.patient_sends_voice_note(MARIA, NOISE)
        await expect(voice_notes.nth(before + 1).locator(".msg-transcript")).to_have_text(failed)
        if width == 1366:
            await page.screenshot(path=str(SCREENSHOTS / "inbox-voice-note.png"))
        await context.close()
        assert problems == [], problems
