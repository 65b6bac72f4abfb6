"""The WhatsApp wizard against the WAHA most associations run, in a real browser (headless
Chromium through Playwright), with the whole service and the simulator over real HTTP.

- On WAHA Core, which runs only the session named ``default`` (WAHA's ``manager.core.ts``): an
  admin who types another name, as our old docs told, gets ``default`` proposed and one sentence
  saying that several numbers on one server need Plus; then saves, presses Start twice (the
  second time in a stale tab, while WAHA already runs the session), changes the webhook secret,
  starts again after the QR code expired and links the phone, never meeting a gateway error. At
  1366x850, 1024x768 and 390x844, each step fits the window and its buttons can be pressed.
- A WAHA older than the oldest release we support gets a sentence naming both versions.

The browser setup is the inbox tests'; like them, these skip without Chromium, except under
``CI=true``, where they fail.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e import test_inbox_browser as inbox_tests
from tests.e2e.harness import API_KEY, SESSION, Service, running_unconfigured_service

from wa_crm.adapters.waha.gateway import OLDEST_SUPPORTED_VERSION
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.entrypoints.http.strings import STRINGS

ADMIN_EMAIL = "ada@e2e.org"
ADMIN_PASSWORD = "admin-password"
SIZES = (
    {"width": 1366, "height": 850},
    {"width": 1024, "height": 768},
    {"width": 390, "height": 844},
)
TEXTS = STRINGS
PT, EN = TEXTS["pt-BR"], TEXTS["en"]

browser = inbox_tests.browser


@pytest.fixture
def simulator_fields() -> dict[str, Any]:
    """SimulatorConfig fields a test sets with ``parametrize``: the WAHA it plays."""
    return {}


@pytest.fixture
async def service(
    sqlite_url: str, tmp_path: Path, simulator_fields: dict[str, Any]
) -> AsyncIterator[Service]:
    """Ada, admin of an association whose WhatsApp is not set up, and a simulator without a
    session."""
    async with running_unconfigured_service(
        sqlite_url, tmp_path / "media", **simulator_fields
    ) as running:
        admin = NewAgent("e2e", ADMIN_EMAIL, "Ada", "admin", ADMIN_PASSWORD)
        (await running.container.create_agent()(admin)).unwrap()
        yield running


@pytest.fixture
async def page(browser: Any, service: Service) -> AsyncIterator[Any]:
    """A tab at the largest size that fails the test on a script error; the one answer that
    may log an error is the Core refusal (409), which the wizard turns into a sentence. It
    closes before the service stops (hence ``service``), so no request is cut off."""
    context = await browser.new_context(viewport=SIZES[0], locale="pt-BR")
    context.set_default_timeout(inbox_tests.TIMEOUT_MS)
    tab = await context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "status of 409" not in message.text
            else None
        ),
    )
    yield tab
    await context.close()
    assert problems == [], problems


async def open_wizard(page: Any, service: Service, language: str) -> None:
    """Sign in as Ada (once per browser context) and land on the wizard, its form filled from
    the stored settings: typing before that would be overwritten (``fillForm`` in settings.js)."""
    from playwright.async_api import expect

    target = f"{service.service_url}/dashboard/e2e/settings/whatsapp?lang={language}"
    await page.goto(target)
    if "/login" in page.url:
        await page.fill("#email", ADMIN_EMAIL)
        await page.fill("#password", ADMIN_PASSWORD)
        await page.click("#login-submit")
    await expect(page).to_have_url(target)
    await expect(page.locator("#waha-key-state")).not_to_be_empty()


async def fits_every_size(page: Any, *buttons: str) -> None:
    """At each size nothing is wider than the window, and each button, scrolled to, shows in
    full; the tab goes back to the largest size."""
    from playwright.async_api import expect

    for size in SIZES:
        await page.set_viewport_size(size)
        overflow = await page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"the page is {overflow}px wider than the window at {size}"
        for button in buttons:
            # centred: scrolled only "if needed", a button lands on the window's edge, where a
            # layout of fractional heights leaves a few hundredths of a pixel outside it
            await page.locator(button).evaluate("b => b.scrollIntoView({block: 'center'})")
            await expect(page.locator(button)).to_be_in_viewport(ratio=1)
    await page.set_viewport_size(SIZES[0])


async def webhook_secret_in_waha(service: Service) -> str:
    """The HMAC key of the webhook WAHA's session holds (read as WAHA shows it)."""
    response = await service.http.get(
        f"{service.simulator_url}/api/sessions/{SESSION}", headers={"X-Api-Key": API_KEY}
    )
    response.raise_for_status()
    [hook] = response.json()["config"]["webhooks"]
    return str(hook["hmac"]["key"])


