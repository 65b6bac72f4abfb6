"""The knowledge base page in a real browser (headless Chromium through Playwright) at 1366x850,
1024x768 and 390x844: an admin uploads a file and sees it listed, tries a question and sees the
answer with its source and the passages found, answers an unanswered question (it leaves the
list and its FAQ entry is listed), adds a pasted text and deletes a document after confirming;
nothing overflows the window. Screenshots go to docs/screenshots/ (knowledge.png,
knowledge-phone.png).

The browser fixture is the inbox tests'; like them, these skip without Chromium, except under
``CI=true``, where they fail.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from tests.e2e import test_inbox_browser as inbox_tests
from tests.e2e.harness import Service, running_service
from tests.e2e.test_inbox_browser import screenshot

from wa_crm.adapters.ai import RulesProvider, ScriptedProvider
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.ports.ai import BotReply

pytestmark = pytest.mark.browser

browser = inbox_tests.browser
LAPTOP = {"width": 1366, "height": 850}
SMALL_LAPTOP = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
ADA = ("ada@e2e.org", "admin-password")
DELIVERY = (
    "# Entregas\n\nA associação entrega os medicamentos às terças e quintas, pelos Correios, "
    "com código de rastreio enviado por WhatsApp.\n"
)
ASKED = "Vocês atendem em Campinas?"


@pytest.fixture
async def service(
    sqlite_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Service, ScriptedProvider]]:
    """Ada (admin) of e2e, whose assistant is a scripted model; one unanswered question."""
    async with running_service(sqlite_url, tmp_path / "media") as service:
        container = service.container
        (await container.create_agent()(NewAgent("e2e", ADA[0], "Ada", "admin", ADA[1]))).unwrap()
        model = ScriptedProvider()
        container.ai_providers.override(
            providers.Object({"rules": RulesProvider(), "scripted": model})
        )
        async with container.uow_factory()() as uow:
            association = await uow.associations.get(service.association.id)
            assert association is not None
            bot = dataclasses.replace(association.bot, provider="scripted")
            await uow.associations.update(dataclasses.replace(association, bot=bot))
            await uow.commit()
        await container.knowledge_base().record_unanswered(
            service.association.id, ASKED, None, datetime.now(UTC)
        )
        yield service, model


@asynccontextmanager
async def knowledge_page(
    browser: Any, service: Service, viewport: dict[str, int], lang: str
) -> Any:
    """Ada signed in on the knowledge page; the test fails on any script error."""
    from playwright.async_api import expect

    context = await browser.new_context(viewport=viewport, timezone_id="America/Sao_Paulo")
    context.set_default_timeout(inbox_tests.TIMEOUT_MS)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("dialog", lambda dialog: dialog.accept())
    target = f"{service.service_url}/dashboard/e2e/knowledge?lang={lang}"
    await page.goto(target)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.fill("#email", ADA[0])
    await page.fill("#password", ADA[1])
    await page.click("#login-submit")
    await expect(page).to_have_url(target)
    try:
        yield page
    finally:
        await context.close()
    assert problems == [], problems


async def _fits(page: Any, width: int) -> None:
    scroll_width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page scrolls sideways: {scroll_width} > {width}"


def document(page: Any, title: str) -> Any:
    return page.locator("#kb-documents .kb-item", has_text=title)


async def test_upload_try_answer_and_delete(
    browser: Any, service: tuple[Service, ScriptedProvider]
) -> None:
    from playwright.async_api import expect

    running, model = service
    model.push(BotReply("Entregamos às terças e quintas.", sources=("Regras de entrega",)))
    async with knowledge_page(browser, running, LAPTOP, "pt-BR") as page:
        await expect(page.locator("h1")).to_have_text("Base de conhecimento")
        await expect(page.locator("#kb-documents")).to_contain_text("Nenhum documento ainda.")
        await page.set_input_files(
            "#kb-file",
            {
                "name": "Regras de entrega.md",
                "mimeType": "text/markdown",
                "buffer": DELIVERY.encode(),
            },
        )
        await page.get_by_role("button", name="Adicionar", exact=True).click()
        delivery = document(page, "Regras de entrega")
        await expect(delivery).to_contain_text("Documento")
        await expect(delivery).to_contain_text("1 trecho")

        await page.fill("#kb-question", "Quando vocês entregam os medicamentos?")
        await page.get_by_role("button", name="Testar", exact=True).click()
        tried = page.locator("#kb-tried")
        await expect(tried).to_contain_text("Entregamos às terças e quintas.")
        await expect(tried.locator(".kb-source")).to_have_text("Fonte: Regras de entrega")
        await expect(tried.locator(".kb-passage").first).to_contain_text("Regras de entrega")
        await expect(tried.locator(".kb-passage").first).to_contain_text("relevância")
        passages = model.requests[0].passages
        assert passages and passages[0].title == "Regras de entrega"

        question = page.locator("#kb-unanswered .kb-question", has_text=ASKED)
        await expect(question).to_contain_text("perguntada 1")
        await question.locator("textarea").fill("Sim, entregamos em Campinas pelos Correios.")
        await question.get_by_role("button", name="Responder").click()
        await expect(page.locator("#kb-unanswered")).to_contain_text(
            "Nenhuma pergunta sem resposta."
        )
        await expect(document(page, ASKED)).to_contain_text("Pergunta frequente")
        await _fits(page, LAPTOP["width"])
        await screenshot(page, "knowledge.png")

        await delivery.get_by_role("button", name="Excluir").click()
        await expect(delivery).to_have_count(0)
        listed = await running.container.knowledge_documents().listed(running.association.id)
        assert [doc.title for doc in listed] == [ASKED]


@pytest.mark.parametrize("viewport", [SMALL_LAPTOP, PHONE], ids=["1024x768", "390x844"])
async def test_the_page_fits_smaller_windows_in_english(
    browser: Any, service: tuple[Service, ScriptedProvider], viewport: dict[str, int]
) -> None:
    from playwright.async_api import expect

    running, model = service
    model.push(BotReply("We deliver on Tuesdays and Thursdays.", sources=("Deliveries",)))
    async with knowledge_page(browser, running, viewport, "en") as page:
        await expect(page.locator("h1")).to_have_text("Knowledge base")
        await page.fill("#kb-doc-title", "Deliveries")
        await page.fill("#kb-text", DELIVERY * 3)
        await page.get_by_role("button", name="Add", exact=True).click()
        await expect(document(page, "Deliveries")).to_contain_text("Document")
        await page.fill("#kb-question", "Quando vocês entregam os medicamentos?")
        await page.get_by_role("button", name="Try", exact=True).click()
        await expect(page.locator("#kb-tried .kb-source")).to_have_text("Source: Deliveries")
        await expect(page.locator("#kb-unanswered")).to_contain_text("asked 1")
        await _fits(page, viewport["width"])
        for button in await page.get_by_role("button").all():
            if await button.is_visible():
                box = await button.bounding_box()
                assert box is not None and box["x"] + box["width"] <= viewport["width"]
        if viewport is PHONE:
            await screenshot(page, "knowledge-phone.png")
