"""wa_crm mounted under ``/crm`` in a host Starlette app (``Mount("/crm", app=create_app())``),
in headless Chromium: an admin is sent to ``/crm/login``, signs in, opens a conversation whose
image loads from ``/crm/api/...``, sees a new message arrive over the event stream, walks the
admin pages through the navigation and signs out back to ``/crm/login``; no request of the
browser leaves ``/crm``. The login page's ``next`` takes only a dashboard path under the mount.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from tests.e2e.harness import Service, running_service
from tests.e2e.screens import Login, sign_in_as, sized_page
from tests.e2e.test_inbox_browser import png

from wa_crm.domain.usecases.access.setup import NewAgent

pytestmark = pytest.mark.browser

PREFIX = "/crm"
ADMIN = Login("e2e", "ada@e2e.org", "admin-password")
MARIA = "5511999998888@c.us"
ADMIN_PAGES = ["monitoring", "settings/whatsapp", "knowledge", "team"]


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(sqlite_url, tmp_path / "media", mounted_at=PREFIX) as running:
        new = NewAgent("e2e", ADMIN.email, "Ada", "admin", ADMIN.password)
        (await running.container.create_agent()(new)).unwrap()
        yield running


async def _stored_image_url(service: Service, token: str) -> str:
    """The media URL the API gives Maria's image, once the file is in the store."""
    conversation = await service.conversation_of(MARIA)
    path = f"/api/associations/e2e/conversations/{conversation.id}/messages"
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        answer = await service.http.get(
            f"{service.service_url}{path}", headers={"Authorization": f"Bearer {token}"}
        )
        answer.raise_for_status()
        urls = [m["media"]["url"] for m in answer.json()["items"] if m["media"]]
        if urls and urls[0]:
            return str(urls[0])
        assert asyncio.get_running_loop().time() < deadline, answer.json()
        await asyncio.sleep(0.05)


async def _boot_next(http: httpx.AsyncClient, base: str, next_path: str) -> Any:
    page = await http.get(f"{base}/login", params={"next": next_path})
    found = re.search(r'<script type="application/json" id="boot">(.*?)</script>', page.text)
    assert found, page.text
    return json.loads(found.group(1))


async def test_the_inbox_and_admin_pages_work_under_a_prefix(
    chromium: Any, service: Service
) -> None:
    from playwright.async_api import expect

    base = service.service_url
    host = base.removesuffix(PREFIX)
    origin = f"{urlsplit(host).scheme}://{urlsplit(host).netloc}"

    # The login page keeps a dashboard path under the mount as `next`, nothing else.
    boot = await _boot_next(service.http, base, f"{PREFIX}/dashboard/e2e/inbox?c=1")
    assert boot["base"] == PREFIX
    assert boot["next"] == f"{PREFIX}/dashboard/e2e/inbox?c=1"
    for refused in [
        "/dashboard/e2e/inbox",
        "//evil.example/dashboard/e2e/",
        "https://evil.example",
    ]:
        assert (await _boot_next(service.http, base, refused))["next"] is None, refused
    stranger = await service.http.get(f"{base}/dashboard/e2e/team", follow_redirects=False)
    assert stranger.headers["location"] == (
        f"{PREFIX}/login?next={quote(f'{PREFIX}/dashboard/e2e/team', safe='')}"
    )

    image = {"mimetype": "image/png", "data": base64.b64encode(png()).decode()}
    answer = await service.http.post(
        f"{service.simulator_url}/_sim/default/inbound",
        json={"from": MARIA, "media": image, "push_name": "Maria"},
    )
    answer.raise_for_status()
    token = (await service.container.issue_api_token()("e2e", ADMIN.email)).unwrap()
    assert (await _stored_image_url(service, token)).startswith(f"{PREFIX}/api/associations/e2e/")

    async with sized_page(chromium, "desktop") as page:
        requested: list[str] = []
        missing: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.on(
            "response",
            lambda response: missing.append(response.url) if response.status == 404 else None,
        )
        await sign_in_as(page, base, "/dashboard/e2e/inbox", ADMIN)

        await page.click("#tab-all")
        await page.locator("#conversation-list li", has_text="Maria").first.click()
        picture = page.locator("#message-list .msg-media img").first
        await expect(picture).to_be_visible()
        await page.wait_for_function(
            "() => [...document.querySelectorAll('#message-list img')]"
            ".some(i => i.complete && i.naturalWidth === 96)"
        )
        assert (await picture.get_attribute("src") or "").startswith(f"{PREFIX}/api/")

        await service.patient_writes(MARIA, "Chegou pelo fluxo de eventos")
        await expect(page.locator("#message-list")).to_contain_text("Chegou pelo fluxo de eventos")

        links = await page.locator(".topnav a").evaluate_all("(as) => as.map(a => a.pathname)")
        assert len(links) >= 3 and all(link.startswith(f"{PREFIX}/") for link in links), links
        for link in links:
            await page.click(f'.topnav a[href^="{link}"]')
            await expect(page).to_have_url(f"{origin}{link}")
            await expect(page.locator("#logout")).to_be_visible()
        for path in ADMIN_PAGES:
            await page.goto(f"{base}/dashboard/e2e/{path}")
            await expect(page.locator("main h1").first).to_be_visible()
            await page.wait_for_load_state("networkidle")

        await page.click("#logout")
        await expect(page).to_have_url(f"{base}/login")
        await expect(page.locator("#login-form")).to_have_attribute("action", f"{PREFIX}/login")
        assert missing == [], missing

    outside = [
        url
        for url in requested
        if url.startswith(("http:", "https:")) and not url.startswith(f"{origin}{PREFIX}/")
    ]
    assert outside == [], outside
    assert any("/static/" in url for url in requested)
    assert any(url.endswith("/events") for url in requested)
