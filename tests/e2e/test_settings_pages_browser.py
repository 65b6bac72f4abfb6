"""The association's settings pages in a real browser (headless Chromium through Playwright), at
the three screens (tests/e2e/screens.py): an admin opens Configurações from the top navigation,
goes through the settings sub-navigation, changes the member greeting (the preview follows),
adds opening hours on Saturday and a holiday, saves (only the changed fields go out), reloads and
sees them; a refused value (at most 0 open conversations per agent) shows next to its field;
privacy words and masked kinds save to their two endpoints; every page fits each screen; an agent
gets the 403 page. Screenshots: docs/screenshots/settings-bot-desktop.png,
settings-bot-phone.png, settings-assignment-laptop.png.

Like the other browser tests, these skip without Chromium, except under ``CI=true``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, time
from html import escape
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from tests.e2e.harness import Service, running_service
from tests.e2e.screens import (
    SCREENS,
    TIMEOUT_MS,
    Login,
    assert_fits_window,
    assert_in_view,
    screenshot,
    sign_in_as,
    sized_page,
)

from wa_crm.adapters.ai import RulesProvider, ScriptedProvider
from wa_crm.domain.model.association import Association, BusinessWindow
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.entrypoints.http.strings import STRINGS

pytestmark = pytest.mark.browser

ADA = Login("e2e", "ada@e2e.org", "admin-password")
ANA = Login("e2e", "ana@e2e.org", "agent-password")
PAGES = ("settings/whatsapp", "settings/bot", "settings/assignment", "settings/privacy")
GREETING = "Oi, {first_name}! Aqui é a Associação E2E. Em que podemos ajudar?"
CHRISTMAS = date(2026, 12, 25)


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    """Ada (admin) and Ana (agent) of e2e; the deployment offers the rules and an OpenAI model."""
    async with running_service(sqlite_url, tmp_path / "media") as running:
        admin = NewAgent("e2e", ADA.email, "Ada", "admin", ADA.password)
        (await running.container.create_agent()(admin)).unwrap()
        offered = {"rules": RulesProvider(), "openai": ScriptedProvider()}
        running.container.ai_providers.override(providers.Object(offered))
        yield running


async def stored(service: Service) -> Association:
    async with service.container.uow_factory()() as uow:
        association = await uow.associations.get(service.association.id)
    assert association is not None
    return association


@asynccontextmanager
async def desktop_page_expecting_a_refusal(chromium: Any) -> AsyncIterator[Any]:
    """``sized_page(chromium, "desktop")``, except that Chromium's log line for the one 422 the
    test provokes is expected; any other script or console error fails the test."""
    context = await chromium.new_context(
        viewport=SCREENS["desktop"], locale="pt-BR", timezone_id="America/Sao_Paulo"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    try:
        yield page
    finally:
        await context.close()
    refusal = "Failed to load resource: the server responded with a status of 422"
    assert [problem for problem in problems if not problem.startswith(refusal)] == [], problems
    assert len(problems) == 1, problems


def url(service: Service, path: str) -> str:
    return f"{service.service_url}/dashboard/e2e/{path}"


async def test_an_admin_sets_the_association_up_in_the_settings_pages(
    chromium: Any, service: Service
) -> None:
    from playwright.async_api import expect

    async with desktop_page_expecting_a_refusal(chromium) as page:
        await sign_in_as(page, service.service_url, "/dashboard/e2e/inbox", ADA)
        topnav = page.locator(".topnav")
        await expect(topnav.locator("a")).to_have_text(
            ["Caixa de entrada", "Relatórios", "Configurações"]
        )
        await topnav.get_by_role("link", name="Configurações").click()
        await expect(page).to_have_url(url(service, "settings"))
        await expect(page.locator("h1")).to_have_text(STRINGS["pt-BR"]["wa_title"])
        await expect(topnav.locator("[aria-current]")).to_have_text("Configurações")
        subnav = page.get_by_role("navigation", name="Páginas de configuração")
        await expect(subnav.locator("a")).to_have_text(
            [
                "WhatsApp",
                "Equipe",
                "Respostas prontas",
                "Etiquetas",
                "Assistente",
                "Atribuição",
                "Privacidade",
                "Base de conhecimento",
            ]
        )
        await expect(subnav.locator("[aria-current=page]")).to_have_text("WhatsApp")
        await assert_fits_window(page)

        # The assistant: the greeting, with its preview for the sample contact.
        await subnav.get_by_role("link", name="Assistente").click()
        await expect(page).to_have_url(url(service, "settings/bot"))
        await expect(page.locator("h1")).to_have_text("Assistente")
        await expect(subnav.locator("[aria-current=page]")).to_have_text("Assistente")
        provider = page.get_by_label("Como ele responde")
        await expect(provider.locator("option")).to_have_text(
            ["Modelo de IA: compatível com OpenAI", "Só regras (sem IA)"]
        )
        await expect(provider).to_have_value("rules")
        await expect(page.get_by_label("Modelo", exact=True)).to_be_hidden()
        await provider.select_option("openai")
        await expect(page.get_by_label("Modelo", exact=True)).to_have_attribute(
            "placeholder", f"Padrão: {service.container.settings().openai_model}"
        )
        await provider.select_option("rules")
        greeting = page.get_by_label("Saudação para associados")
        await expect(greeting).to_have_value("Olá, {first_name}! Como podemos ajudar?")
        await greeting.fill(GREETING)
        await expect(page.locator("#bot-preview-bubble")).to_have_text(
            "Oi, Maria! Aqui é a Associação E2E. Em que podemos ajudar?"
        )
        await expect(page.locator("#settings-status")).to_have_text("Há alterações não salvas.")

        # Business hours: on (a usual week is ready), Saturday morning and Christmas added.
        hours = page.locator('[data-field="business_hours"]')
        await expect(page.locator("#hours-panel")).to_be_hidden()
        await page.get_by_label("O assistente responde só no horário de atendimento").check()
        await expect(page.get_by_label("Fuso horário")).to_have_value("America/Sao_Paulo")
        await page.get_by_role("button", name="Adicionar horário — sábado").click()
        saturday = hours.locator('tr[data-weekday="5"]')
        await saturday.get_by_label("Abertura — sábado").fill("08:30")
        await saturday.get_by_label("Fechamento — sábado").fill("12:00")
        await page.get_by_label("Data do feriado").fill(CHRISTMAS.isoformat())
        await page.get_by_role("button", name="Adicionar feriado").click()
        await expect(page.locator("#holiday-list")).to_contain_text("25 de dezembro de 2026")
        await assert_fits_window(page)

        bodies: list[dict[str, Any]] = []
        page.on(
            "request",
            lambda request: (
                bodies.append(json.loads(request.post_data or "{}"))
                if request.method == "PUT"
                else None
            ),
        )
        await page.get_by_role("button", name="Salvar alterações").click()
        await expect(page.locator("#settings-status")).to_have_text("Configurações salvas.")
        assert [sorted(body) for body in bodies] == [["business_hours", "greeting_member"]]
        bot = (await stored(service)).bot
        assert bot.greeting_member == GREETING
        assert bot.business_hours is not None
        assert bot.business_hours.timezone == "America/Sao_Paulo"
        assert bot.business_hours.holidays == (CHRISTMAS,)
        assert BusinessWindow(5, time(8, 30), time(12)) in bot.business_hours.windows
        assert len(bot.business_hours.windows) == 6  # Monday to Friday 9-18, and Saturday

        await page.reload()
        await expect(greeting).to_have_value(GREETING)
        await expect(page.locator("#hours-panel")).to_be_visible()
        await expect(saturday.get_by_label("Abertura — sábado")).to_have_value("08:30")
        await expect(page.locator("#holiday-list")).to_contain_text("25 de dezembro de 2026")
        await screenshot(page, "settings-bot-desktop.png")
        emergency = page.get_by_label("Emergência", exact=True)
        await emergency.fill("Ligue para alguém.")
        emergency_field = page.locator('[data-field="emergency_message"]')
        await emergency_field.get_by_role("button", name="Restaurar o texto padrão").click()
        await expect(emergency).to_have_value(re.compile(r"SAMU: 192.*CVV.*188"))
        await expect(page.locator("#settings-status")).to_have_text("")
        await page.get_by_label("Arquivo grande demais").focus()
        await expect(page.locator("#bot-preview-bubble")).to_contain_text(
            "Não consegui abrir o arquivo exame.pdf (18 MB): ele é maior que o limite de 16 MB."
        )
        await page.get_by_role("button", name="Salvar alterações").click()
        await expect(page.locator("#settings-status")).to_have_text(
            "Nada mudou: não há o que salvar."
        )

        # Assignment: a refused value shows next to its field, and nothing is saved.
        await subnav.get_by_role("link", name="Atribuição").click()
        limit = page.get_by_label("Máximo de conversas abertas por atendente")
        await expect(limit).to_have_value("10")
        await limit.fill("0")
        await page.get_by_role("button", name="Salvar alterações").click()
        refused = page.locator("#max_open_per_agent-error")
        await expect(refused).to_be_visible()
        await expect(refused).to_contain_text("Máximo de conversas abertas por atendente")
        await expect(limit).to_have_attribute("aria-invalid", "true")
        await expect(page.locator('[data-field="max_open_per_agent"]')).to_have_class(
            re.compile("has-error")
        )
        assert (await stored(service)).assignment.max_open_per_agent == 10
        await limit.fill("4")
        await page.get_by_label("Nunca devolver").check()
        await page.get_by_role("button", name="Salvar alterações").click()
        await expect(page.locator("#settings-status")).to_have_text("Configurações salvas.")
        await expect(refused).to_be_hidden()
        assignment = (await stored(service)).assignment
        assert assignment.max_open_per_agent == 4
        assert assignment.offline_reassign_minutes is None

        # Privacy: a new opt-out word (by keyboard) and addresses no longer masked.
        await subnav.get_by_role("link", name="Privacidade").click()
        await page.get_by_label("Palavras para sair").fill("CANCELAR")
        await page.get_by_label("Palavras para sair").press("Enter")
        await expect(page.locator('[data-field="opt_out_keywords"] .kw-chip')).to_have_count(4)
        await page.get_by_label("Endereços", exact=True).uncheck()
        await page.get_by_role("button", name="Salvar alterações").click()
        await expect(page.locator("#settings-status")).to_have_text("Configurações salvas.")
        association = await stored(service)
        assert association.privacy.opt_out_keywords == ("SAIR", "PARAR", "STOP", "CANCELAR")
        assert association.bot.sensitive_data == ("document", "email", "phone")
        assert association.bot.greeting_member == GREETING  # the bot's other fields untouched

    for screen in ("desktop", "laptop", "phone"):
        async with sized_page(chromium, screen) as page:
            await sign_in_as(page, service.service_url, f"/dashboard/e2e/{PAGES[0]}", ADA)
            for path in PAGES:
                await page.goto(url(service, path))
                await expect(page.locator(".settings-nav [aria-current=page]")).to_be_visible()
                await assert_in_view(page, ".settings-nav [aria-current=page]")
                if path != "settings/whatsapp":
                    await expect(page.locator("#settings-form")).to_be_visible()
                await assert_fits_window(page)
                if (screen, path) == ("laptop", "settings/assignment"):
                    await screenshot(page, "settings-assignment-laptop.png")
                if (screen, path) == ("phone", "settings/bot"):
                    await screenshot(page, "settings-bot-phone.png")

    async with httpx.AsyncClient(base_url=service.service_url) as ana:
        login = {"association": "e2e", "email": ANA.email, "password": ANA.password}
        assert (await ana.post("/login", data=login)).status_code == 303
        for path in PAGES:
            refused = await ana.get(f"/dashboard/e2e/{path}")
            assert refused.status_code == 403, path
            assert f"<h1>{escape(STRINGS['pt-BR']['forbidden_title'])}</h1>" in refused.text
        assert 'class="topnav"' not in (await ana.get("/dashboard/e2e/inbox")).text
