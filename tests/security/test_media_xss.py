"""Issue 14, finding 3: stored XSS through media, and media file names that broke ``GET media``.

Before the fix a contact's file was served inline with the type the contact declared, without
a CSP: an SVG with a script, opened from the inbox, ran on our origin with the agent's session
and made an admin-only write with the page's CSRF token. A file name with emoji or CJK
characters (common on WhatsApp) made ``GET media`` answer 500.

The whole service runs on a real port with the WAHA simulator sending the contact's files;
the browser test uses headless Chromium (setup as in ``tests/e2e/test_inbox_browser.py``).
"""

from __future__ import annotations

import asyncio
import base64
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from tests.e2e.harness import Service, running_service
from tests.e2e.test_inbox_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _chromium_or_skip

from wa_crm.domain.model.message import Media
from wa_crm.domain.usecases.access.setup import NewAgent

PATIENT = "5511977776666@c.us"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@e2e.org", "admin-password"
SANDBOX = "sandbox; default-src 'none'"

# Run where it is opened: flag the window, then use the agent's session for an admin-only write
# with the CSRF token of the inbox page, as the attack in the issue did.
SVG_WITH_SCRIPT = b"""<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">
<rect width="40" height="40" fill="red"/>
<script><![CDATA[
window.__svgRan = true;
try { top.__svgRan = true; } catch (error) {}
fetch("/dashboard/e2e/inbox")
  .then((answer) => answer.text())
  .then((page) => fetch("/api/associations/e2e/canned-replies", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-csrf-token": page.match(/name="csrf-token" content="([^"]+)"/)[1],
    },
    body: JSON.stringify({shortcut: "pwned", title: "pwned", text: "the SVG wrote this"}),
  }));
]]></script>
</svg>"""
HTML_AS_JPEG = b"<!doctype html><script>window.__htmlRan = true</script>"
PDF = b"%PDF-1.7\n% exam results\n"


def png(width: int = 8, height: int = 8) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress((b"\x00" + b"\x0f\x76\x6e" * width) * height)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@dataclass
class World:
    service: Service
    token: str  # Ana's (an agent) API token

    @property
    def api(self) -> str:
        return f"{self.service.service_url}/api/associations/e2e"

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def contact_sends(self, data: bytes, mimetype: str, filename: str) -> tuple[str, Media]:
        """The contact's file through the simulator; its message id and media once stored."""
        media = {
            "mimetype": mimetype,
            "filename": filename,
            "data": base64.b64encode(data).decode(),
        }
        response = await self.service.http.post(
            f"{self.service.simulator_url}/_sim/default/inbound",
            json={"from": PATIENT, "media": media},
        )
        response.raise_for_status()
        external_id = response.json()["id"]
        deadline = asyncio.get_running_loop().time() + 15
        while True:
            async with self.service.container.uow_factory()() as uow:
                message = await uow.messages.get_by_external_id(
                    self.service.association.id, external_id
                )
            media = message.media if message is not None else None
            if message is not None and media is not None and (media.stored or media.error):
                return message.id, media
            assert asyncio.get_running_loop().time() < deadline, "the file was never stored"
            await asyncio.sleep(0.05)

    async def served(self, message_id: str) -> httpx.Response:
        return await self.service.http.get(f"{self.api}/media/{message_id}", headers=self.auth())

    async def conversation_id(self) -> str:
        return str((await self.service.conversation_of(PATIENT)).id)

    async def upload(self, data: bytes, mimetype: str, filename: str) -> httpx.Response:
        return await self.service.http.post(
            f"{self.api}/conversations/{await self.conversation_id()}/messages",
            files={"file": (filename, data, mimetype)},
            headers=self.auth(),
        )


@pytest.fixture
async def world(sqlite_url: str, tmp_path: Path) -> AsyncIterator[World]:
    async with running_service(sqlite_url, tmp_path / "media") as service:
        (
            await service.container.create_agent()(
                NewAgent("e2e", ADMIN_EMAIL, "Admin", "admin", ADMIN_PASSWORD)
            )
        ).unwrap()
        token = (await service.container.issue_api_token()("e2e", "ana@e2e.org")).unwrap()
        yield World(service, token)


def assert_contained(response: httpx.Response) -> None:
    """Whatever the file, a browser that renders it anyway gives it no origin and no script."""
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == SANDBOX


@pytest.mark.parametrize(
    ("data", "declared", "name"),
    [
        (SVG_WITH_SCRIPT, "image/svg+xml", "exame.svg"),
        (HTML_AS_JPEG, "image/jpeg", "foto.jpg"),
        (b"<script>alert(1)</script>", "text/plain", "nota.txt"),
    ],
)
async def test_a_file_that_could_run_script_is_only_a_download(
    world: World, data: bytes, declared: str, name: str
) -> None:
    message_id, media = await world.contact_sends(data, declared, name)
    assert media.stored, "kept: the contact's file is not lost"

    served = await world.served(message_id)

    assert served.status_code == 200 and served.content == data
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.headers["content-type"] == "application/octet-stream"
    assert_contained(served)


