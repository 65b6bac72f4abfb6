"""An admin sets WhatsApp up and watches it, in a real browser (headless Chromium through
Playwright), against the whole service and the WAHA simulator over real HTTP.

- The wizard, from an association without WhatsApp settings to a linked number: the connection
  test (a wrong key, then the right one), save, start, the QR code the phone scans, then a test
  message the simulator receives.
- The monitoring page over some history: the chart, the figures, the session and its alerts, a
  dead letter that arrives live and is sent again; the audit log, by agent, page by page.
- Who may open the two pages (over plain HTTP, no browser).

Screenshots at 1366x768 go to docs/screenshots/ (wizard-qr.png, wizard-connected.png,
monitoring.png). The browser fixtures are the inbox tests'; like them, these skip without
Chromium, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from tests.e2e import test_inbox_browser as inbox_tests
from tests.e2e.harness import API_KEY, SECRET, SESSION, Service, running_unconfigured_service
from tests.e2e.test_inbox_browser import VIEWPORT, screenshot
from tests.e2e.test_pages import browser_session

from wa_crm.domain.model.association import BotSettings, WhatsAppSettings
from wa_crm.domain.model.audit import SYSTEM_ACTOR, AuditAction
from wa_crm.domain.model.message import Author, Direction, Message, MessageStatus, MessageType
from wa_crm.domain.model.statistics import Alert
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.domain.usecases.admin.whatsapp_settings import WhatsAppChanges
from wa_crm.domain.usecases.inbox.agent_actions import AgentRequest
from wa_crm.domain.usecases.monitoring.alerts import raise_alert
from wa_crm.domain.usecases.monitoring.audit import AuditRecord

BOT = BotSettings(debounce_seconds=0.2, typing_seconds=0)
ADMIN_EMAIL = "ada@e2e.org"
ADMIN_PASSWORD = "admin-password"
TEST_CHAT = "5511977776666@c.us"  # where the wizard's test message goes
MARIA = "5511999998888@c.us"
LIA = "5511988887777@c.us"
JOAO = "558188887777@c.us"

# The inbox tests' browser fixtures (Chromium, and a page that fails the test on a script error).
browser = inbox_tests.browser
page = inbox_tests.page


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    """Ada (admin) and Ana (agent) of e2e, whose WhatsApp is not set up; Bo of another one."""
    async with running_unconfigured_service(sqlite_url, tmp_path / "media", BOT) as running:
        container = running.container
        (
            await container.create_agent()(
                NewAgent("e2e", ADMIN_EMAIL, "Ada", "admin", ADMIN_PASSWORD)
            )
        ).unwrap()
        # Another session name: CreateAssociation refuses a second "default" on no server.
        other = NewAssociation("other", "Other", "en", WhatsAppSettings(session="other"))
        (await container.create_association()(other)).unwrap()
        (
            await container.create_agent()(
                NewAgent("other", "bo@other.org", "Bo", "admin", "other-password")
            )
        ).unwrap()
        yield running


async def sign_in(page: Any, service: Service, path: str) -> None:
    """Open an admin page, get sent to the login page, sign in as Ada, land on the page."""
    from playwright.async_api import expect

    target = f"{service.service_url}/dashboard/e2e/{path}?lang=en"
    await page.goto(target)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.fill("#email", ADMIN_EMAIL)
    await page.fill("#password", ADMIN_PASSWORD)
    await page.click("#login-submit")
    await expect(page).to_have_url(target)


async def eventually(check: Callable[[], Awaitable[bool]], what: str, within: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


# --- the wizard -------------------------------------------------------------------------------


@pytest.mark.browser
async def test_an_admin_links_whatsapp_with_the_wizard(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    await sign_in(page, service, "settings/whatsapp")
    current_step = page.locator('#stepper [aria-current="step"]')
    await expect(current_step).to_contain_text("Connection")
    await expect(page.locator("#session-pill")).to_have_text("Not configured")
    await expect(page.locator("#waha-key-state")).to_have_text("Not set yet.")
    await expect(page.locator("#btn-start")).to_be_disabled()
    await expect(page.locator(".topnav [aria-current]")).to_have_text("Settings")
    await expect(page.locator(".settings-nav [aria-current=page]")).to_have_text("WhatsApp")

    # The connection test uses what is typed, saved or not: a wrong key, then the right one.
    result = page.locator("#test-result")
    await page.fill("#waha-url", service.simulator_url)
    await page.fill("#waha-key", "not-the-key")
    await page.click("#btn-test")
    await expect(result).to_contain_text("unauthorized")
    await expect(result).to_have_class(re.compile("result-error"))
    await page.fill("#waha-key", API_KEY)
    await page.click("#btn-test")
    await expect(result).to_contain_text("Connection OK: WAHA accepts the key.")
    await expect(result).to_have_class(re.compile("result-ok"))

    # Save: the secrets are kept and never shown again.
    await expect(page.locator("#waha-session")).to_have_value(SESSION)
    await page.fill("#webhook-secret", SECRET)
    await page.keyboard.press("Enter")
    await expect(page.locator("#save-result")).to_have_text("Saved.")
    await expect(page.locator("#waha-key-state")).to_contain_text("Saved.")
    await expect(page.locator("#waha-key")).to_have_value("")
    await expect(page.locator("#webhook-url")).to_have_text(
        f"{service.service_url}/api/webhooks/whatsapp"
    )
    await expect(current_step).to_contain_text("Start session")
    async with service.container.uow_factory()() as uow:
        stored = await uow.associations.get(service.association.id)
    assert stored is not None
    assert (stored.whatsapp.base_url, stored.whatsapp.api_key) == (service.simulator_url, API_KEY)
    assert stored.whatsapp.webhook_secret == SECRET

    # Start, from the keyboard: WAHA shows a QR code, and the page follows it as it changes.
    await page.focus("#btn-start")
    await page.keyboard.press("Enter")
    qr = page.locator("#qr-image")
    await expect(qr).to_be_visible()
    await expect(page.locator("#panel-scan h3")).to_be_focused()
    await expect(current_step).to_contain_text("Scan the QR code")
    await expect(page.locator("#session-pill")).to_have_text("Waiting for the scan")
    first = await qr.get_attribute("src")
    assert first is not None and first.startswith("data:image/png;base64,")
    await page.wait_for_function("() => document.getElementById('qr-image').naturalWidth > 0")
    sim = f"{service.simulator_url}/_sim/{SESSION}"
    (await service.http.post(f"{sim}/status", json={"status": "SCAN_QR_CODE"})).raise_for_status()
    await expect(qr).not_to_have_attribute("src", first)
    await page.wait_for_function("() => document.getElementById('qr-image').naturalWidth > 0")
    await screenshot(page, "wizard-qr.png")

    # The phone scans it: the number shows, and a test message reaches WhatsApp.
    linked = {"phone": "+55 11 99000-1234", "push_name": "Associação E2E"}
    (await service.http.post(f"{sim}/scan", json=linked)).raise_for_status()
    await expect(page.locator("#connected-phone")).to_have_text("+55 11 99000-1234")
    await expect(page.locator("#connected-name")).to_have_text("Associação E2E")
    await expect(page.locator("#session-pill")).to_have_text("Connected")
    await expect(current_step).to_contain_text("Connected")
    await expect(qr).to_be_hidden()
    await page.fill("#test-phone", "+55 11 97777-6666")
    await page.fill("#test-text", "Teste do wa_crm: tudo certo!")
    await page.click("#btn-send-test")
    await expect(page.locator("#test-message-result")).to_contain_text("Test message sent to")
    await service.wait_for_texts(lambda texts: texts == ["Teste do wa_crm: tudo certo!"], TEST_CHAT)
    await screenshot(page, "wizard-connected.png")


# --- monitoring -------------------------------------------------------------------------------


@pytest.fixture
async def linked(service: Service) -> Service:
    """What the wizard does, without the browser: settings saved, session started, phone
    linked."""
    container = service.container
    changes = WhatsAppChanges(
        base_url=service.simulator_url, api_key=API_KEY, session=SESSION, webhook_secret=SECRET
    )
    association = (
        await container.update_whatsapp_settings()(service.association.id, changes)
    ).unwrap()
    (await container.session_control().start(association)).unwrap()
    # One status at a time: the service records them in the order they arrive.
    await settled(service)
    (
        await service.http.post(f"{service.simulator_url}/_sim/{SESSION}/scan", json={})
    ).raise_for_status()
    await settled(service)
    await eventually(lambda: _latest_status_is(service, "WORKING"), "WORKING through the webhook")
    return dataclasses.replace(service, association=association)


async def settled(service: Service) -> None:
    """The simulator has delivered its webhooks."""
    idle = await service.http.post(f"{service.simulator_url}/_sim/wait-idle", json={"timeout": 5})
    assert idle.json()["idle"]


async def _latest_status_is(service: Service, status: str) -> bool:
    monitoring = service.container.queries().monitoring
    history = await monitoring.session_history(service.association.id, 1)
    return bool(history) and history[0].status == status


async def session_drops_and_comes_back(service: Service) -> None:
    """FAILED for a moment (an alert), then WORKING again."""
    sim = f"{service.simulator_url}/_sim/{SESSION}"

    async def alerted() -> bool:
        monitoring = service.container.queries().monitoring
        return bool(await monitoring.recent_alerts(service.association.id, 1))

    (await service.http.post(f"{sim}/status", json={"status": "FAILED"})).raise_for_status()
    await eventually(alerted, "the session_down alert")
    (await service.http.post(f"{sim}/status", json={"status": "WORKING"})).raise_for_status()
    await settled(service)


async def conversations_today(service: Service) -> None:
    """Maria and João talk to the bot; Lia asks for a person and Ana answers her."""
    await service.patient_writes(MARIA, "Oi! Cadê meu pedido?", push_name="Maria")
    await service.patient_writes(JOAO, "Boa tarde, como faço para me associar?", push_name="João")
    await service.patient_writes(LIA, "Quero falar com um atendente", push_name="Lia")
    await service.wait_for_texts(lambda texts: len(texts) >= 1, JOAO)
    await service.wait_for_texts(lambda texts: BOT.transition_message in texts, LIA)
    lia = await service.conversation_of(LIA)
    request = AgentRequest(service.association.id, lia.id, service.agent_id)
    reply = "Olá, Lia! Aqui é a Ana. Como posso ajudar?"
    (await service.container.agent_actions().reply(request, reply)).unwrap()
    await service.wait_for_texts(lambda texts: reply in texts, LIA)


async def earlier_days(service: Service) -> None:
    """Four weeks of traffic in Maria's and João's conversations, and two earlier handoffs
    answered after 4 min 10 s and 6 min."""
    maria = await service.conversation_of(MARIA)
    joao = await service.conversation_of(JOAO)
    ids = service.container.ids()
    now = datetime.now(UTC).replace(hour=14, minute=0, second=0, microsecond=0)
    async with service.container.uow_factory()() as uow:
        for days_ago in range(1, 28):
            if days_ago % 7 == 3:
                continue  # a quiet Sunday
            inbound = 2 + (days_ago * 7) % 6
            for n in range(inbound + inbound // 2 + days_ago % 3):
                incoming = n < inbound
                conversation = maria if n % 2 else joao
                await uow.messages.add(
                    Message(
                        id=ids.new_id(),
                        association_id=service.association.id,
                        conversation_id=conversation.id,
                        direction=Direction.IN if incoming else Direction.OUT,
                        author=Author.CONTACT if incoming else Author.BOT,
                        type=MessageType.TEXT,
                        body="…",
                        status=MessageStatus.READ,
                        created_at=now - timedelta(days=days_ago, minutes=n),
                    )
                )
        for conversation, reason, days_ago, wait in (
            (maria, "ai_request", 6, 250),
            (joao, "outside_business_hours", 3, 360),
        ):
            at = now - timedelta(days=days_ago)
            await uow.handoffs.record(service.association.id, conversation.id, reason, at)
            await uow.handoffs.mark_answered(conversation.id, at + timedelta(seconds=wait))
        await uow.commit()


async def a_dead_letter(service: Service, text: str) -> None:
    """An agent's message to João that WhatsApp refused, as delivery would record it."""
    joao = await service.conversation_of(JOAO)
    container = service.container
    now = datetime.now(UTC)
    error = "rejected: the recipient's number is not on WhatsApp"
    message = Message(
        id=container.ids().new_id(),
        association_id=service.association.id,
        conversation_id=joao.id,
        direction=Direction.OUT,
        author=Author.AGENT,
        agent_id=service.agent_id,
        type=MessageType.TEXT,
        body=text,
        status=MessageStatus.FAILED,
        created_at=now,
        error=error,
    )
    async with container.uow_factory()() as uow:
        await uow.messages.add(message)
        alert = Alert("dead_letter", f"a message could not be delivered: {error}", now)
        details = {"message_id": message.id, "conversation_id": joao.id, "error": error}
        await raise_alert(uow, service.association.id, alert, details)
        await uow.commit()