@pytest.mark.browser
@pytest.mark.parametrize("simulator_fields", [{"tier": "CORE"}], ids=["core"])
async def test_an_admin_links_whatsapp_on_waha_core(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    await open_wizard(page, service, "pt-BR")
    session = page.locator("#waha-session")
    await expect(session).to_have_value("default")
    await expect(page.locator("#waha-session-hint")).to_have_text(PT["waha_session_hint"])

    # The session named after the association, as our docs used to say: Core refuses it.
    result = page.locator("#test-result")
    await page.fill("#waha-url", service.simulator_url)
    await page.fill("#waha-key", API_KEY)
    await session.fill("e2e")
    await page.click("#btn-test")
    await expect(result).to_have_text(PT["core_needs_default_session"])
    await expect(session).to_have_value("default")
    await page.click("#btn-test")
    await expect(result).to_have_text(PT["test_session_not_found"])
    await expect(result).to_have_class(re.compile("result-ok"))
    await fits_every_size(page, "#btn-test", "#btn-save")

    await page.fill("#webhook-secret", "first-secret")
    await page.click("#btn-save")
    await expect(page.locator("#save-result")).to_have_text(PT["saved"])
    await fits_every_size(page, "#btn-start")

    # Start pressed twice: in this tab, then in a second one whose event stream dropped, so it
    # still offers Start while WAHA already runs the session (WAHA answers that start with 422
    # "already started"): the second tab shows the QR code too, no gateway error.
    stale = await page.context.new_page()
    await stale.route("**/events", lambda route: route.abort())
    await open_wizard(stale, service, "pt-BR")
    await expect(stale.locator("#btn-start")).to_be_visible()
    await page.click("#btn-start")
    await expect(page.locator("#qr-image")).to_be_visible()
    await stale.click("#btn-start")
    await expect(stale.locator("#qr-image")).to_be_visible()
    await expect(stale.locator("#session-error")).to_be_hidden()
    await stale.close()
    await fits_every_size(page)

    # A new webhook secret, the QR code expires (FAILED), Start once more: WAHA holds the new
    # secret and shows a QR code again, and the admin never sees a gateway error.
    await page.fill("#webhook-secret", "second-secret")
    await page.click("#btn-save")
    await expect(page.locator("#save-result")).to_have_text(PT["saved"])
    sim = f"{service.simulator_url}/_sim/{SESSION}"
    (await service.http.post(f"{sim}/status", json={"status": "FAILED"})).raise_for_status()
    await expect(page.locator("#btn-start")).to_have_text(PT["retry"])
    await page.click("#btn-start")
    await expect(page.locator("#qr-image")).to_be_visible()
    await expect(page.locator("#session-error")).to_be_hidden()
    assert await webhook_secret_in_waha(service) == "second-secret"

    linked = {"phone": "+55 11 99000-1234", "push_name": "Associação E2E"}
    (await service.http.post(f"{sim}/scan", json=linked)).raise_for_status()
    await expect(page.locator("#connected-phone")).to_have_text("+55 11 99000-1234")
    await expect(page.locator("#session-error")).to_be_hidden()
    await fits_every_size(page, "#btn-send-test", "#btn-session-logout")

    # The same refusal in English.
    await open_wizard(page, service, "en")
    await session.fill("e2e")
    await page.click("#btn-test")
    await expect(result).to_have_text(EN["core_needs_default_session"])
    await expect(session).to_have_value("default")


@pytest.mark.browser
@pytest.mark.parametrize("simulator_fields", [{"version": "2024.10.8"}], ids=["2024.10.8"])
async def test_a_too_old_waha_is_named_with_the_version_needed(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    await open_wizard(page, service, "pt-BR")
    await page.fill("#waha-url", service.simulator_url)
    await page.fill("#waha-key", API_KEY)
    await page.click("#btn-test")
    result = page.locator("#test-result")
    sentence = PT["test_waha_too_old"].format(
        version="2024.10.8 (WEBJS)", needed=OLDEST_SUPPORTED_VERSION
    )
    await expect(result).to_have_text(sentence)
    await expect(result).to_have_class(re.compile("result-error"))
    assert "2024.10.8" in sentence and "2024.11.5" in sentence
