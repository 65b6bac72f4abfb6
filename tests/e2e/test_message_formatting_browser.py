"""Messages as WhatsApp shows them, in headless Chromium at the three screens (tests/e2e/screens),
against the whole service and the WAHA simulator.

A patient's formatted message shows bold, italic, strike, monospace and a safe link; markup in
a hostile message stays text; the agent's reply and note are formatted too; a file over the
size limit says so with its name and its size in pt-BR. In the composer, Send is disabled with
nothing to send (Enter sends nothing), a reply with formatting shows a preview, and the emoji
picker (keyboard: arrows, Enter, Escape) puts an emoji at the caret and fits a phone's window.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.harness import SESSION, Service, running_service
from tests.e2e.screens import (
    SCREENS,
    Login,
    assert_fits_window,
    screenshot,
    sign_in_as,
    sized_page,
)
from tests.support.eventually import eventually

from wa_crm.domain.model.association import BotSettings

pytestmark = pytest.mark.browser

MARIA = "5511999998888@c.us"
ANA = Login("e2e", "ana@e2e.org", "agent-password")
LIMIT = 1024 * 1024
REPORT = b"%PDF-1.7\n" + b"0" * (LIMIT + LIMIT // 2 - 9)  # 1.5 MB, over the 1 MB limit
FORMATTED = "*Bom dia* _equipe_, ~cancelar~ o ```lote 42``` veja https://exemplo.org/entrega."
HOSTILE = "<img src=x onerror=alert(1)> javascript:alert(1) *a * b*"


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(
        sqlite_url, tmp_path / "media", BotSettings(enabled=False), media_max_bytes=LIMIT
    ) as running:
        yield running


async def _conversation(service: Service) -> str:
    """Maria writes with formatting, then markup, then sends a report too big to keep; Ana
    answers and notes, formatted, through the API."""
    inbound = f"{service.simulator_url}/_sim/{SESSION}/inbound"
    for text in (FORMATTED, HOSTILE):
        await service.patient_writes(MARIA, text)
    report = {
        "mimetype": "application/pdf",
        "filename": "relatorio.pdf",
        "data": base64.b64encode(REPORT).decode(),
    }
    (await service.http.post(inbound, json={"from": MARIA, "media": report})).raise_for_status()
    await eventually(lambda: service.contact_of(MARIA), lambda contact: contact is not None)
    conversation = (await service.conversation_of(MARIA)).id
    token = (await service.container.issue_api_token()("e2e", "ana@e2e.org")).unwrap()
    api = f"{service.service_url}/api/associations/e2e/conversations/{conversation}"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:

        async def refused() -> bool:
            items = (await http.get(f"{api}/messages")).json()["items"]
            return any((m["media"] or {}).get("error_code") == "too_large" for m in items)

        await eventually(refused, bool)
        (await http.post(f"{api}/messages", json={"text": "*Chegou* sim"})).raise_for_status()
        (await http.post(f"{api}/notes", json={"text": "_nota_ interna"})).raise_for_status()
    return str(conversation)


# WhatsApp's rules, as the formatter renders them (serialized for the comparison only)
RULES = {
    "*a * b*": "*a * b*",
    "2*3*4 e snake_case_name": "2*3*4 e snake_case_name",
    "*_ambos_*": "<strong><em>ambos</em></strong>",
    "*linha\noutra*": "*linha\noutra*",
    "* espaço*": "* espaço*",
    "*sem fim": "*sem fim",
    "```\ncódigo *x*\n```": '<code class="wa-code wa-code-block">código *x*</code>',
    "use `npm i`": 'use <code class="wa-code">npm i</code>',
    "(https://a.org/x_y)": '(<a href="https://a.org/x_y" target="_blank" rel="noopener noreferrer">'
    "https://a.org/x_y</a>)",
    "data:text/html,x ftp://a.org javascript:alert(1)": (
        "data:text/html,x ftp://a.org javascript:alert(1)"
    ),
    "&lt;b&gt; <b>x</b>": "&amp;lt;b&amp;gt; &lt;b&gt;x&lt;/b&gt;",
}
_RENDER = """async (cases) => {
  const entry = document.querySelector('script[type="module"]').src;
  const { formatWhatsApp } = await import(entry.replace(/main\\.js$/, "whatsapp_format.js"));
  return Object.fromEntries(Object.keys(cases).map((text) => {
    const box = document.createElement("div");
    box.append(...formatWhatsApp(text));
    return [text, box.innerHTML];
  }));
}"""


async def _check_rules(page: Any) -> None:
    assert await page.evaluate(_RENDER, RULES) == RULES


async def _check_messages(page: Any) -> None:
    from playwright.async_api import expect

    formatted = page.locator(".msg-in .msg-body", has_text="Bom dia")
    await expect(formatted.locator("strong")).to_have_text("Bom dia")
    await expect(formatted.locator("em")).to_have_text("equipe")
    await expect(formatted.locator("s")).to_have_text("cancelar")
    await expect(formatted.locator("code")).to_have_text("lote 42")
    link = formatted.locator("a")
    await expect(link).to_have_text("https://exemplo.org/entrega")
    await expect(link).to_have_attribute("href", "https://exemplo.org/entrega")
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    await expect(link).to_have_attribute("target", "_blank")

    hostile = page.locator(".msg-in .msg-body", has_text="onerror")
    await expect(hostile).to_have_text(HOSTILE)
    assert await hostile.locator("img, a, strong").count() == 0
    assert await page.locator(".message-list img[src='x'], a[href^='javascript']").count() == 0

    await expect(page.locator(".msg-out .msg-body strong")).to_have_text("Chegou")
    await expect(page.locator(".note-body em")).to_have_text("nota")
    await expect(page.locator(".media-refused")).to_have_text(
        "Arquivo grande demais: relatorio.pdf (1,5 MB)"
    )


async def _check_composer(page: Any, screen: str) -> None:
    from playwright.async_api import expect

    box, send, preview = (
        page.locator("#composer-text"),
        page.locator("#send"),
        page.locator("#composer-preview"),
    )
    await expect(send).to_be_disabled()
    await box.fill("   ")
    await expect(send).to_be_disabled()
    await box.press("Enter")  # sends nothing (the test's request log checks it)
    await expect(preview).to_be_hidden()

    await box.fill("Vou *confirmar* hoje")
    await expect(send).to_be_enabled()
    await expect(preview).to_be_visible()
    await expect(preview.locator("strong")).to_have_text("confirmar")
    if screen == "desktop":
        await screenshot(page, "inbox-formatting.png")
    await box.fill("sem formatação")
    await expect(preview).to_be_hidden()

    await box.fill("Olá mundo")
    await box.evaluate("box => box.setSelectionRange(3, 3)")
    await page.click("#emoji-toggle")
    picker = page.locator("#emoji-picker")
    await expect(picker).to_be_visible()
    await expect(page.locator("#emoji-picker button.emoji").first).to_be_focused()
    await assert_fits_window(page)
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("Enter")
    await expect(picker).to_be_hidden()
    await expect(box).to_have_value("Olá😃 mundo")
    await expect(box).to_be_focused()
    assert await box.evaluate("box => box.selectionStart") == len("Olá😃".encode("utf-16-le")) // 2

    await page.click("#emoji-toggle")
    await expect(picker).to_be_visible()
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Escape")
    await expect(picker).to_be_hidden()
    await expect(box).to_be_focused()
    await expect(box).to_have_value("Olá😃 mundo")
    await box.fill("")
    await expect(send).to_be_disabled()


async def test_messages_show_as_on_whatsapp_at_three_sizes(chromium: Any, service: Service) -> None:
    from playwright.async_api import expect

    conversation = await _conversation(service)
    for screen in SCREENS:
        async with sized_page(chromium, screen) as page:
            posted: list[str] = []
            page.on(
                "request",
                lambda request, seen=posted: (
                    seen.append(request.url)
                    if request.method == "POST" and request.url.endswith("/messages")
                    else None
                ),
            )
            await sign_in_as(
                page, service.service_url, f"/dashboard/e2e/inbox?c={conversation}", ANA
            )
            await expect(page.locator("#conv-view")).to_be_visible()
            await _check_messages(page)
            if screen == "desktop":
                await _check_rules(page)
            await _check_composer(page, screen)
            assert posted == [], "nothing was sent from an empty composer"
