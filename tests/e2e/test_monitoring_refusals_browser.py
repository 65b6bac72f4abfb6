"""The monitoring page, in headless Chromium, says what an operator needs to act on (issue 15):
the session's pseudo-status as a translated sentence (not "UNREACHABLE (session_not_found)"),
the webhooks refused in the last hour, and no dead letter for a bot message withheld because a
person took over. Setup as in test_inbox_browser.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e import test_inbox_browser as inbox_tests
from tests.e2e.harness import Service, running_service

from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.model.message import (
    SUPERSEDED,
    Author,
    Direction,
    Message,
    MessageStatus,
    MessageType,
)
from wa_crm.domain.usecases.access.setup import NewAgent

pytestmark = pytest.mark.browser

browser = inbox_tests.browser
MARIA = "5511999998888@c.us"
PSEUDO_STATUS = "UNREACHABLE (session_not_found)"


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(sqlite_url, tmp_path / "media", BotSettings(enabled=False)) as s:
        await s.container.create_agent()(
            NewAgent("e2e", "ada@e2e.org", "Ada", "admin", "admin-password")
        )
        yield s


async def _history_and_refusals(service: Service) -> None:
    """The poll found no session on WAHA; WAHA signed two webhooks with an old secret; a bot
    message was withheld when Ana took the conversation over."""
    container = service.container
    await service.patient_writes(MARIA, "Oi")
    async with container.uow_factory()() as uow:
        await uow.session_events.record(
            service.association.id,
            PSEUDO_STATUS,
            datetime.now(UTC),
            session=service.association.whatsapp.session,
        )
        await uow.commit()
    conversation = await _conversation_of_maria(service)
    withheld = Message(
        id="withheld-1",
        association_id=service.association.id,
        conversation_id=conversation,
        direction=Direction.OUT,
        author=Author.BOT,
        type=MessageType.TEXT,
        body="Posso ajudar em algo mais?",
        status=MessageStatus.FAILED,
        created_at=datetime.now(UTC),
        error=SUPERSEDED,
    )
    async with container.uow_factory()() as uow:
        await uow.messages.add(withheld)
        await uow.commit()
    body = b'{"id":"evt_1","event":"message","session":"default","payload":{}}'
    async with httpx.AsyncClient(base_url=service.service_url) as http:
        for _ in range(2):
            refused = await http.post(
                "/api/webhooks/whatsapp",
                content=body,
                headers={"Content-Type": "application/json", "X-Webhook-Hmac": "0" * 128},
            )
            assert refused.status_code == 401


async def _conversation_of_maria(service: Service) -> str:
    for _ in range(200):
        if await service.contact_of(MARIA) is not None:
            return str((await service.conversation_of(MARIA)).id)
        await asyncio.sleep(0.05)
    raise AssertionError("Maria's message never arrived")


@pytest.mark.parametrize(
    ("lang", "working", "meaning", "refused", "reason"),
    [
        (
            "en",
            "Connected: messages come and go.",
            "WAHA has no session with this name: start it on the WhatsApp settings page.",
            "Webhooks refused in the last hour: 2",
            "The signature does not match the webhook secret",
        ),
        (
            "pt-BR",
            "Conectada: as mensagens vão e vêm.",
            "O WAHA não tem sessão com este nome: inicie-a na página de configurações do WhatsApp.",
            "Webhooks recusados na última hora: 2",
            "A assinatura não confere com o segredo do webhook",
        ),
    ],
)
async def test_the_page_says_what_the_status_means_and_what_was_refused(
    browser: Any,
    service: Service,
    lang: str,
    working: str,
    meaning: str,
    refused: str,
    reason: str,
) -> None:
    from playwright.async_api import expect

    await _history_and_refusals(service)
    context = await browser.new_context(viewport={"width": 1366, "height": 850})
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    target = f"{service.service_url}/dashboard/e2e/monitoring?lang={lang}"
    await page.goto(target)
    await page.fill("#email", "ada@e2e.org")
    await page.fill("#password", "admin-password")
    await page.click("#login-submit")
    await expect(page).to_have_url(target)

    # the simulator's session works now; the poll's finding is in the history
    await expect(page.locator("#session-meaning")).to_have_text(working)
    await expect(page.locator("#session-history")).to_contain_text(meaning)
    await expect(page.locator("#webhooks-refused")).to_contain_text(refused)
    await expect(page.locator("#webhooks-refused")).to_contain_text(reason)
    await expect(page.locator("#dead-letters-empty")).to_be_visible()
    await expect(page.locator("#fig-failures")).to_have_text("0")
    assert PSEUDO_STATUS not in await page.locator("main").inner_text()
    await context.close()
    assert problems == []
