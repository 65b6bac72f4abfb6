"""The team page in a real browser (headless Chromium through Playwright), on a laptop
(1366x850) and on a phone (390x844): an admin revokes an agent's API token and disables the
agent, and both take effect at once over HTTP; then gives the agent access back.

The browser fixture is the inbox tests'; like them, these skip without Chromium, except under
``CI=true``, where they fail.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e import test_inbox_browser as inbox_tests
from tests.e2e.harness import Service, running_service

from wa_crm.domain.usecases.access.credentials import NewToken
from wa_crm.domain.usecases.access.setup import NewAgent

pytestmark = pytest.mark.browser

browser = inbox_tests.browser
LAPTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}
ADA = ("ada@e2e.org", "admin-password")
ANA = {"association": "e2e", "email": "ana@e2e.org", "password": "agent-password"}


@dataclass
class Team:
    service: Service
    ana_token: str


@pytest.fixture
async def team(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Team]:
    async with running_service(sqlite_url, tmp_path / "media") as service:
        container = service.container
        (await container.create_agent()(NewAgent("e2e", *ADA[:1], "Ada", "admin", ADA[1]))).unwrap()
        issue = container.issue_api_token()
        token = (await issue("e2e", ANA["email"], NewToken(name="ci-script"))).unwrap()
        yield Team(service, token)


@asynccontextmanager
async def team_page(browser: Any, team: Team, viewport: dict[str, int], lang: str) -> Any:
    """Ada signed in on the team page; the test fails on any script error."""
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
    target = f"{team.service.service_url}/dashboard/e2e/team?lang={lang}"
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


def member(page: Any, name: str) -> Any:
    return page.locator(".team-member", has_text=name)


async def _fits(page: Any, width: int) -> None:
    scroll_width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page scrolls sideways: {scroll_width} > {width}"


async def test_an_admin_revokes_a_token_and_disables_an_agent(browser: Any, team: Team) -> None:
    from playwright.async_api import expect

    async with (
        team_page(browser, team, LAPTOP, "en") as page,
        httpx.AsyncClient(base_url=team.service.service_url) as http,
    ):
        script = {"Authorization": f"Bearer {team.ana_token}"}
        assert (await http.get("/api/associations/e2e/conversations", headers=script)).is_success
        ada, ana = member(page, "ada@e2e.org"), member(page, "ana@e2e.org")
        await expect(page.locator("h1")).to_have_text("Team")
        await expect(ada).to_contain_text("This is you")
        await expect(ada.locator("button")).to_have_count(0)
        await expect(ana.locator(".token")).to_contain_text("ci-script")
        await expect(ana.locator(".token")).to_contain_text("never expires")
        await expect(ana).not_to_contain_text(team.ana_token)
        await _fits(page, LAPTOP["width"])

        await ana.get_by_role("button", name="Revoke").click()
        await expect(ana).to_contain_text("No API tokens.")
        refused = await http.get("/api/associations/e2e/conversations", headers=script)
        assert refused.status_code == 401

        await ana.get_by_role("button", name="Disable").click()
        await expect(ana.locator(".pill-tone-error")).to_have_text("Disabled")
        login = await http.post("/login", json=ANA)
        assert login.status_code == 401 and login.json()["error"]["code"] == "agent_disabled"


async def test_the_team_page_fits_a_phone_in_portuguese(browser: Any, team: Team) -> None:
    from playwright.async_api import expect

    (
        await team.service.container.agent_access().disable(
            team.service.association.id, team.service.agent_id
        )
    ).unwrap()
    async with (
        team_page(browser, team, PHONE, "pt-BR") as page,
        httpx.AsyncClient(base_url=team.service.service_url) as http,
    ):
        ana = member(page, "ana@e2e.org")
        await expect(page.locator("h1")).to_have_text("Equipe")
        await expect(ana.locator(".pill-tone-error")).to_have_text("Desativado")
        await expect(ana.locator(".token")).to_contain_text("não expira")
        await _fits(page, PHONE["width"])
        enable = ana.get_by_role("button", name="Reativar")
        box = await enable.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]

        await enable.click()
        await expect(ana.locator(".pill-tone-ok")).to_have_text("Ativo")
        assert (await http.post("/login", json=ANA)).status_code == 200