@pytest.mark.browser
async def test_an_admin_watches_the_session_and_the_traffic(page: Any, linked: Service) -> None:
    from playwright.async_api import expect

    service = linked
    await session_drops_and_comes_back(service)
    await conversations_today(service)
    await earlier_days(service)

    await sign_in(page, service, "monitoring")
    await expect(page.locator("#session-pill")).to_have_text("Connected")
    await expect(page.locator("#session-circuit")).to_have_text("Normal")
    history = page.locator("#session-history li .timeline-status")
    await expect(history.first).to_have_text("Connected")
    await expect(history.filter(has_text="Failed")).to_have_count(1)
    await expect(page.locator("#alerts .alert-kind").first).to_have_text("WhatsApp disconnected")

    # The period: the last 30 days in São Paulo (a pt-BR association's zone), two bars each.
    await expect(page.locator("#chart svg .day")).to_have_count(30)
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    assert await page.locator("#period-to").input_value() == today.isoformat()
    await expect(page.locator("#fig-first-response")).to_have_text("4 min 10 s")
    await expect(page.locator("#fig-first-response-detail")).to_have_text("3 answered · 0 waiting")
    await expect(page.locator("#fig-humans")).to_have_text("1")
    await expect(page.locator("#fig-bot")).to_have_text("2")
    await expect(page.locator("#handoffs tr")).to_have_count(3)
    await expect(page.locator("#handoffs")).to_contain_text("Asked for a person")
    await expect(page.locator("#dead-letters-empty")).to_be_visible()

    # A message dies while the page is open: it shows up, with its alert.
    text = "Seu pedido saiu para entrega hoje."
    await a_dead_letter(service, text)
    row = page.locator("#dead-letters tr", has_text=text)
    await expect(row).to_be_visible()
    await expect(page.locator("#alerts .alert-kind").first).to_have_text("Message not delivered")
    await page.click("#period-apply")  # the figures count it too
    await expect(page.locator("#fig-failures")).to_have_text("1")
    await expect(page.locator("#figure-failures")).to_have_class(re.compile("figure-alert"))
    height = await page.evaluate("document.documentElement.scrollHeight")
    await page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    await screenshot(page, "monitoring.png")

    # Retry: it is sent, and leaves the list.
    await row.get_by_role("button", name=re.compile("Retry")).click()
    await service.wait_for_texts(lambda texts: text in texts, JOAO)
    await expect(row).to_have_count(0)
    await expect(page.locator("#dead-letters-empty")).to_be_visible()

    # Another period redraws the chart.
    week_ago = (today - timedelta(days=6)).isoformat()
    await page.fill("#period-from", week_ago)
    await page.click("#period-apply")
    await expect(page.locator("#chart svg .day")).to_have_count(7)


