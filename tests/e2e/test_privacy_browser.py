"""An admin exports and erases a contact's data from the inbox sidebar, in a real browser (headless
Chromium through Playwright), against the whole service and the WAHA simulator; a plain agent sees
neither button. The browser fixtures are the inbox tests'; like them, these skip without
Chromium, except under ``CI=true``, where they fail. A screenshot of the erasure dialog goes to
docs/screenshots/erase-dialog.png.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e import test_inbox_browser as inbox_tests
from tests.e2e.harness import Service, running_service
from tests.e2e.test_inbox_browser import VIEWPORT, row, screenshot

from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.usecases.access.setup import NewAgent

pytestmark = pytest.mark.browser

browser = inbox_tests.browser
page = inbox_tests.page

BOT = BotSettings(debounce_seconds=0.2, typing_seconds=0)
MARIA = "5511999998888@c.us"
PATIENTS = "id,full_name,phone,status\np-1,Maria Aparecida Silva,+55 11 99999-8888,active\n"


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    """Ada (admin) and Ana (agent); Maria, a member, has written and opted out since."""
    async with running_service(sqlite_url, tmp_path / "media", BOT) as running:
        container = running.container
        (await container.import_patients()("e2e", PATIENTS)).unwrap()
        admin = NewAgent("e2e", "ada@e2e.org", "Ada", "admin", "admin-password")
        (await container.create_agent()(admin)).unwrap()
        await running.patient_writes(MARIA, "Oi, quero saber do meu pedido", push_name="Maria")
        await running.wait_for_texts(lambda texts: len(texts) >= 2, MARIA)  # the bot is done
        async with container.uow_factory()() as uow:
            contact = await uow.contacts.find_by_chat_id(running.association.id, MARIA)
            assert contact is not None
            contact.opt_out(container.clock().now(), "keyword:SAIR")
            await uow.contacts.update(contact)
            await uow.commit()
        yield running


async def sign_in(page: Any, service: Service, email: str, password: str) -> None:
    from playwright.async_api import expect

    inbox = f"{service.service_url}/dashboard/e2e/inbox?lang=en"
    await page.goto(inbox)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("#login-submit")
    await expect(page).to_have_url(inbox)


async def test_an_admin_exports_then_erases_a_contact_from_the_sidebar(
    page: Any, service: Service
) -> None:
    from playwright.async_api import expect

    await sign_in(page, service, "ada@e2e.org", "admin-password")
    await row(page, "Maria").click()
    sidebar = page.locator("#sidebar")
    await expect(sidebar).to_contain_text("Maria Aparecida Silva")
    await expect(sidebar.locator(".pill-opted-out")).to_have_text(
        re.compile(r"^Opted out since \w{3} \d{1,2}, \d{4}$")
    )
    await expect(sidebar.locator(".pill-opted-out")).to_have_attribute(
        "title", "Asked by message: SAIR"
    )

    # The export link downloads the contact's ZIP with the browser's session.
    contact = await service.contact_of(MARIA)
    export = sidebar.locator("#contact-export")
    href = f"/api/associations/e2e/contacts/{contact.id}/export"
    await expect(export).to_have_attribute("href", href)
    download = await page.request.get(f"{service.service_url}{href}")
    assert download.status == 200
    with zipfile.ZipFile(io.BytesIO(await download.body())) as archive:
        exported = json.loads(archive.read("contact.json"))
    assert exported["phone"] == "+5511999998888"

    # Erase: the dialog explains, and only the contact's name lets it go ahead.
    await sidebar.locator("#contact-erase").click()
    dialog = page.locator("#erase-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("This cannot be undone.")
    await expect(dialog).to_contain_text("Type “Maria” to confirm:")
    submit = dialog.locator("#erase-submit")
    await expect(submit).to_be_disabled()
    await page.fill("#erase-confirm", "Mari")
    await expect(submit).to_be_disabled()
    await page.fill("#erase-confirm", " maria ")
    await expect(submit).to_be_enabled()
    await screenshot(page, "erase-dialog.png")
    await submit.click()

    await expect(dialog).to_have_count(0)
    await expect(page.locator(".toast", has_text="Contact's data erased")).to_be_visible()
    await expect(sidebar).to_contain_text("This contact's data was erased.")
    await expect(sidebar).not_to_contain_text("Maria")
    await expect(page.locator("#conv-name")).to_have_text("Erased contact")
    await expect(page.locator("#message-list .msg")).to_have_count(0)
    await expect(row(page, "Erased contact")).to_be_visible()
    erased = await service.contact_of(f"erased:{contact.id}")
    assert (erased.display_name, erased.phone, erased.patient_id) == ("", None, None)


async def test_a_plain_agent_has_neither_export_nor_erase(browser: Any, service: Service) -> None:
    from playwright.async_api import expect

    context = await browser.new_context(viewport=VIEWPORT, locale="en-US")
    try:
        page = await context.new_page()
        await sign_in(page, service, "ana@e2e.org", "agent-password")
        await row(page, "Maria").click()
        await expect(page.locator("#sidebar")).to_contain_text("Maria Aparecida Silva")
        await expect(page.locator("#sidebar .pill-opted-out")).to_be_visible()
        await expect(page.locator("#contact-export, #contact-erase")).to_have_count(0)
    finally:
        await context.close()
