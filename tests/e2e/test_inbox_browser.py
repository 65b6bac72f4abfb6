"""An agent works the inbox in a real browser (headless Chromium through Playwright), against
the whole service and the WAHA simulator over real HTTP: nothing is reloaded, everything
arrives through the SSE stream.

Chromium is Debian's, at /usr/bin/chromium; without it these tests skip, except under
``CI=true``, where they fail. Screenshots of the inbox at 1366x768 go to docs/screenshots/.
"""

from __future__ import annotations

import asyncio
import os
import re
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.harness import Service, running_service

from wa_crm.domain.model.association import BotSettings
from wa_crm.entrypoints.http.pages import STATIC_DIR

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 10_000

MARIA = "5511999998888@c.us"  # a member with orders
LIA = "5511988887777@c.us"  # a lead who asks for a person
JOAO = "558188887777@c.us"  # a member the bot is talking to
BOT = BotSettings(debounce_seconds=0.2, typing_seconds=0)
PATIENTS = (
    "id,full_name,phone,status,city,condition\n"
    "p-1,Maria Aparecida Silva,+55 11 99999-8888,active,São Paulo,fibromialgia\n"
    "p-2,João Batista Souza,+55 81 8888-7777,active,Recife,epilepsia\n"
)
ORDERS = (
    "patient_id,order_id,date,items,total,status\n"
    "p-1,o-1001,2026-09-12,Óleo CBD 3% 30ml,289.90,delivered\n"
    "p-1,o-1042,2026-11-02,Óleo CBD 3% 30ml x2,559.80,shipped\n"
)

# The page sees a browser that is not focused and may notify: the test records what it shows.
NOTIFICATION_SPY = """
window.__notifications = [];
class FakeNotification {
  constructor(title, options) {
    window.__notifications.push({title, body: options && options.body});
  }
  addEventListener() {}
  close() {}
}
FakeNotification.permission = "granted";
FakeNotification.requestPermission = async () => "granted";
window.Notification = FakeNotification;
document.hasFocus = () => false;
"""


