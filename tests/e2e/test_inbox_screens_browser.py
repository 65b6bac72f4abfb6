"""The inbox at every screen size (issue 18, Agents item 1), in headless Chromium against the
whole service: a desktop (1366x850) shows the list, the conversation and the contact; a laptop
(1024x768) the list and the conversation, the contact as a drawer opened from the header; a
phone (390x844) one pane at a time, list -> conversation -> contact and back, the browser's back
button included. At each size nothing reaches past the window, the composer is in view and the
messages take most of the height. Every admin page fits a laptop and a phone too, on a phone
with its sections behind the top bar's menu.

Screenshots: docs/screenshots/inbox-desktop.png, inbox-laptop.png, inbox-laptop-drawer.png,
inbox-phone.png, inbox-phone-conversation.png.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Route
from tests.e2e.harness import Service, running_service
from tests.e2e.screens import (
    Login,
    assert_fits_window,
    assert_in_view,
    screenshot,
    sign_in_as,
    sized_page,
)

from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.entrypoints.http import pages

pytestmark = pytest.mark.browser

ANA = Login("e2e", "ana@e2e.org", "agent-password")
ADA = Login("e2e", "ada@e2e.org", "admin-password")
MARIA = "5511999998888@c.us"
OTHERS = {"5511977776666@c.us": "Lia", "558188887777@c.us": "João"}
PATIENTS = (
    "id,full_name,phone,status,city,condition\n"
    "p-1,Maria Aparecida Silva,+55 11 99999-8888,active,São Paulo,fibromialgia\n"
)
ORDERS = (
    "patient_id,order_id,date,items,total,status\n"
    "p-1,o-1001,2026-09-12,Óleo CBD 3%,289.90,delivered\n"
)
WRITTEN = 24  # enough messages for the list of messages to scroll at every size
INBOX = "/dashboard/e2e/inbox"
INBOX_ROUTE = "/dashboard/{slug}/inbox"
# The part of the window the messages take, with the composer empty.
MESSAGES_SHARE = {"desktop": 0.55, "laptop": 0.55, "phone": 0.5}


async def _seeded(service: Service) -> str:
    """Maria, a member, asks for a person and then writes on and on; two leads write once.
    Returns Maria's conversation id."""
    (await service.container.import_patients()("e2e", PATIENTS)).unwrap()
    (await service.container.import_orders()("e2e", ORDERS)).unwrap()
    admin = NewAgent("e2e", ADA.email, "Ada", "admin", ADA.password)
    (await service.container.create_agent()(admin)).unwrap()
    await service.patient_writes(MARIA, "Quero falar com um atendente", push_name="Maria")
    await service.wait_for_texts(lambda texts: len(texts) >= 1, MARIA)
    for n in range(1, WRITTEN):
        await service.patient_writes(MARIA, f"Mensagem {n}: a entrega do óleo chegou?")
    for chat_id, name in OTHERS.items():
        await service.patient_writes(chat_id, "Quero falar com um atendente", push_name=name)
    return str((await service.conversation_of(MARIA)).id)


async def _messages_share(page: Any) -> float:
    box = await page.locator("#messages").bounding_box()
    assert box is not None
    return float(box["height"]) / page.viewport_size["height"]


async def _open_maria(page: Any) -> None:
    from playwright.async_api import expect

    await page.locator("#conversation-list .conv", has_text="Maria").click()
    await expect(page.locator("#message-list .msg-contact")).to_have_count(WRITTEN)
    await expect(page.locator("#sidebar")).to_contain_text("Maria Aparecida Silva")


async def _conversation_fits(page: Any, screen: str) -> None:
    await assert_fits_window(page)
    await assert_in_view(page, "#composer")
    await assert_in_view(page, "#composer-text")
    share = await _messages_share(page)
    assert share >= MESSAGES_SHARE[screen], f"the messages take {share:.0%} of the window"


async def _desktop(chromium: Any, service: Service) -> None:
    from playwright.async_api import expect

    async with sized_page(chromium, "desktop") as page:
        await sign_in_as(page, service.service_url, INBOX, ANA)
        await assert_fits_window(page)
        await _open_maria(page)
        await expect(page.locator(".list-pane")).to_be_visible()
        await expect(page.locator("#sidebar")).to_be_visible()
        await expect(page.locator("#btn-contact")).to_be_hidden()
        await expect(page.locator("#menu-toggle")).to_be_hidden()
        await _conversation_fits(page, "desktop")
        await screenshot(page, "inbox-desktop.png")


async def _laptop(chromium: Any, service: Service) -> None:
    from playwright.async_api import expect

    async with sized_page(chromium, "laptop") as page:
        await sign_in_as(page, service.service_url, INBOX, ANA)
        await assert_fits_window(page)
        await _open_maria(page)
        await expect(page.locator(".list-pane")).to_be_visible()
        await expect(page.locator("#sidebar")).to_be_hidden()
        await _conversation_fits(page, "laptop")
        await screenshot(page, "inbox-laptop.png")

        # The drawer opens from the header, takes the focus, fits, and gives it back on closing:
        # by Escape, by its close button, by a click beside it, by the browser's back button.
        toggle = page.locator("#btn-contact")
        for close in ("Escape", "button", "outside", "back"):
            await toggle.click()
            await expect(page.locator("#sidebar")).to_be_visible()
            await expect(toggle).to_have_attribute("aria-expanded", "true")
            await expect(page.locator("#contact-close")).to_be_focused()
            if close == "Escape":
                await assert_fits_window(page)
                await screenshot(page, "inbox-laptop-drawer.png")
                await page.keyboard.press("Escape")
            elif close == "button":
                await page.click("#contact-close")
            elif close == "outside":
                await page.mouse.click(150, 400)
            else:
                await page.go_back()
            await expect(page.locator("#sidebar")).to_be_hidden()
            await expect(toggle).to_be_focused()
            await expect(toggle).to_have_attribute("aria-expanded", "false")
            await expect(page).to_have_url(re.compile(r"\?c="))
            await expect(page.locator("#conv-view")).to_be_visible()