async def test_a_raster_image_proven_by_its_bytes_is_shown_inline(world: World) -> None:
    photo = png()
    message_id, _ = await world.contact_sends(photo, "image/jpeg", "foto.jpg")  # declared wrong

    served = await world.served(message_id)

    assert served.status_code == 200 and served.content == photo
    assert served.headers["content-type"] == "image/png"
    assert served.headers["content-disposition"].startswith("inline;")
    assert_contained(served)


async def test_a_pdf_is_an_attachment_of_its_own_type(world: World) -> None:
    message_id, _ = await world.contact_sends(PDF, "application/pdf", "laudo.pdf")

    served = await world.served(message_id)

    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert_contained(served)


@pytest.mark.parametrize(
    ("data", "declared", "name"),
    [
        (SVG_WITH_SCRIPT, "image/png", "receita.png"),
        (SVG_WITH_SCRIPT, "image/svg+xml", "receita.svg"),
        (HTML_AS_JPEG, "application/pdf", "laudo.pdf"),
    ],
)
async def test_an_agent_upload_whose_bytes_are_no_sendable_type_is_refused(
    world: World, data: bytes, declared: str, name: str
) -> None:
    await world.contact_sends(PDF, "application/pdf", "laudo.pdf")  # opens the conversation

    refused = await world.upload(data, declared, name)

    assert refused.status_code == 415, refused.text
    assert refused.json()["error"]["code"] == "unsupported_file_type"
    assert [s for s in await world.service.sent(PATIENT) if s["kind"] in ("image", "file")] == []


async def test_an_agent_upload_is_stored_with_the_type_its_bytes_prove(world: World) -> None:
    await world.contact_sends(PDF, "application/pdf", "laudo.pdf")

    image = await world.upload(png(), "application/octet-stream", "receita.png")
    document = await world.upload(PDF, "application/pdf", "orientações.pdf")

    assert image.status_code == 201, image.text
    assert (image.json()["type"], image.json()["media"]["mimetype"]) == ("image", "image/png")
    assert document.status_code == 201, document.text
    assert document.json()["type"] == "document"


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("exame 🩺 resultado.pdf", "exame _ resultado.pdf"),
        ("檢查報告.pdf", "____.pdf"),
        ("receituário médico.pdf", "receituario medico.pdf"),
        ('../../etc/pa"ss\r\nX-Evil: 1.pdf', "pa_ssX-Evil: 1.pdf"),
    ],
)
async def test_unicode_and_hostile_file_names(world: World, name: str, fallback: str) -> None:
    message_id, _ = await world.contact_sends(PDF, "application/pdf", name)

    served = await world.served(message_id)

    assert served.status_code == 200, served.text
    disposition = served.headers["content-disposition"]
    assert f'filename="{fallback}"' in disposition
    shown = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\r", "").replace("\n", "")
    assert f"filename*=UTF-8''{quote(shown, safe='')}" in disposition
    assert "x-evil" not in served.headers


# --------------------------------------------------------------------------- in a real browser


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async_playwright = _chromium_or_skip()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.mark.browser
async def test_an_svg_from_a_contact_runs_no_script_on_our_origin(
    browser: Any, world: World
) -> None:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import expect

    context = await browser.new_context(accept_downloads=True, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    inbox = f"{world.service.service_url}/dashboard/e2e/inbox"
    page = await context.new_page()
    await page.goto(inbox)
    await page.fill("#email", ADMIN_EMAIL)
    await page.fill("#password", ADMIN_PASSWORD)
    await page.press("#password", "Enter")
    await expect(page).to_have_url(inbox)

    message_id, _ = await world.contact_sends(SVG_WITH_SCRIPT, "image/svg+xml", "exame.svg")
    media_url = f"{world.api}/media/{message_id}"

    # Opened inside the inbox page, where a script would reach the page and its CSRF token...
    await page.evaluate(
        """(url) => new Promise((done) => {
            const frame = document.createElement("iframe");
            frame.addEventListener("load", done);
            setTimeout(done, 3000);
            frame.src = url;
            document.body.append(frame);
        })""",
        media_url,
    )
    # ...and opened on its own in a new tab, as the inbox's link does.
    tab = await context.new_page()
    try:
        await tab.goto(media_url)
    except PlaywrightError as error:  # served as a download, the tab shows nothing
        assert "Download is starting" in str(error), error
    await asyncio.sleep(1.5)  # time for the script's two fetches, had it run

    assert await page.evaluate("() => window.__svgRan === true") is False
    assert await tab.evaluate("() => window.__svgRan === true") is False
    listed = await world.service.http.get(f"{world.api}/canned-replies", headers=world.auth())
    assert "pwned" not in listed.text, "the SVG's script made an admin write"
    await context.close()
