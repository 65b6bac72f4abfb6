"""Issue 18's "done when", in a real browser (headless Chromium through Playwright) on a desktop:
an admin sets the association up in the browser only, and a new agent uses what the admin made.

The admin (Ada) creates an agent (Bia, with a password she types), resets Ana's password (a
generated one, shown once) and makes her an admin, creates a canned reply, a label in a colour,
and changes the assistant's greeting for new contacts, on the Equipe, Respostas prontas,
Etiquetas and Assistente pages. A patient then writes through the WAHA simulator and gets the new
greeting; asks for a person; Bia signs in (another browser context), opens the conversation,
inserts the canned reply from the composer's "/" menu (its placeholders filled) and sends it, and
adds the label, which shows in the admin's colour. Screenshot: docs/screenshots/team-desktop.png.

Like the other browser tests, this skips without Chromium, except under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.harness import Service, running_service
from tests.e2e.screens import Login, assert_fits_window, screenshot, sign_in_as, sized_page
from tests.support.eventually import eventually

from wa_crm.domain.model.label_catalog import COLOURS
from wa_crm.domain.usecases.access.setup import NewAgent

pytestmark = pytest.mark.browser

ADA = Login("e2e", "ada@e2e.org", "admin-password")
BIA = Login("e2e", "bia@e2e.org", "senha-da-bia-2026")
PATIENT = "5531977776666@c.us"
GREETING = "Olá! Aqui é a Associação E2E, que bom ter você por aqui. Como podemos ajudar?"
SAID = "Olá! Aqui é a Associação E2E, que bom ter você por aqui."
"""What the lead interview sends of the greeting: its salutation, then its first question."""
REPLY = "Oi, {first_name}! Aqui é {agent_name}, vou cuidar do seu pedido."
FILLED = "Oi, Joana! Aqui é Bia Souza, vou cuidar do seu pedido."
VIOLET = COLOURS[8]


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    """The association and its first admin, Ada (as ``wa-crm agent create`` makes her)."""
    async with running_service(sqlite_url, tmp_path / "media") as running:
        admin = NewAgent("e2e", ADA.email, "Ada", "admin", ADA.password)
        (await running.container.create_agent()(admin)).unwrap()
        yield running


def url(service: Service, path: str) -> str:
    return f"{service.service_url}/dashboard/e2e/{path}"


async def admin_sets_up(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    page.on("dialog", lambda dialog: dialog.accept())
    await sign_in_as(page, service.service_url, "/dashboard/e2e/team", ADA)

    # Equipe: Bia, an agent, with a password Ada types.
    await page.get_by_label("Nome", exact=True).fill("Bia Souza")
    await page.get_by_label("E-mail").fill(BIA.email)
    await page.get_by_label("Digitar uma senha").check()
    await page.get_by_label("Senha (pelo menos 8 caracteres)").fill(BIA.password)
    await page.get_by_role("button", name="Criar acesso").click()
    bia = page.locator(".team-member", has_text=BIA.email)
    await expect(bia).to_contain_text("Atendente")
    await expect(bia).to_contain_text("Offline")
    await expect(page.locator("#team-secret")).to_be_hidden()
    await assert_fits_window(page)
    await screenshot(page, "team-desktop.png")

    # Ana forgot her password: a generated one, shown once; and she becomes an admin.
    ana = page.locator(".team-member", has_text="ana@e2e.org")
    await ana.get_by_role("button", name="Redefinir senha").click()
    await ana.get_by_role("button", name="Redefinir", exact=True).click()
    await expect(page.locator("#team-secret-title")).to_have_text("Senha de Ana")
    generated = await page.locator("#team-secret-value").text_content()
    assert generated and len(generated) >= 16
    await page.get_by_role("button", name="Pronto").click()
    await expect(page.locator("#team-secret")).to_be_hidden()
    await ana.get_by_role("button", name="Tornar administrador").click()
    await expect(ana.locator(".member-role")).to_have_text("Administrador")
    login = {"association": "e2e", "email": "ana@e2e.org", "password": generated}
    assert (await service.http.post(f"{service.service_url}/login", json=login)).is_success

    # Respostas prontas: /pedido, its preview filled for a sample contact and Ada.
    await page.locator(".settings-nav").get_by_role("link", name="Respostas prontas").click()
    await page.get_by_role("button", name="Nova resposta").click()
    await page.get_by_label("Atalho").fill("pedido")
    await page.get_by_label("Texto").fill(REPLY)
    await expect(page.locator("#canned-preview")).to_have_text(
        "Oi, Maria! Aqui é Ada, vou cuidar do seu pedido."
    )
    await page.get_by_role("button", name="Salvar resposta").click()
    await expect(page.locator(".canned-row")).to_contain_text("/pedido")

    # Etiquetas: "Pedido" in violet.
    await page.locator(".settings-nav").get_by_role("link", name="Etiquetas").click()
    await page.get_by_label("Nome").fill("Pedido")
    await page.locator("#label-new-colour").get_by_title("Violeta").click()
    await page.get_by_role("button", name="Criar etiqueta").click()
    await expect(page.locator(".label-row")).to_contain_text("pedido")

    # Assistente: the greeting for new contacts.
    await page.locator(".settings-nav").get_by_role("link", name="Assistente").click()
    greeting = page.get_by_label("Saudação para novos contatos")
    await greeting.fill(GREETING)
    await page.get_by_role("button", name="Salvar alterações").click()
    await expect(page.locator("#settings-status")).to_have_text("Configurações salvas.")


async def agent_answers(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    await sign_in_as(page, service.service_url, "/dashboard/e2e/inbox", BIA)
    row = page.locator("#conversation-list .conv", has_text="Joana")
    await row.click()
    await expect(page.locator("#message-list .msg-contact")).to_have_count(2)

    composer = page.locator("#composer-text")
    await composer.click()
    await composer.type("/ped")
    await expect(page.locator("#canned-menu .canned-shortcut")).to_have_text(["/pedido"])
    await composer.press("Enter")
    await expect(composer).to_have_value(FILLED)
    await composer.press("Enter")
    await service.wait_for_texts(lambda texts: FILLED in texts, PATIENT)

    await page.click("#label-add")
    await page.fill("#label-input", "pedido")
    await page.press("#label-input", "Enter")
    chip = page.locator("#conv-label-list .label-chip")
    await expect(chip.locator(".chip-text")).to_have_text("pedido")
    colour = "el => getComputedStyle(el).getPropertyValue('--label').trim()"
    await eventually(lambda: chip.evaluate(colour), lambda value: value == VIOLET)
    await assert_fits_window(page)


async def test_an_admin_sets_up_the_association_in_the_browser_and_an_agent_uses_it(
    chromium: Any, service: Service
) -> None:
    async with sized_page(chromium, "desktop") as page:
        await admin_sets_up(page, service)

    await service.patient_writes(PATIENT, "Oi", push_name="Joana")
    await service.wait_for_texts(lambda texts: SAID in texts, PATIENT)
    await service.patient_writes(PATIENT, "Quero falar com um atendente")
    conversation = await service.conversation_of(PATIENT)
    assert conversation is not None

    async with sized_page(chromium, "desktop") as page:
        await agent_answers(page, service)
    labelled = await service.conversation_of(PATIENT)
    assert labelled.labels == ("pedido",)
