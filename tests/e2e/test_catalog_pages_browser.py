"""The labels and canned replies pages in a real browser (headless Chromium through Playwright),
at the three screens (tests/e2e/screens.py), in one service.

On a desktop an admin finds the label agents typed on a conversation (with its count), creates
one in a colour, renames one, recolours one with the keyboard only (arrow keys in the palette,
Enter), and deletes one after a question that says how many conversations carry it; then writes
a canned reply whose preview fills the placeholders as they are typed, finds it by search, edits
and deletes it. Both pages, and the team page with its forms open, fit the laptop and the phone;
an agent gets the 403 page. Screenshots:
docs/screenshots/settings-labels-desktop.png, settings-canned-phone.png.

Like the other browser tests, this skips without Chromium, except under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.harness import Service, running_service
from tests.e2e.screens import Login, assert_fits_window, screenshot, sign_in_as, sized_page

from wa_crm.domain.model.label_catalog import COLOURS, DEFAULT_COLOUR, LabelUsage
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.domain.usecases.inbox.agent_actions import AgentRequest

pytestmark = pytest.mark.browser

ADA = Login("e2e", "ada@e2e.org", "admin-password")
ANA = Login("e2e", "ana@e2e.org", "agent-password")
MARIA = "5511999998888@c.us"
LABELS = "/dashboard/e2e/settings/labels"
CANNED = "/dashboard/e2e/settings/canned-replies"
RED = COLOURS[1]
HOURS = "{first_name}, atendemos das 8h às 18h, de segunda a sexta."


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    """Ada (admin) and Ana (agent) of e2e; Maria's conversation, labelled "diabetes" by Ana."""
    async with running_service(sqlite_url, tmp_path / "media") as running:
        admin = NewAgent("e2e", ADA.email, "Ada", "admin", ADA.password)
        (await running.container.create_agent()(admin)).unwrap()
        await running.patient_writes(MARIA, "Oi")
        await running.wait_for_texts(lambda texts: len(texts) >= 1)
        conversation = await running.conversation_of(MARIA)
        request = AgentRequest(running.association.id, conversation.id, running.agent_id)
        (await running.container.agent_actions().label(request, ["Diabetes"])).unwrap()
        yield running


async def catalog(service: Service) -> list[LabelUsage]:
    return list(await service.container.label_catalog().list(service.association.id))


def answering_questions(page: Any) -> list[str]:
    """Accept every confirm() of the page; the questions asked, in order."""
    asked: list[str] = []

    async def accept(dialog: Any) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.on("dialog", accept)
    return asked


async def labels_on_a_desktop(page: Any, service: Service, asked: list[str]) -> None:
    from playwright.async_api import expect

    await expect(page.locator("h1")).to_have_text("Etiquetas")
    diabetes = page.locator(".label-row", has_text="diabetes")
    await expect(diabetes).to_contain_text("1 conversa")

    await page.fill("#label-new-name", "Retorno")
    await page.locator("#label-new-colour").get_by_title("Vermelho").click()
    await expect(page.get_by_role("radio", name="Vermelho")).to_be_checked()
    await page.click("#label-new-submit")
    retorno = page.locator(".label-row", has_text="retorno")
    await expect(retorno).to_contain_text("nenhuma conversa")
    colour = await retorno.locator(".label-chip").evaluate(
        "el => getComputedStyle(el).getPropertyValue('--label').trim()"
    )
    assert colour == RED

    await diabetes.get_by_role("button", name="Renomear").click()
    await diabetes.get_by_role("textbox").fill("Diabetes tipo 2")
    await diabetes.get_by_role("textbox").press("Enter")
    renamed = page.locator(".label-row", has_text="diabetes tipo 2")
    await expect(renamed).to_contain_text("1 conversa")

    await renamed.get_by_role("button", name="Cor").click()
    await expect(renamed.get_by_role("radio", name="Cinza")).to_be_focused()
    await page.keyboard.press("ArrowRight")
    await expect(renamed.get_by_role("radio", name="Vermelho")).to_be_checked()
    await page.keyboard.press("Enter")
    await expect(renamed.locator(".palette")).to_have_count(0)
    await assert_fits_window(page)
    await screenshot(page, "settings-labels-desktop.png")

    await retorno.get_by_role("button", name="Excluir").click()
    await expect(retorno).to_have_count(0)
    assert asked.pop() == "Excluir a etiqueta “retorno”? Nenhuma conversa a usa."
    assert await catalog(service) == [LabelUsage("diabetes tipo 2", RED, 1)]
    conversation = await service.conversation_of(MARIA)
    assert conversation.labels == ("diabetes tipo 2",)


