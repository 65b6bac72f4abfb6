"""The inbox list marks a conversation no agent answered within the first-response target
("Atrasada" / "Late"), in headless Chromium at a laptop's 1366x850, a tablet's 1024x768 and a
phone's 390x844, against the whole service and the WAHA simulator; an agent's answer takes the
mark away live. Setup as in test_inbox_browser.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.harness import Service, running_service
from tests.e2e.test_inbox_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _chromium_or_skip
from tests.e2e.test_reactions_browser import SIZES, _within_the_width
from tests.support.eventually import eventually

from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.model.job_commands import CheckFirstResponse
from wa_crm.domain.model.jobs import Attempt
from wa_crm.domain.usecases.inbox.first_response import CheckFirstResponses
from wa_crm.testing.clock import FakeClock

pytestmark = pytest.mark.browser

MARIA = "5511999998888@c.us"


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
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(sqlite_url, tmp_path / "media", BotSettings(enabled=False)) as s:
        yield s


async def _a_late_conversation(service: Service) -> str:
    """Maria writes while the bot is off (she waits for agents); 31 minutes on, the check
    marks her conversation late."""
    await service.patient_writes(MARIA, "Bom dia, preciso de ajuda com meu pedido")
    await eventually(lambda: service.contact_of(MARIA), lambda contact: contact is not None)
    later = FakeClock(datetime.now(UTC) + timedelta(minutes=31))
    check = CheckFirstResponses(service.container.uow_factory(), later)
    await check(CheckFirstResponse(service.association.id), Attempt(1, 1))
    conversation = await service.conversation_of(MARIA)
    assert conversation.sla_breached_at is not None
    return str(conversation.id)


async def test_late_conversations_are_marked_in_the_list_at_three_sizes(
    browser: Any, service: Service
) -> None:
    from playwright.async_api import expect

    conversation = await _a_late_conversation(service)
    for (width, height), lang, label in zip(
        SIZES, ("pt-BR", "en", "en"), ("Atrasada", "Late", "Late"), strict=True
    ):
        context = await browser.new_context(
            viewport={"width": width, "height": height}, locale=lang, has_touch=width < 600
        )
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error, seen=problems: seen.append(f"page error: {error}"))
        await page.goto(f"{service.service_url}/dashboard/e2e/inbox?lang={lang}")
        await page.fill("#email", "ana@e2e.org")
        await page.fill("#password", "agent-password")
        await page.press("#password", "Enter")
        mark = page.locator(f'.conv[data-id="{conversation}"] .pill-late')
        await expect(mark).to_have_text(label)
        await _within_the_width(page, mark, width)
        if width == SIZES[-1][0]:
            token = (await service.container.issue_api_token()("e2e", "ana@e2e.org")).unwrap()
            async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
                answer = await http.post(
                    f"{service.service_url}/api/associations/e2e/conversations/{conversation}"
                    "/messages",
                    json={"text": "Bom dia, Maria! Já vejo seu pedido."},
                )
                assert answer.status_code == 201, answer.text
            await expect(mark).to_have_count(0)
        assert problems == []
        await context.close()
