"""The agents' assistant in the inbox, in headless Chromium at 1366x850, 1024x768 and 390x844,
against the whole service, the WAHA simulator and the fake OpenAI server over real HTTP.

"Suggest reply" is busy while the model thinks, then puts the draft in the composer, focused,
and sends nothing; "Summarize" saves the summary as a note that shows at once; a failing model
gets an error toast; the buttons fit the composer on a phone; an association whose assistant
is the rules provider has no buttons. Setup as in test_inbox_browser.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
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
from wa_crm.domain.model.knowledge import DocumentKind, KnowledgeDocument
from wa_crm.testing import serve_app
from wa_crm.testing.fake_ai_servers import (
    Delay,
    FakeAIServer,
    HttpError,
    Text,
    create_fake_openai_app,
)

pytestmark = pytest.mark.browser

MARIA = "5511999998888@c.us"
CPF = "123.456.789-09"
SAID = (f"Bom dia! Meu CPF é {CPF}.", "Quando vence a mensalidade?")
# (width, height, the page's language)
SIZES = [(1366, 850, "en"), (1024, 768, "pt-BR"), (390, 844, "pt-BR")]
LABELS = {
    "en": ("Suggest reply", "Summarize", "Suggesting…"),
    "pt-BR": ("Sugerir resposta", "Resumir", "Sugerindo…"),
}
SOURCES = {
    "en": "Assistant's draft, from: Estatuto",
    "pt-BR": "Rascunho do assistente, com base em: Estatuto",
}
FAILED = {
    "en": "The AI model did not answer just now",
    "pt-BR": "O modelo de IA não respondeu agora",
}
STATUTE = KnowledgeDocument(
    "doc-statute",
    "",
    "Estatuto",
    "A mensalidade vence no dia 10 de cada mês.",
    DocumentKind.DOCUMENT,
    datetime(2026, 1, 5, tzinfo=UTC),
    datetime(2026, 1, 5, tzinfo=UTC),
)


@dataclasses.dataclass
class Desk:
    service: Service
    model: FakeAIServer
    conversation: str


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
async def desk(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    """The bot is off and its provider is the fake OpenAI; Maria asked a question."""
    model = create_fake_openai_app()
    async with (
        serve_app(model) as model_url,
        running_service(
            sqlite_url,
            tmp_path / "media",
            BotSettings(enabled=False, provider="openai"),
            openai_base_url=model_url,
            openai_api_key="key",
        ) as service,
    ):
        statute = dataclasses.replace(STATUTE, association_id=service.association.id)
        await service.container.knowledge_base().save(statute, [statute.text])
        for said in SAID:
            await service.patient_writes(MARIA, said, push_name="Maria")
        await eventually(lambda: service.contact_of(MARIA), lambda contact: contact is not None)
        conversation = (await service.conversation_of(MARIA)).id
        yield Desk(service, model.state.fake, conversation)


async def _open(
    browser: Any, desk: Desk, width: int, height: int, lang: str, signed_in: Any = None
) -> Any:
    """The conversation in a new window; ``signed_in``: a storage state with Ana's session."""
    from playwright.async_api import expect

    context = await browser.new_context(
        viewport={"width": width, "height": height},
        locale="en-US",
        has_touch=width < 600,
        storage_state=signed_in,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    service = desk.service
    await page.goto(f"{service.service_url}/dashboard/e2e/inbox?lang={lang}&c={desk.conversation}")
    if signed_in is None:
        await page.fill("#email", "ana@e2e.org")
        await page.fill("#password", "agent-password")
        await page.press("#password", "Enter")
    await expect(page.locator(".msg-in", has_text="Quando vence")).to_be_visible()
    return page


async def _inside(outer: Any, inner: Any) -> None:
    box, frame = await inner.bounding_box(), await outer.bounding_box()
    assert box is not None and frame is not None
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"], (
        box,
        frame,
    )


async def test_suggest_and_summarize_at_three_sizes(browser: Any, desk: Desk) -> None:
    from playwright.async_api import expect

    signed_in = None
    for width, height, lang in SIZES:
        suggest_label, summarize_label, busy_label = LABELS[lang]
        page = await _open(browser, desk, width, height, lang, signed_in)
        signed_in = await page.context.storage_state()
        problems: list[str] = []
        page.on("pageerror", lambda error, seen=problems: seen.append(f"page error: {error}"))
        suggest = page.locator("#assist-suggest")
        summarize = page.locator("#assist-summarize")
        composer = page.locator("#composer-text")
        await expect(suggest).to_have_text(suggest_label)
        await expect(summarize).to_have_text(summarize_label)
        for button in (suggest, summarize):
            await _inside(page.locator("#composer"), button)
            await _inside(page.locator("body"), button)

        # busy while the model thinks; then the draft in the composer, focused, and nothing sent
        draft = f"Olá, Maria! A mensalidade vence no dia 10 ({width} px). Fonte: Estatuto"
        desk.model.push(Delay(5, then=Text(draft)))
        await suggest.click()
        await expect(suggest).to_have_text(busy_label)
        await expect(suggest).to_be_disabled()
        await expect(summarize).to_be_disabled()
        await eventually(lambda: _held(desk.model), bool)
        desk.model.release()
        await expect(composer).to_have_value(draft)
        await expect(composer).to_be_focused()
        await expect(page.locator("#assist-sources")).to_have_text(SOURCES[lang])
        await expect(suggest).to_have_text(suggest_label)
        await expect(suggest).to_be_enabled()
        assert CPF not in desk.model.requests[-1].raw.decode()
        assert await desk.service.texts(MARIA) == []
        await expect(page.locator(".msg-out")).to_have_count(0)
        if width == 1366:
            await page.screenshot(path=str(SCREENSHOTS / "inbox-assist.png"))
        await composer.fill("")
        await expect(page.locator("#assist-sources")).to_be_hidden()  # the draft was dropped

        # the summary is a note, shown at once
        desk.model.push(Text(f"Maria quer saber do vencimento ({width} px)."))
        await summarize.click()
        note = page.locator(".note", has_text=f"vencimento ({width} px)")
        await expect(note).to_be_visible()
        # in the association's language, which every agent reads
        await expect(note.locator(".note-body")).to_contain_text("Resumo do assistente:")
        await expect(composer).to_have_value("")

        # a failing model: an error toast, the buttons back
        desk.model.push(HttpError(500))
        await suggest.click()
        await expect(page.locator(".toast-error")).to_contain_text(FAILED[lang])
        await expect(suggest).to_be_enabled()
        await expect(composer).to_have_value("")
        await page.locator(".toast-error button").click()
        await page.context.close()
        assert problems == [], problems
    assert await desk.service.texts(MARIA) == []


async def _held(model: FakeAIServer) -> int:
    return model.held


async def test_no_buttons_when_the_assistant_is_the_rules_provider(
    browser: Any, desk: Desk
) -> None:
    from playwright.async_api import expect

    async with desk.service.container.uow_factory()() as uow:
        association = await uow.associations.get(desk.service.association.id)
        assert association is not None
        bot = dataclasses.replace(association.bot, provider="rules")
        await uow.associations.update(dataclasses.replace(association, bot=bot))
        await uow.commit()
    page = await _open(browser, desk, 390, 844, "pt-BR")
    await expect(page.locator("#composer-text")).to_be_visible()
    await expect(page.locator("#assist")).to_be_hidden()
    await page.context.close()