def png(width: int = 96, height: int = 64) -> bytes:
    """A small valid PNG (a teal rectangle), made here so no file is needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes((15, 118, 110)) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _chromium_or_skip() -> Any:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        async_playwright = None
    problem = (
        "the playwright package is not installed"
        if async_playwright is None
        else None
        if os.access(CHROMIUM, os.X_OK)
        else f"Chromium is not installed at {CHROMIUM}"
    )
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {problem}")
        pytest.skip(problem)
    return async_playwright


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async_playwright = _chromium_or_skip()
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(sqlite_url, tmp_path / "media", BOT) as running:
        (await running.container.import_patients()("e2e", PATIENTS)).unwrap()
        (await running.container.import_orders()("e2e", ORDERS)).unwrap()
        yield running


@pytest.fixture
async def page(browser: Any, service: Service) -> AsyncIterator[Any]:
    context = await browser.new_context(
        viewport=VIEWPORT, locale="en-US", timezone_id="America/Sao_Paulo"
    )
    context.set_default_timeout(TIMEOUT_MS)
    await context.add_init_script(NOTIFICATION_SPY)
    tab = await context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "status of 401" not in message.text  # the wrong password
            else None
        ),
    )
    yield tab
    await context.close()
    assert problems == [], problems


async def sign_in(page: Any, service: Service, query: str = "") -> None:
    """Open the inbox, get sent to the login page, get the password wrong, then right."""
    from playwright.async_api import expect

    inbox = f"{service.service_url}/dashboard/e2e/inbox{query}"
    await page.goto(inbox)
    await expect(page).to_have_url(re.compile(r"/login\?next=%2Fdashboard%2Fe2e%2Finbox"))
    await expect(page.locator("#association")).to_have_value("e2e")
    await page.fill("#email", "ana@e2e.org")
    await page.fill("#password", "not-the-password")
    await page.click("#login-submit")
    await expect(page.locator("#login-error")).to_be_visible()
    await page.fill("#password", "agent-password")
    await page.press("#password", "Enter")
    await expect(page).to_have_url(inbox)
    await expect(page.locator("#tab-all .count")).to_have_text("0")


async def sent_of_kind(service: Service, chat_id: str, kind: str) -> list[dict[str, Any]]:
    """What the simulator received of one kind, once there is some (delivery is a job)."""
    deadline = asyncio.get_running_loop().time() + TIMEOUT_MS / 1000
    while True:
        found = [sent for sent in await service.sent(chat_id) if sent["kind"] == kind]
        if found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.05)


async def screenshot(page: Any, name: str) -> None:
    """For docs/: without the passing toasts and the caret of whatever had the focus."""
    await page.evaluate(
        "() => { document.getElementById('toasts').replaceChildren();"
        " document.activeElement && document.activeElement.blur(); }"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / name))


def row(page: Any, name: str) -> Any:
    return page.locator("#conversation-list .conv", has_text=name)


async def test_the_inbox_loads_its_modules_without_a_console_error(
    page: Any, service: Service
) -> None:
    """The inbox's native ES modules all load, and run: the tabs are set up and counted. The
    ``page`` fixture fails the test on any console error or uncaught exception."""
    from playwright.async_api import expect

    scripts: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda response: (
            scripts.append((response.url, response.status))
            if response.request.resource_type == "script"
            else None
        ),
    )
    await sign_in(page, service)
    await expect(page.locator("#tab-all")).to_have_attribute("aria-selected", "true")
    modules = {url.rsplit("/", 1)[1]: status for url, status in scripts if "/inbox/" in url}
    assert modules == {module.name: 200 for module in (STATIC_DIR / "inbox").glob("*.js")}


async def test_an_agent_takes_over_a_conversation_live(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    await sign_in(page, service, "?lang=en")

    # A patient writes: the conversation shows up in the list, live, and the bot answers.
    await service.patient_writes(MARIA, "Oi! Cadê meu pedido?", push_name="Maria")
    maria = row(page, "Maria")
    await expect(maria).to_be_visible()
    await expect(maria.locator(".pill")).to_have_text("Bot")
    await expect(page.locator("#tab-bot .count")).to_have_text("1")
    await maria.click()
    messages = page.locator("#message-list")
    await expect(messages.locator(".msg-contact .msg-body")).to_have_text(["Oi! Cadê meu pedido?"])
    await expect(messages.locator(".msg-bot").first).to_contain_text("Olá, Maria!")
    await expect(messages.locator(".msg-bot").last).to_contain_text("o-1042")
    await expect(page.locator("#sidebar")).to_contain_text("Maria Aparecida Silva")
    await expect(page.locator("#sidebar .order")).to_have_count(2)
    await expect(page.locator("#sidebar .order .order-status")).to_have_text(
        ["shipped", "delivered"]
    )
    await expect(page.locator("#sidebar .order").first).to_contain_text("11/02/2026")
    await expect(page.locator("#sidebar .order").first).to_contain_text("R$559.80")

    # Claim: the buttons follow the status machine.
    await page.click("#btn-claim")
    await expect(page.locator("#conv-status")).to_have_text("With an agent")
    await expect(page.locator("#btn-claim")).to_be_hidden()
    await expect(page.locator("#btn-release")).to_be_visible()
    await expect(page.locator("#tab-mine .count")).to_have_text("1")

    # The contact types, then writes again: both show in the open conversation.
    await service.http.post(
        f"{service.simulator_url}/_sim/default/presence", json={"from": MARIA, "state": "typing"}
    )
    await expect(page.locator("#conv-typing")).to_have_text("typing…")
    await service.patient_writes(MARIA, "Preciso mudar o endereço de entrega.")
    await expect(messages.locator(".msg-contact .msg-body").last).to_have_text(
        "Preciso mudar o endereço de entrega."
    )
    await expect(page.locator("#conv-typing")).to_be_hidden()

    # Reply from the composer: typing reaches WhatsApp, Enter sends, the ticks reach read.
    composer = page.locator("#composer-text")
    await composer.click()
    await composer.type("Olá, Maria! Aqui é a Ana.")
    await composer.press("Shift+Enter")
    await composer.type("Claro, qual é o novo endereço?")
    await composer.press("Enter")
    reply = "Olá, Maria! Aqui é a Ana.\nClaro, qual é o novo endereço?"
    await service.wait_for_texts(lambda texts: reply in texts, MARIA)
    assert await sent_of_kind(service, MARIA, "typing"), "the agent's typing reached WhatsApp"
    mine = messages.locator(".msg-agent").last
    await expect(mine.locator(".msg-body")).to_have_text(reply)
    await expect(mine).to_have_attribute("data-status", "read")
    await expect(mine.locator(".tick")).to_have_text("✓✓")
    await expect(composer).to_have_value("")

    # An image through the attachment button, with a caption.
    await page.set_input_files(
        "#file-input", files=[{"name": "receita.png", "mimeType": "image/png", "buffer": png()}]
    )
    await expect(page.locator("#attachment-name")).to_contain_text("receita.png")
    await composer.fill("Segue a receita")
    await page.click("#send")
    await expect(page.locator("#attachment")).to_be_hidden()
    image = messages.locator(".msg-agent img").last
    await expect(image).to_be_visible()
    await page.wait_for_function(
        "() => [...document.querySelectorAll('.msg-agent img')].some(i => i.naturalWidth === 96)"
    )
    sent_images = await sent_of_kind(service, MARIA, "image")
    assert [(s["caption"], s["filename"]) for s in sent_images] == [
        ("Segue a receita", "receita.png")
    ]
    await expect(messages.locator(".msg-agent").last).to_have_attribute("data-status", "read")

    # Another member talks to the bot, so the list has some life in it.
    await service.patient_writes(JOAO, "Boa tarde, meu pedido chegou?", push_name="João")
    await expect(row(page, "João")).to_be_visible()
    await expect(page.locator("#tab-all .count")).to_have_text("2")
    await screenshot(page, "conversation.png")

    # A lead asks for a person: handed off, the agents are told (title, toast, notification).
    await service.patient_writes(LIA, "Quero falar com um atendente", push_name="Lia")
    lia = row(page, "Lia")
    await expect(lia.locator(".pill")).to_have_text("Pending")
    await expect(page).to_have_title("(1) Inbox · Associação E2E")
    await expect(page.locator(".toast", has_text="Lia is waiting for an agent.")).to_be_visible()
    notifications = await page.evaluate("window.__notifications")
    assert [n["title"] for n in notifications] == ["Conversation waiting"]
    assert "Lia needs an agent." in notifications[0]["body"]

    # Keyboard: / searches, Enter goes to the list, Enter opens; the handoff note comes first.
    await composer.press("Escape")
    await page.keyboard.press("/")
    await expect(page.locator("#search")).to_be_focused()
    await page.keyboard.type("Lia")
    await expect(page.locator("#conversation-list .conv")).to_have_count(1)
    await page.keyboard.press("Enter")
    await expect(lia).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#conv-name")).to_have_text("Lia")
    await expect(page.locator("#handoff-reason")).to_have_text("Asked for a person")
    await expect(page.locator("#handoff-summary")).to_contain_text("atendente")
    await expect(messages.locator(".msg-system")).to_contain_text(BOT.transition_message)
    await page.fill("#search", "")
    await expect(page.locator("#conversation-list .conv")).to_have_count(3)
    await screenshot(page, "inbox.png")

    # Claiming it clears the badge.
    await page.click("#btn-claim")
    await expect(page).to_have_title("Inbox · Associação E2E")


async def test_the_inbox_speaks_the_associations_language(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    await sign_in(page, service)  # the association's locale: pt-BR
    await expect(page.locator("#tab-pending")).to_contain_text("Aguardando")
    await expect(page.locator("#search")).to_have_attribute(
        "placeholder", "Buscar nome, telefone ou mensagem"
    )
    await service.patient_writes(LIA, "Oi", push_name="Lia")
    await row(page, "Lia").click()
    await expect(page.locator("#btn-claim")).to_have_text("Assumir")
    await expect(page.locator("#message-list .msg-bot").first).to_contain_text("Olá")
    await expect(page.locator("#message-list .day").first).to_have_text("Hoje")

    # A member's orders: the assistant and the sidebar say status, date and total in pt-BR.
    await service.patient_writes(MARIA, "Cadê meu pedido?", push_name="Maria")
    await row(page, "Maria").click()
    await expect(page.locator("#message-list .msg-bot").last).to_contain_text(
        "Seu último pedido (o-1042, de 02/11/2026) foi enviado. "
        "Itens: Óleo CBD 3% 30ml x2. Total: R$ 559,80."
    )
    latest = page.locator("#sidebar .order").first
    await expect(latest).to_contain_text("o-1042")
    await expect(latest.locator(".order-status")).to_have_text("enviado")
    await expect(latest).to_contain_text("02/11/2026")
    await expect(latest).to_contain_text("R$ 559,80")
    await expect(page.locator("#sidebar .order").last.locator(".order-status")).to_have_text(
        "entregue"
    )

    await page.goto(f"{service.service_url}/dashboard/e2e/inbox?lang=en")
    await expect(page.locator("#tab-pending")).to_contain_text("Pending")


async def test_the_inbox_catches_up_after_the_stream_drops(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    streams: list[str] = []
    page.on("request", lambda sent: streams.append(sent.url) if "/events" in sent.url else None)
    await sign_in(page, service, "?lang=en")
    await service.patient_writes(MARIA, "Oi! Cadê meu pedido?", push_name="Maria")
    await expect(row(page, "Maria")).to_be_visible()

    await page.evaluate("window.stop()")  # the stream drops, as on a network blip
    await expect(page.locator("#banner-reconnecting")).to_be_visible()
    sneaky = '<img src=x onerror="window.__xss = 1">Lia'  # data is text, never markup
    await service.patient_writes(LIA, "Oi", push_name=sneaky)  # meanwhile
    await expect(page.locator("#banner-reconnecting")).to_be_hidden()
    await expect(row(page, "Lia").locator(".conv-name")).to_have_text(sneaky)
    assert await page.evaluate("window.__xss") is None
    assert len(streams) == 2 and "last_event_id=" in streams[1], streams


async def test_a_list_answer_older_than_an_event_does_not_take_its_state_back(
    page: Any, service: Service
) -> None:
    """The pending tab's list is read, the conversation is handed off, and only then does the
    list's answer arrive: the row stays, with the event's state ("Pending"), although the older
    answer has it with the bot and leaves it out."""
    from playwright.async_api import expect

    await sign_in(page, service, "?lang=en")
    await service.patient_writes(MARIA, "Oi! Cadê meu pedido?", push_name="Maria")
    await expect(row(page, "Maria").locator(".pill")).to_have_text("Bot")

    read, release, answered = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def hold_the_answer(route: Any) -> None:
        answer = await route.fetch()  # the server reads the list now: Maria is with the bot
        read.set()
        await release.wait()
        await route.fulfill(response=answer)
        answered.set()

    def is_a_list_read(url: str) -> bool:
        return "/conversations?" in url and not re.search(r"[?&]limit=1(&|$)", url)

    await page.route(is_a_list_read, hold_the_answer)
    await page.click("#tab-pending")
    await asyncio.wait_for(read.wait(), 10)
    await service.patient_writes(MARIA, "Quero falar com um atendente", push_name="Maria")
    await expect(row(page, "Maria").locator(".pill")).to_have_text("Pending")
    release.set()
    await asyncio.wait_for(answered.wait(), 10)
    await page.unroute(is_a_list_read)
    await asyncio.sleep(0.5)  # the page takes the answer in
    await expect(row(page, "Maria").locator(".pill")).to_have_text("Pending")


async def test_an_emergency_is_pinned_above_the_list_with_an_urgent_mark(
    page: Any, service: Service
) -> None:
    from playwright.async_api import expect

    await sign_in(page, service)  # pt-BR
    await service.patient_writes(JOAO, "Socorro, estou com dor no peito", push_name="João")
    await expect(row(page, "João").locator(".pill-urgent")).to_have_text("Urgente")
    await expect(page.locator("#toasts")).to_contain_text("Um contato relatou uma emergência")
    await service.patient_writes(LIA, "Oi", push_name="Lia")  # newer, still below
    await expect(row(page, "Lia")).to_be_visible()
    first = page.locator("#conversation-list .conv").first
    await expect(first).to_contain_text("João")
    await expect(row(page, "Lia").locator(".pill-urgent")).to_have_count(0)

    for width, height in ((1366, 850), (1024, 768), (390, 844)):
        await page.set_viewport_size({"width": width, "height": height})
        await page.reload()  # loaded, not only placed by events: pinned all the same
        await expect(first).to_contain_text("João")
        mark = first.locator(".pill-urgent")
        await expect(mark).to_be_visible()
        box = await mark.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, f"the mark fits {width}px"
