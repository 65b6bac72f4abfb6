"""Reactions and quoted replies in the inbox, in headless Chromium at a laptop's 1366x850, a
tablet's 1024x768 and a phone's 390x844, against the whole service and the WAHA simulator.

The contact's reaction shows under our bubble and the message quoting ours shows the quoted
text; the agent reacts to the contact's message from the picker (WAHA gets the reaction) and
replies quoting it (the reply shows the quote). Setup as in test_inbox_browser.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.harness import SESSION, Service, running_service
from tests.e2e.test_inbox_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _chromium_or_skip
from tests.support.eventually import eventually

from wa_crm.domain.model.association import BotSettings

pytestmark = pytest.mark.browser

MARIA = "5511999998888@c.us"
SIZES = [(1366, 850), (1024, 768), (390, 844)]


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


async def _conversation_with_a_reaction_and_a_quote(service: Service) -> str:
    """Maria asks; Ana answers through the API; Maria reacts ❤️ and thanks, quoting it."""
    await service.patient_writes(MARIA, "Bom dia, a receita chegou?")
    await eventually(lambda: service.contact_of(MARIA), lambda contact: contact is not None)
    conversation = (await service.conversation_of(MARIA)).id
    token = (await service.container.issue_api_token()("e2e", "ana@e2e.org")).unwrap()
    api = f"{service.service_url}/api/associations/e2e/conversations/{conversation}"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        answer = await http.post(f"{api}/messages", json={"text": "Chegou sim!"})
        answer.raise_for_status()

        async def ours() -> dict[str, Any]:
            items = (await http.get(f"{api}/messages")).json()["items"]
            return next(m for m in items if m["id"] == answer.json()["id"])

        sent = await eventually(ours, lambda m: m["external_id"] is not None)
    sim = f"{service.simulator_url}/_sim/{SESSION}"
    as_maria_sees_it = sent["external_id"].replace("true_", "false_", 1)
    reaction = {"from": MARIA, "messageId": as_maria_sees_it, "emoji": "❤️"}
    (await service.http.post(f"{sim}/reaction", json=reaction)).raise_for_status()
    thanks = {"from": MARIA, "text": "Obrigada!", "reply_to": sent["external_id"]}
    (await service.http.post(f"{sim}/inbound", json=thanks)).raise_for_status()
    return str(conversation)


async def _sign_in(page: Any, service: Service, conversation: str) -> None:
    from playwright.async_api import expect

    inbox = f"{service.service_url}/dashboard/e2e/inbox?lang=en&c={conversation}"
    await page.goto(inbox)
    await page.fill("#email", "ana@e2e.org")
    await page.fill("#password", "agent-password")
    await page.press("#password", "Enter")
    await expect(page.locator("#conv-view")).to_be_visible()


async def _within_the_width(page: Any, locator: Any, width: int) -> None:
    """Inside the viewport's width (a bubble is re-drawn as its ticks move: read it again)."""
    box = await eventually(locator.bounding_box, lambda found: found is not None)
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box


async def test_reactions_and_quotes_at_three_sizes(browser: Any, service: Service) -> None:
    from playwright.async_api import expect

    conversation = await _conversation_with_a_reaction_and_a_quote(service)
    picks = iter(["👍", "🙏", "😮"])
    for width, height in SIZES:
        context = await browser.new_context(
            viewport={"width": width, "height": height}, locale="en-US", has_touch=width < 600
        )
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error, seen=problems: seen.append(f"page error: {error}"))
        await _sign_in(page, service, conversation)
        ours = page.locator(".msg-out", has_text="Chegou sim!")
        thanks = page.locator(".msg-in", has_text="Obrigada!")
        question = page.locator(".msg-in", has_text="Bom dia, a receita chegou?")

        # laptops show the contact beside the conversation; narrower screens do not, phones one pane
        await expect(page.locator("#sidebar")).to_be_visible(visible=width > 1100)
        await expect(page.locator("#conv-back")).to_be_visible(visible=width < 700)
        await expect(page.locator(".list-pane")).to_be_visible(visible=width > 700)

        # the contact's reaction under our bubble, the quoted text in their answer
        await expect(ours.locator(".reaction")).to_have_text("❤️")
        await expect(thanks.locator(".msg-quote-body")).to_have_text("Chegou sim!")
        await _within_the_width(page, ours.locator(".reaction"), width)
        await _within_the_width(page, thanks, width)

        # the agent reacts to the question from the picker
        emoji = next(picks)
        await question.hover()
        await question.locator(".msg-react").click()
        await _within_the_width(page, question.locator(".reaction-picker"), width)
        await question.get_by_role("button", name=f"React with {emoji}").click()
        await expect(question.locator(".reaction-ours")).to_have_text(emoji)

        # and answers quoting it
        reply = f"Vou verificar ({width} px)"
        await question.hover()
        await question.locator(".msg-reply").click()
        await expect(page.locator("#reply-bar-text")).to_have_text("Bom dia, a receita chegou?")
        await page.fill("#composer-text", reply)
        await page.press("#composer-text", "Enter")
        answer = page.locator(".msg-out", has_text=reply)
        await expect(answer.locator(".msg-quote-body")).to_have_text("Bom dia, a receita chegou?")
        await expect(page.locator("#reply-bar")).to_be_hidden()
        await _within_the_width(page, answer, width)

        if width < 600:  # a phone shows one pane: back to the list, and the row opens it again
            await page.click("#conv-back")
            await expect(page.locator(".list-pane")).to_be_visible()
            await expect(page.locator("#conv-view")).to_be_hidden()
            await page.locator("#conversation-list .conv").first.click()
            await expect(ours.locator(".reaction")).to_have_text("❤️")
        await context.close()
        assert problems == [], problems

    reactions = [s for s in await service.sent(MARIA) if s["kind"] == "reaction"]
    assert [s["text"] for s in reactions] == ["👍", "🙏", "😮"]
    quoting = [s for s in await service.sent(MARIA) if s["kind"] == "text" and s["reply_to"]]
    assert len(quoting) == 3