@pytest.mark.browser
async def test_an_admin_reads_the_audit_log_by_agent(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    record, association = service.container.record_audit(), service.association.id
    for n in range(55):
        viewed = AuditAction.CONVERSATION_VIEWED
        await record(AuditRecord(association, service.agent_id, viewed, "conversation", f"c-{n}"))
    purged = AuditAction.MESSAGES_PURGED
    target = ("association", association)
    await record(AuditRecord(association, SYSTEM_ACTOR, purged, *target, {"messages": 12}))

    await sign_in(page, service, "monitoring")
    rows = page.locator("#audit tr")
    purge = rows.filter(has_text="Purged old messages")
    await expect(purge).to_contain_text("wa_crm (automatic)")
    await expect(purge).to_contain_text("Messages: 12")
    await expect(rows.filter(has_text="Opened a conversation").first).to_contain_text("Ana")

    await expect(page.locator("#audit-actor option", has_text="Ana")).to_have_count(1)
    await page.select_option("#audit-actor", label="Ana")
    # Her reads within ten minutes are one line, opened to show each; the next page joins it.
    group, members = page.locator("#audit tr.audit-group"), page.locator("#audit tr.audit-member")
    await expect(group).to_have_count(1)
    await expect(group).to_contain_text("Opened a conversation \u00d750")
    await expect(members).to_have_count(50)
    await expect(rows.filter(has_not_text="Ana")).to_have_count(0)
    await group.get_by_role("button").click()
    newest = members.first.get_by_role("link")
    await expect(newest).to_have_attribute("href", "/dashboard/e2e/inbox?c=c-54")
    await page.click("#audit-more")
    await expect(group).to_contain_text("Opened a conversation \u00d755")
    await expect(members).to_have_count(55)
    await expect(members.last).to_be_visible()  # still open
    await expect(page.locator("#audit-more")).to_be_hidden()


# --- who may open the pages -------------------------------------------------------------------

ADMIN_PAGES = ("/dashboard/e2e/settings/whatsapp", "/dashboard/e2e/monitoring")


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_strangers_are_sent_to_the_login_page(service: Service, path: str) -> None:
    async with httpx.AsyncClient(base_url=service.service_url) as client:
        response = await client.get(f"{path}?lang=en")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Fdashboard%2Fe2e%2F")


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_the_pages_are_for_admins_of_the_association(service: Service, path: str) -> None:
    async with browser_session(service, "e2e", "ana@e2e.org", "agent-password") as ana:
        refused = await ana.get(f"{path}?lang=en")
        assert refused.status_code == 403
        assert "Admins only" in refused.text and "text/html" in refused.headers["content-type"]
        inbox = await ana.get("/dashboard/e2e/inbox")
        assert 'class="topnav"' not in inbox.text, "no admin links for agents"
    async with browser_session(service, "other", "bo@other.org", "other-password") as bo:
        assert (await bo.get(path)).status_code == 404
    async with browser_session(service, "e2e", ADMIN_EMAIL, ADMIN_PASSWORD) as ada:
        page = await ada.get(path)
        assert page.status_code == 200
        assert '<meta name="csrf-token"' in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
            assert (await ada.get(asset)).status_code == 200, asset
        inbox = await ada.get("/dashboard/e2e/inbox")
        section = "/dashboard/e2e/settings" if "/settings/" in path else path
        assert f'href="{section}"' in inbox.text, "the inbox links to the admin pages"
