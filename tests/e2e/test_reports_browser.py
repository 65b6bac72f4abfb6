"""The reports on the monitoring page in a real browser (headless Chromium through Playwright), at
the three screens (tests/e2e/screens.py), over a history put in the store: the period's time zone
(São Paulo, the pt-BR association's), the per-agent table with names and figures in the locale's
format, the resolution and CSAT figures, the CSV of the per-agent table (BOM, ";" and the header
row in pt-BR, "," in English), the audit log's twelve reads by Ana shown as one line (the action
and the count) that opens to the twelve, with the contact's name as the target; the page fits
each screen (tables scroll inside their own box on a phone). Screenshots in docs/screenshots/:
reports-desktop.png, reports-laptop.png, reports-phone.png.

Like the other browser tests, these skip without Chromium, except under ``CI=true``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.harness import Service, running_service
from tests.e2e.screens import Login, assert_fits_window, screenshot, sign_in_as, sized_page

from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.message import Author, Direction, Message, MessageStatus, MessageType
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.domain.usecases.monitoring.audit import AuditRecord
from wa_crm.entrypoints.http.strings import STRINGS

pytestmark = pytest.mark.browser

ADA = Login("e2e", "ada@e2e.org", "admin-password")
PT, EN = STRINGS["pt-BR"], STRINGS["en"]


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    """Ada (admin), Ana, Bia and "=Zé Caldas" (agents) of e2e; Bia answered and resolved Maria's
    conversation two hours ago (90 s to answer, 30 min to resolve, rated 4); Ana listed the
    conversations twelve times."""
    async with running_service(sqlite_url, tmp_path / "media") as running:
        container = running.container
        (await container.create_agent()(NewAgent("e2e", ADA.email, "Ada", "admin", ADA.password)))
        bia = NewAgent("e2e", "bia@e2e.org", "Bia Souza", "agent", "agent-password")
        bia_id = (await container.create_agent()(bia)).unwrap().id
        formula = NewAgent("e2e", "ze@e2e.org", "=Zé Caldas", "agent", "agent-password")
        (await container.create_agent()(formula)).unwrap()  # a formula, and an accent
        await _history(running, bia_id)
        record = container.record_audit()
        association_id = running.association.id
        for _ in range(12):
            await record(
                AuditRecord(
                    association_id,
                    running.agent_id,
                    AuditAction.CONVERSATION_LISTED,
                    "association",
                    association_id,
                )
            )
        await record(
            AuditRecord(
                association_id,
                bia_id,
                AuditAction.CONVERSATION_VIEWED,
                "conversation",
                "conv-maria",
            )
        )
        yield running


async def _history(service: Service, bia_id: str) -> None:
    association_id = service.association.id
    handed_off = datetime.now(UTC) - timedelta(hours=2)
    contact = Contact(
        id="contact-maria",
        association_id=association_id,
        wa_chat_id="5511999998888@c.us",
        created_at=handed_off,
        phone="+5511999998888",
        display_name="Maria Lima",
    )
    conversation = Conversation(
        id="conv-maria",
        association_id=association_id,
        contact_id=contact.id,
        channel=Channel.WHATSAPP,
        session="default",
        status=ConversationStatus.RESOLVED,
        created_at=handed_off - timedelta(minutes=1),
        assignee_id=bia_id,
        resolved_at=handed_off + timedelta(minutes=30),
        rating=4,
        rated_at=handed_off + timedelta(minutes=31),
    )
    answer = Message(
        id="m-maria",
        association_id=association_id,
        conversation_id=conversation.id,
        external_id=None,
        direction=Direction.OUT,
        author=Author.AGENT,
        agent_id=bia_id,
        type=MessageType.TEXT,
        body="Olá, Maria!",
        status=MessageStatus.SENT,
        created_at=handed_off + timedelta(seconds=90),
    )
    async with service.container.uow_factory()() as uow:
        await uow.contacts.add(contact)
        await uow.conversations.add(conversation)
        await uow.messages.add(answer)
        await uow.handoffs.record(association_id, conversation.id, "keyword", handed_off)
        await uow.handoffs.mark_answered(conversation.id, answer.created_at)
        await uow.commit()


async def _csv(page: Any, slot: str) -> str:
    async with page.expect_download() as download_info:
        await page.click(f"#{slot}-csv button")
    download = await download_info.value
    data = await asyncio.to_thread(Path(await download.path()).read_bytes)
    return data.decode("utf-8")


async def test_reports_at_three_sizes_with_csv_and_grouped_audit(
    chromium: Any, service: Service
) -> None:
    from playwright.async_api import expect

    base = service.service_url
    monitoring = "/dashboard/e2e/monitoring"
    for screen in ("desktop", "laptop", "phone"):
        async with sized_page(chromium, screen) as page:
            await sign_in_as(page, base, monitoring, ADA)
            bia = page.locator("#agents tr", has_text="Bia Souza")
            await expect(bia).to_have_count(1)
            await expect(bia.locator("td")).to_have_text(
                ["1", "1 min 30 s", "30 min", "4 (1)", "1"]
            )
            await expect(page.locator("#agents tr", has_text="Ana")).to_have_count(1)
            await expect(page.locator("#period-zone")).to_have_text(
                PT["period_zone"].replace("{tz}", "America/Sao_Paulo")
            )
            await expect(page.locator("#fig-resolution")).to_have_text("30 min")
            await expect(page.locator("#fig-csat")).to_have_text("4")
            listed = PT["audit_group"].format(action=PT["audit_conversation_listed"], n=12)
            group = page.locator("#audit tr.audit-group", has_text=listed)
            await expect(group).to_have_count(1)
            await expect(page.locator("#audit tr", has_text="Maria Lima")).to_have_count(1)
            await assert_fits_window(page)
            if screen == "desktop":
                members = page.locator("#audit tr.audit-member")
                await expect(members.first).to_be_hidden()
                await group.locator("button.audit-toggle").click()
                await expect(members).to_have_count(12)
                await expect(members.nth(11)).to_be_visible()
                text = await _csv(page, "agents")
                assert text.startswith("\ufeff"), text[:20]
                header, *rows = text.removeprefix("\ufeff").split("\r\n")
                assert header.split(";")[:3] == [
                    PT["agent_col_name"],
                    PT["agent_col_handled"],
                    PT["csv_seconds"].replace("{column}", PT["agent_col_first_response"]),
                ]
                assert "Bia Souza;1;90;1.800;4;1;1" in rows, rows
                assert "'=Zé Caldas;0;;;;0;0" in rows, rows  # text, not a formula
                await page.goto(f"{base}{monitoring}?lang=en")
                await expect(page.locator("#agents tr", has_text="Bia Souza")).to_have_count(1)
                english = (await _csv(page, "agents")).removeprefix("\ufeff").split("\r\n")
                assert english[0].split(",")[:2] == [EN["agent_col_name"], EN["agent_col_handled"]]
                assert 'Bia Souza,1,90,"1,800",4,1,1' in english, english
                await page.goto(f"{base}{monitoring}")
                await expect(page.locator("#agents tr", has_text="Bia Souza")).to_have_count(1)
            await page.locator("#agents-title").scroll_into_view_if_needed()
            await screenshot(page, f"reports-{screen}.png")