async def canned_replies_on_a_desktop(page: Any, service: Service, asked: list[str]) -> None:
    from playwright.async_api import expect

    await expect(page.locator("#canned-empty")).to_be_visible()
    await page.click("#canned-new")
    await expect(page.locator("#canned-shortcut")).to_be_focused()
    await page.fill("#canned-shortcut", "boasvindas")
    await page.fill("#canned-title", "Boas-vindas")
    await page.fill("#canned-text", "Olá, ")
    await page.get_by_role("button", name="Primeiro nome do contato").click()
    await page.locator("#canned-text").press_sequentially("! Aqui é ")
    await page.get_by_role("button", name="Nome do atendente").click()
    await expect(page.locator("#canned-text")).to_have_value(
        "Olá, {first_name}! Aqui é {agent_name}"
    )
    await expect(page.locator("#canned-preview")).to_have_text("Olá, Maria! Aqui é Ada")
    await page.locator("#canned-text").press_sequentially(". {nome}")
    await expect(page.locator("#canned-preview-warning")).to_contain_text("{nome}")
    await page.fill("#canned-text", "Olá, {first_name}! Aqui é {agent_name}.")
    await expect(page.locator("#canned-preview-warning")).to_be_hidden()
    await page.click("#canned-save")
    row = page.locator(".canned-row", has_text="/boasvindas")
    await expect(row).to_contain_text("Boas-vindas")
    await expect(page.locator("#canned-editor")).to_be_hidden()

    await page.fill("#canned-search", "xyz")
    await expect(page.locator("#canned-empty")).to_have_text(
        "Nenhuma resposta encontrada para “xyz”."
    )
    await page.fill("#canned-search", "aqui")
    await expect(row).to_be_visible()

    await row.get_by_role("button", name="Editar").click()
    await expect(page.locator("#canned-editor-title")).to_have_text("Editar “/boasvindas”")
    await page.fill("#canned-title", "Saudação")
    await page.click("#canned-save")
    await expect(row).to_contain_text("Saudação")
    await assert_fits_window(page)

    await row.get_by_role("button", name="Excluir").click()
    await expect(row).to_have_count(0)
    assert asked.pop() == (
        "Excluir a resposta “/boasvindas”? Ela sai do menu “/” de todos os atendentes."
    )
    found = await service.container.canned_replies().search(service.association.id, "", 10)
    assert list(found) == []


async def test_an_admin_manages_labels_and_canned_replies_on_every_screen(
    chromium: Any, service: Service
) -> None:
    from playwright.async_api import expect

    async with sized_page(chromium, "desktop") as page:
        asked = answering_questions(page)
        await sign_in_as(page, service.service_url, LABELS, ADA)
        await labels_on_a_desktop(page, service, asked)
        await page.goto(f"{service.service_url}{CANNED}")
        await canned_replies_on_a_desktop(page, service, asked)

    for screen in ("laptop", "phone"):
        async with sized_page(chromium, screen) as page:
            await sign_in_as(page, service.service_url, LABELS, ADA)
            await expect(page.locator(".label-row")).to_have_count(1)
            await page.locator(".label-row").get_by_role("button", name="Cor").click()
            await assert_fits_window(page)
            await page.goto(f"{service.service_url}{CANNED}")
            await page.click("#canned-new")
            await page.fill("#canned-shortcut", "horario")
            await page.fill("#canned-text", HOURS)
            await expect(page.locator("#canned-preview")).to_contain_text("Maria, atendemos")
            await assert_fits_window(page)
            if screen == "phone":
                await page.locator(".canned-preview").scroll_into_view_if_needed()
                await screenshot(page, "settings-canned-phone.png")
            await page.goto(f"{service.service_url}/dashboard/e2e/team")
            await (
                page.locator(".team-member", has_text="ana@e2e.org")
                .get_by_role("button", name="Redefinir senha")
                .click()
            )
            await page.get_by_label("Digitar uma senha").first.check()
            await expect(page.locator("#team-add-password")).to_be_visible()
            await assert_fits_window(page)

    async with httpx.AsyncClient(base_url=service.service_url) as ana:
        login = {"association": "e2e", "email": ANA.email, "password": ANA.password}
        assert (await ana.post("/login", data=login)).status_code == 303
        for path in (LABELS, CANNED):
            refused = await ana.get(path)
            assert refused.status_code == 403 and 'id="labels"' not in refused.text, path
    assert DEFAULT_COLOUR not in {usage.colour for usage in await catalog(service)}
