"""The ``chromium`` fixture of the browser tests (helpers in ``tests/e2e/screens``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.e2e.screens import TIMEOUT_MS
from tests.e2e.test_inbox_browser import CHROMIUM, CHROMIUM_ARGS, _chromium_or_skip


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium, headless; skips without it, fails without it under ``CI=true``."""
    async_playwright = _chromium_or_skip()
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()
