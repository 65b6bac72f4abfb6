"""What every browser test of issue 18 on needs: the three screens, a page that fails the test on
a script error, signing in through the form, and the check that a page fits its window.

    async with sized_page(chromium, "phone") as page:
        await sign_in_as(page, service.service_url, "/dashboard/e2e/inbox", ANA)
        await assert_fits_window(page)

The ``chromium`` fixture (tests/e2e/conftest.py) launches Debian's Chromium once per test; like
the older browser tests, it skips without Chromium, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCREENS = {
    "desktop": {"width": 1366, "height": 850},
    "laptop": {"width": 1024, "height": 768},
    "phone": {"width": 390, "height": 844},
}
"""The three sizes every page is tested at (README, "Screens")."""

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Login:
    association: str
    email: str
    password: str


@asynccontextmanager
async def sized_page(
    chromium: Any,
    screen: str,
    locale: str = "pt-BR",
    timezone: str = "America/Sao_Paulo",
    expected_console: str | None = None,
) -> AsyncIterator[Any]:
    """A new browser context of the screen's size; a script error or a console error fails the
    test when the block ends, except console errors matching ``expected_console`` (a regular
    expression: what the test provokes, such as a failed request while offline)."""
    context = await chromium.new_context(
        viewport=SCREENS[screen],
        locale=locale,
        timezone_id=timezone,
        is_mobile=screen == "phone",
        has_touch=screen == "phone",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def console(message: Any) -> None:
        if message.type != "error":
            return
        if expected_console is None or not re.search(expected_console, message.text):
            problems.append(f"console: {message.text}")

    page.on("console", console)
    try:
        yield page
    finally:
        await context.close()
    assert problems == [], problems


async def sign_in_as(page: Any, base_url: str, path: str, login: Login) -> None:
    """Open ``path`` (under ``base_url``), get sent to the login page, sign in, land on it."""
    from playwright.async_api import expect

    target = f"{base_url}{path}"
    await page.goto(target)
    await expect(page).to_have_url(re.compile(r"/login\?"))
    await page.fill("#association", login.association)
    await page.fill("#email", login.email)
    await page.fill("#password", login.password)
    await page.press("#password", "Enter")
    await expect(page).to_have_url(target)


# Elements wider than the window, or reaching past its right edge, that the page does not scroll
# inside a container of their own.
_OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (/(auto|scroll|hidden)/.test(style.overflowX) && up.scrollWidth > up.clientWidth + 1)
        return true;
    }
    return false;
  };
  const out = [];
  if (document.documentElement.scrollWidth > width + 1)
    out.push(`page is ${document.documentElement.scrollWidth}px wide in ${width}px`);
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === "hidden") continue;
    if ((box.right > width + 1 || box.left < -1) && !scrolls(el)) {
      const where = `[${Math.round(box.left)}, ${Math.round(box.right)}]`;
      out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} ${where}`);
    }
  }
  return out.slice(0, 10);
}"""


async def assert_fits_window(page: Any) -> None:
    """Nothing reaches past the window's edges (the page never scrolls sideways)."""
    overflowing = await page.evaluate(_OVERFLOWING)
    assert overflowing == [], overflowing


async def assert_in_view(page: Any, selector: str) -> None:
    """The element shows in full inside the window (not below the fold, not cut)."""
    box = await page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= -1 and box["y"] >= -1, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 1, (selector, box, size)
    assert box["y"] + box["height"] <= size["height"] + 1, (selector, box, size)


async def screenshot(page: Any, name: str) -> None:
    """For docs/screenshots/: without passing toasts and the caret of whatever had the focus."""
    await page.evaluate(
        "() => { document.getElementById('toasts')?.replaceChildren();"
        " document.activeElement && document.activeElement.blur(); }"
    )
    (SCREENSHOTS / name).parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / name))
