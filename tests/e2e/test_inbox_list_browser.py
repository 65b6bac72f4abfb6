"""The inbox list tells the story, in headless Chromium at the three screens, against the whole
service and the WAHA simulator (issue 18, Agents items 2, 3, 4 and 6): each row shows the last
message (who and what), its time, the unread count, the assignee's initials and the labels; the
order "waiting longest" puts first who waits longest; the Unassigned tab counts; the search
finds "João" by "joao" and a conversation by a word of its messages, marking it; filters
combine and live in the address (a reload and the back button keep them); the contact panel
lists the earlier conversation and opens it read-only; two of three conversations are resolved
at once. Nothing reaches past the window's edges.

One service for the module's one test: the browser walks every check in turn."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.harness import Service, running_service
from tests.e2e.screens import Login, assert_fits_window, screenshot, sign_in_as, sized_page
from tests.support.eventually import eventually

from wa_crm.domain.model.association import BotSettings

pytestmark = pytest.mark.browser

ANA = Login("e2e", "ana@e2e.org", "agent-password")
INBOX = "/dashboard/e2e/inbox"
MARIA = "5511999998888@c.us"
JOAO = "558188887777@c.us"
LIA = "5511988887777@c.us"


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    # The assistant is off: whoever writes waits for the agents at once.
    async with running_service(sqlite_url, tmp_path / "media", BotSettings(enabled=False)) as s:
        yield s


class Api:
    """Ana's calls through the agent API (bearer token), to set the scene."""

    def __init__(self, service: Service, http: httpx.AsyncClient) -> None:
        self.base = f"{service.service_url}/api/associations/e2e"
        self.http = http

    async def __call__(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.http.request(method, f"{self.base}{path}", json=body)
        assert response.is_success, response.text
        return response.json()


async def _conversation_id(service: Service, chat_id: str, count: int = 1) -> str:
    """The newest conversation of the contact, once it has ``count`` of them."""

    async def read() -> list[Any]:
        contact = await service.contact_of(chat_id)
        if contact is None:
            return []
        async with service.container.uow_factory()() as uow:
            return list(
                await uow.conversations.list_for_contact(service.association.id, contact.id)
            )

    found = await eventually(read, lambda items: len(items) >= count)
    return str(max(found, key=lambda c: c.created_at).id)


async def _scene(service: Service, api: Api) -> dict[str, str]:
    """Maria asked about her delivery (labelled, resolved) and writes again; João was answered by
    Ana; Lia writes last. Who waits: Maria first, then Lia."""
    await service.patient_writes(MARIA, "Quando chega a entrega do óleo?", push_name="Maria")
    earlier = await _conversation_id(service, MARIA)
    await api("PUT", f"/conversations/{earlier}/labels", {"labels": ["entrega"]})
    await api("POST", f"/conversations/{earlier}/messages", {"text": "Chega amanhã, Maria!"})
    await api("POST", f"/conversations/{earlier}/resolve")
    await service.patient_writes(MARIA, "Obrigada! Chegou, mas veio só um frasco.")
    maria = await _conversation_id(service, MARIA, count=2)
    await service.patient_writes(JOAO, "Bom dia, quero saber das reuniões", push_name="João")
    joao = await _conversation_id(service, JOAO)
    await service.patient_writes(LIA, "Oi, tudo bem?", push_name="Lia")
    lia = await _conversation_id(service, LIA)
    await api("POST", f"/conversations/{joao}/claim")
    await api(
        "POST", f"/conversations/{joao}/messages", {"text": "Bom dia, João! A próxima é sábado."}
    )
    return {"earlier": earlier, "maria": maria, "joao": joao, "lia": lia}


def _row(page: Any, conversation: str) -> Any:
    return page.locator(f'#conversation-list .conv[data-id="{conversation}"]')


async def test_the_list_search_filters_history_and_bulk_actions(
    chromium: Any, service: Service
) -> None:
    from playwright.async_api import expect

    token = (await service.container.issue_api_token()("e2e", "ana@e2e.org")).unwrap()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        ids = await _scene(service, Api(service, http))

    async with sized_page(chromium, "desktop") as page:
        await sign_in_as(page, service.service_url, INBOX, ANA)
        rows = page.locator("#conversation-list .conv")
        # Every row: the last message (who and what), the time, unread, assignee, labels. All:
        # Lia's, João's, Maria's and her earlier one, resolved.
        await expect(rows).to_have_count(4)
        maria, joao, lia = (_row(page, ids[name]) for name in ("maria", "joao", "lia"))
        await expect(rows.first).to_have_attribute("data-id", ids["joao"])  # answered last
        await expect(maria.locator(".conv-preview")).to_have_text(
            "Obrigada! Chegou, mas veio só um frasco."
        )
        await expect(joao.locator(".conv-preview")).to_have_text(
            "Você:Bom dia, João! A próxima é sábado."
        )
        await expect(joao.locator(".conv-author")).to_have_text("Você:")
        await expect(joao.locator(".conv-assignee")).to_have_text("A")
        await expect(joao.locator(".conv-assignee")).to_have_attribute("title", "Responsável: Você")
        await expect(maria.locator(".unread-badge")).to_have_text("1")
        await expect(maria.locator(".chip")).to_have_text(["entrega"])
        await expect(maria.locator(".conv-time")).to_have_text(re.compile(r"^\d{2}:\d{2}$"))
        await expect(page.locator("#tab-unassigned .count")).to_have_text("2")

        # Waiting longest first: Maria (since her second message), Lia; João was answered.
        await page.select_option("#sort", "waiting")
        await expect(page).to_have_url(re.compile(r"sort=waiting"))
        await expect(rows.first).to_have_attribute("data-id", ids["maria"])
        await expect(rows.nth(1)).to_have_attribute("data-id", ids["lia"])
        await expect(rows.nth(2)).to_have_attribute("data-id", ids["joao"])
        await expect(rows.nth(3)).to_have_attribute("data-id", ids["earlier"])

        # A live message moves its preview.
        await service.patient_writes(LIA, "Vocês abrem no sábado?")
        await expect(lia.locator(".conv-preview")).to_have_text("Vocês abrem no sábado?")
        await expect(lia.locator(".unread-badge")).to_have_text("2")
        await service.patient_sends_voice_note(LIA, b"OggS\x00\x02" + b"voz" * 40)
        await expect(lia.locator(".conv-preview")).to_have_text("🎤 Áudio")
        await page.select_option("#sort", "newest")

        # The search: "joao" finds João; a word inside a message finds it, and marks it.
        await page.fill("#search", "joao")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_attribute("data-id", ids["joao"])
        await page.fill("#search", "oleo")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_attribute("data-id", ids["earlier"])
        await expect(rows.first.locator(".conv-match mark")).to_have_text(["óleo"])
        await expect(page).to_have_url(re.compile(r"q=oleo"))
        await screenshot(page, "inbox-search.png")
        await page.fill("#search", "")
        await expect(rows).to_have_count(4)

        # Filters combine, and the address keeps them through a reload and the back button.
        await page.click("#filters-toggle")
        await page.select_option("#filter-status", "pending")
        await expect(rows).to_have_count(2)  # Maria's and Lia's
        await page.select_option("#filter-label", "entrega")  # carried to Maria's new one
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_attribute("data-id", ids["maria"])
        await page.click("#filters-close")
        await expect(page.locator("#active-filters .filter-chip")).to_have_count(2)
        await page.reload()
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_attribute("data-id", ids["maria"])
        await expect(page.locator("#filter-status")).to_have_value("pending")
        await expect(page.locator("#filter-label")).to_have_value("entrega")
        await page.go_back()
        await expect(page).not_to_have_url(re.compile(r"label="))
        await expect(rows).to_have_count(2)
        await page.click("#filters-clear")
        await expect(rows).to_have_count(4)
        await expect(page.locator("#active-filters")).to_be_hidden()
        await page.click("#filters-toggle")
        await page.select_option("#filter-assignee", "me")
        await page.select_option("#filter-period", "today")
        await expect(page).to_have_url(re.compile(r"assignee=me.*since=\d{4}-\d{2}-\d{2}"))
        await expect(rows).to_have_count(2)  # João's, and Maria's earlier one she answered
        await expect(rows.first).to_have_attribute("data-id", ids["joao"])
        await page.click("#filters-panel-clear")
        await page.click("#filters-close")
        await expect(rows).to_have_count(4)

        # The contact's earlier conversation, opened read-only from the panel and the header.
        await maria.click()
        earlier = page.locator(f'.earlier-item[data-id="{ids["earlier"]}"]')
        await expect(earlier.locator(".earlier-preview")).to_have_text("Você:Chega amanhã, Maria!")
        await earlier.click()
        await expect(page.locator("#readonly-banner")).to_be_visible()
        await expect(page.locator("#readonly-text")).to_contain_text("Conversa encerrada em")
        await expect(page.locator("#composer")).to_be_hidden()
        await expect(page.locator("#message-list")).to_contain_text("Quando chega a entrega")
        await page.click("#readonly-back")
        await expect(page.locator("#readonly-banner")).to_be_hidden()
        await expect(page.locator("#composer")).to_be_visible()
        await page.click("#conv-previous")
        await expect(page.locator("#readonly-banner")).to_be_visible()
        await page.click("#readonly-back")
        await assert_fits_window(page)

        # Two of three resolved at once, with the progress and a summary.
        await page.click("#select-mode")
        await expect(joao).to_have_attribute("aria-pressed", "false")
        await joao.click()
        await lia.focus()
        await page.keyboard.press("Space")
        await expect(page.locator("#bulk-count")).to_have_text("2 selecionadas")
        await page.click("#bulk-resolve")
        await expect(page.locator(".toast", has_text="2 conversas atualizadas.")).to_be_visible()
        await expect(page.locator("#bulk-bar")).to_be_hidden()
        await expect(joao.locator(".pill-resolved")).to_be_visible()
        await expect(lia.locator(".pill-resolved")).to_be_visible()
        await expect(maria.locator(".pill-pending")).to_be_visible()

    for screen in ("laptop", "phone"):
        async with sized_page(chromium, screen) as page:
            await sign_in_as(page, service.service_url, f"{INBOX}?status=resolved", ANA)
            rows = page.locator("#conversation-list .conv")
            await expect(rows).to_have_count(3)
            await expect(page.locator("#active-filters .filter-chip")).to_have_count(1)
            await expect(_row(page, ids["lia"]).locator(".conv-preview")).to_have_text("🎤 Áudio")
            await assert_fits_window(page)
            await page.click("#filters-toggle")
            await expect(page.locator("#filters-panel")).to_be_visible()
            await page.select_option("#filter-period", "custom")
            await expect(page.locator("#filter-since")).to_be_visible()
            await assert_fits_window(page)
            if screen == "phone":
                await screenshot(page, "inbox-filters-phone.png")
            await page.keyboard.press("Escape")
            await expect(page.locator("#filters-panel")).to_be_hidden()
            await page.click("#select-mode")
            await expect(page.locator("#bulk-bar")).to_be_visible()
            await rows.first.click()
            await page.click("#bulk-assign")
            await expect(page.locator("#bulk-assign-menu .menu-item")).to_have_count(1)
            await assert_fits_window(page)
            if screen == "laptop":  # a label for the picked one
                await page.keyboard.press("Escape")
                await page.click("#bulk-label")
                await page.fill("#bulk-label-input", "revisar")
                await page.press("#bulk-label-input", "Enter")
                done = page.locator(".toast", has_text="1 conversa atualizada.")
                await expect(done).to_be_visible()
                await expect(rows.first.locator(".chip", has_text="revisar")).to_be_visible()
            # Maria's conversation links the one before, shown read-only, within the window.
            await page.goto(f"{service.service_url}{INBOX}?c={ids['maria']}")
            await page.click("#conv-previous")
            await expect(page.locator("#readonly-banner")).to_be_visible()
            await expect(page.locator("#composer")).to_be_hidden()
            await expect(page.locator("#btn-claim")).to_be_hidden()
            await expect(page.locator("#btn-contact")).to_be_visible()
            await assert_fits_window(page)

    # Resolving what is resolved already fails for each, and the summary says so; the 409s the
    # console reports are expected here, so this page is not a sized_page.
    context = await chromium.new_context(viewport={"width": 1024, "height": 768}, locale="pt-BR")
    page = await context.new_page()
    await sign_in_as(page, service.service_url, f"{INBOX}?status=resolved", ANA)
    await expect(page.locator("#conversation-list .conv")).to_have_count(3)
    await page.click("#select-mode")
    await page.click("#bulk-select-all")
    await expect(page.locator("#bulk-count")).to_have_text("3 selecionadas")
    await page.click("#bulk-resolve")
    await expect(page.locator("#bulk-status")).to_contain_text("Não foi possível para")
    await expect(page.locator("#bulk-count")).to_have_text("3 selecionadas")
    await context.close()