async def _phone(chromium: Any, service: Service, conversation_id: str) -> None:
    from playwright.async_api import expect

    async with sized_page(chromium, "phone") as page:
        await sign_in_as(page, service.service_url, INBOX, ANA)
        lists, conversation, contact = (
            page.locator(".list-pane"),
            page.locator("#conv-view"),
            page.locator("#sidebar"),
        )
        await expect(page.locator("#conversation-list .conv")).to_have_count(3)
        await assert_fits_window(page)
        await screenshot(page, "inbox-phone.png")

        # The top bar: the brand and a menu with the agent and sign out.
        await expect(page.locator("#logout")).to_be_hidden()
        await page.click("#menu-toggle")
        await expect(page.locator("#logout")).to_be_visible()
        await assert_fits_window(page)
        await page.keyboard.press("Escape")
        await expect(page.locator("#logout")).to_be_hidden()

        # list -> conversation -> contact, then back with the page's own controls
        await _open_maria(page)
        await expect(lists).to_be_hidden()
        await _conversation_fits(page, "phone")
        await screenshot(page, "inbox-phone-conversation.png")
        for button, menu in (("#btn-assign", "#assign-menu"), ("#btn-snooze", "#snooze-menu")):
            await page.click(button)  # the header's menus open as wide as the screen
            await expect(page.locator(menu)).to_be_visible()
            await assert_fits_window(page)
            await page.click(button)
            await expect(page.locator(menu)).to_be_hidden()
        await page.click("#btn-contact")
        await expect(contact).to_be_visible()
        await expect(conversation).to_be_hidden()
        await assert_fits_window(page)
        await page.click("#contact-back")
        await expect(conversation).to_be_visible()
        await expect(contact).to_be_hidden()
        await page.click("#conv-back")
        await expect(lists).to_be_visible()
        await expect(conversation).to_be_hidden()

        # the same with the browser's back button, and forward again
        await page.locator("#conversation-list .conv", has_text="Maria").click()
        await expect(conversation).to_be_visible()
        await expect(page).to_have_url(re.compile(rf"\?c={conversation_id}$"))
        await page.click("#btn-contact")
        await expect(contact).to_be_visible()
        await page.go_back()
        await expect(conversation).to_be_visible()
        await page.go_back()
        await expect(lists).to_be_visible()
        await expect(page).to_have_url(f"{service.service_url}{INBOX}")
        await page.go_forward()
        await expect(conversation).to_be_visible()
        await assert_in_view(page, "#composer")

        # A link to the conversation opens it, and back goes to the list, not away.
        await page.goto(f"{service.service_url}{INBOX}?c={conversation_id}")
        await expect(page.locator("#message-list .msg-contact")).to_have_count(WRITTEN)
        await expect(lists).to_be_hidden()
        await page.click("#conv-back")
        await expect(lists).to_be_visible()
        await expect(page).to_have_url(f"{service.service_url}{INBOX}")


def _admin_pages() -> list[str]:
    """Every dashboard page but the inbox, as routed (a new settings page is checked too)."""
    prefix = "/dashboard/{slug}/"
    return [
        route.path.removeprefix(prefix)
        for route in pages.routes
        if isinstance(route, Route) and route.path.startswith(prefix) and route.path != INBOX_ROUTE
    ]


async def _admin_pages_fit(chromium: Any, service: Service, screen: str) -> None:
    """On a laptop the navigation is in the top bar; on a phone behind the menu button."""
    from playwright.async_api import expect

    async with sized_page(chromium, screen) as page:
        await sign_in_as(page, service.service_url, "/dashboard/e2e/monitoring", ADA)
        for path in _admin_pages():
            await page.goto(f"{service.service_url}/dashboard/e2e/{path}")
            await expect(page.locator(".admin-main")).to_be_visible()
            await assert_fits_window(page)
            if screen != "phone":
                await expect(page.locator(".topnav")).to_be_visible()
                await expect(page.locator("#menu-toggle")).to_be_hidden()
                continue
            await expect(page.locator(".topnav")).to_be_hidden()
            await page.click("#menu-toggle")
            await expect(page.locator(".topnav")).to_be_visible()
            await expect(page.locator("#logout")).to_be_visible()
            await assert_fits_window(page)
            await page.mouse.click(200, 800)  # beside the menu: it closes
            await expect(page.locator(".topnav")).to_be_hidden()


async def test_the_inbox_at_every_screen_size(
    chromium: Any, sqlite_url: str, tmp_path: Path
) -> None:
    bot = BotSettings(debounce_seconds=0.1, typing_seconds=0)
    async with running_service(sqlite_url, tmp_path / "media", bot, quick_sends=True) as service:
        conversation_id = await _seeded(service)
        await _desktop(chromium, service)
        await _laptop(chromium, service)
        await _phone(chromium, service, conversation_id)
        await _admin_pages_fit(chromium, service, "laptop")
        await _admin_pages_fit(chromium, service, "phone")
