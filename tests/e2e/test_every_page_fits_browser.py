"""Every page at every screen: an admin opens each dashboard page (``PAGES``, the same list the
translation walk uses) at 1366x850, 1024x768 and 390x844, over the same seeded service; nothing
reaches past the window's edges, and a screenshot of each goes to docs/screenshots/pages/
(linked from the README's "Screens" table). The inbox is shot with a conversation open, so the
phone's shot is the conversation pane and the desktop's all three panes.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.e2e.harness import Service
from tests.e2e.screens import SCREENS, assert_fits_window, screenshot, sign_in_as, sized_page
from tests.e2e.test_every_page_translated_browser import ADMIN, PAGES, _seed, service

pytestmark = pytest.mark.browser

__all__ = ["service"]  # the seeded service fixture, shared with the translation walk


def shot_name(path: str, screen: str) -> str:
    return f"pages/{path.replace('/', '-')}-{screen}.png"


async def test_every_page_fits_every_screen(chromium: Any, service: Service) -> None:
    from playwright.async_api import expect

    await _seed(service)
    overflowing: dict[str, str] = {}
    for screen in SCREENS:
        async with sized_page(chromium, screen) as page:
            await sign_in_as(page, service.service_url, "/dashboard/e2e/inbox", ADMIN)
            for path in PAGES:
                await page.goto(f"{service.service_url}/dashboard/e2e/{path}")
                await page.wait_for_load_state("networkidle")
                if path == "inbox":
                    await page.locator("#conversation-list li", has_text="Maria").first.click()
                    await expect(page.locator("#composer")).to_be_visible()
                    await expect(page.locator("#message-list .msg").first).to_be_visible()
                try:
                    await assert_fits_window(page)
                except AssertionError as problem:
                    overflowing[f"{path} at {screen}"] = str(problem)
                await screenshot(page, shot_name(path, screen))
    assert overflowing == {}, overflowing
