"""The dashboard installs as a web app (issue 18, Agents item 1): the manifest names icons that
are served as PNGs of the sizes it states, the service worker registers in Chromium, and with
the browser offline a dashboard page shows the offline page, in pt-BR then English. Without a
browser: the worker caches only the offline page and this version's static files, and every
URL the manifest and the worker name starts with the mount path."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from tests.e2e.harness import running_service
from tests.e2e.screens import Login, assert_fits_window, sign_in_as, sized_page

from wa_crm.entrypoints.http import create_app
from wa_crm.entrypoints.http.pages import VERSIONED_STATIC
from wa_crm.entrypoints.http.strings import STRINGS
from wa_crm.settings import Settings

ANA = Login("e2e", "ana@e2e.org", "agent-password")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.browser
async def test_the_dashboard_installs_and_works_offline(
    chromium: Any, sqlite_url: str, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    async with running_service(sqlite_url, tmp_path / "media") as service:
        base = service.service_url
        manifest = (await service.http.get(f"{base}/manifest.webmanifest?lang=en")).json()
        assert (manifest["name"], manifest["display"], manifest["start_url"]) == (
            "wa_crm",
            "standalone",
            "/",
        )
        purposes = set()
        for icon in manifest["icons"]:
            answer = await service.http.get(f"{base}{icon['src']}")
            assert answer.headers["content-type"] == "image/png"
            width, height = _png_size(answer.content)
            assert icon["sizes"] == f"{width}x{height}"
            purposes.add((icon["sizes"], icon["purpose"]))
        assert purposes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}

        # Offline, the inbox's own requests (the event stream reconnecting) fail as they should.
        offline = "ERR_INTERNET_DISCONNECTED"
        async with sized_page(chromium, "phone", expected_console=offline) as page:
            await sign_in_as(page, base, "/dashboard/e2e/inbox", ANA)
            head = page.locator("head")
            await expect(head.locator('link[rel="manifest"]')).to_have_attribute(
                "href", "/manifest.webmanifest"
            )
            await expect(head.locator('meta[name="theme-color"]')).to_have_attribute(
                "content", manifest["theme_color"]
            )
            scope = await page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.scope)")
            assert scope == f"{base}/"
            # the worker has cached what it needs before it is ready; from now on, no network
            await page.context.set_offline(True)
            await page.goto(f"{base}/dashboard/e2e/inbox?c=anything")
            await expect(page.locator("h1")).to_have_text(STRINGS["pt-BR"]["offline_title"])
            await expect(page.locator('[lang="en"] h2')).to_have_text(
                STRINGS["en"]["offline_title"]
            )
            await expect(page.locator(".brand-mark")).to_be_visible()  # its stylesheet, cached
            await assert_fits_window(page)
            await page.context.set_offline(False)
            await page.click(".offline-retry")  # back online, the same address opens
            await expect(page).to_have_url(re.compile(r"/dashboard/e2e/inbox\?c=anything$"))
            await expect(page.locator("#conversation-list")).to_be_attached()


async def test_the_worker_and_the_manifest_live_under_the_mount_path() -> None:
    wa_crm = create_app(settings=Settings(database_url="sqlite+aiosqlite:////tmp/unused.db"))
    host = Starlette(routes=[Mount("/crm", app=wa_crm)])
    transport = httpx.ASGITransport(app=host)
    async with httpx.AsyncClient(transport=transport, base_url="http://host") as http:
        manifest = (await http.get("/crm/manifest.webmanifest")).json()
        worker = await http.get("/crm/sw.js")
        offline = await http.get("/crm/offline")
    assert (manifest["start_url"], manifest["scope"], manifest["id"]) == ("/crm/", "/crm/", "/crm/")
    assert all(icon["src"].startswith(f"/crm{VERSIONED_STATIC}/pwa/") for icon in manifest["icons"])
    assert manifest["lang"] == "pt-BR"  # the product's language when the browser names none

    assert worker.headers["content-type"].startswith("text/javascript")
    config = json.loads(re.match(r"const CONFIG = (.*);\n", worker.text).group(1))  # type: ignore[union-attr]
    assert config["offline"] == "/crm/offline"
    assert config["static"] == f"/crm{VERSIONED_STATIC}/"
    assert config["assets"] and all(a.startswith(config["static"]) for a in config["assets"])
    assert f"/crm{VERSIONED_STATIC}/app.css" in config["assets"]
    assert f"/crm{VERSIONED_STATIC}/inbox/main.js" in config["assets"]
    # pages and API answers hold data: the worker never caches them
    assert "api/" not in worker.text and "/dashboard" not in worker.text

    assert offline.status_code == 200
    assert STRINGS["pt-BR"]["offline_text"] in offline.text
    assert STRINGS["en"]["offline_text"] in offline.text
    assert f'href="/crm{VERSIONED_STATIC}/app.css"' in offline.text
    assert "script-src 'self'" in offline.headers["content-security-policy"]
