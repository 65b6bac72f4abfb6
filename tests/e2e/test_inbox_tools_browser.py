"""The inbox's productivity tools in a real browser (headless Chromium through Playwright), against
the whole service and the WAHA simulator over real HTTP: canned replies from the composer's `/`,
private notes, labels and the label filter, snooze and the Snoozed filter, the Mine and
Unassigned tabs with the assignee menu, and the satisfaction rating.

The browser fixtures are the inbox tests'; like them, these skip without Chromium, except under
``CI=true``, where they fail. A screenshot of labels, a note and the canned replies' menu goes to
docs/screenshots/inbox-tools.png.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.e2e import test_inbox_browser as inbox_tests
from tests.e2e.harness import Service, running_service
from tests.e2e.test_inbox_browser import SCREENSHOTS, row

from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.model.canned_reply import CannedReplyDraft
from wa_crm.domain.model.satisfaction import SatisfactionSurvey
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.domain.usecases.inbox.agent_actions import AgentRequest

pytestmark = pytest.mark.browser

browser = inbox_tests.browser
page = inbox_tests.page

SURVEY = SatisfactionSurvey(enabled=True)
BOT = BotSettings(debounce_seconds=0.2, typing_seconds=0, satisfaction_survey=SURVEY)
MARIA = "5511999998888@c.us"  # a member
JOAO = "558188887777@c.us"  # a member the bot is talking to
LIA = "5511988887777@c.us"  # a lead who asks for a person
PATIENTS = (
    "id,full_name,phone,status\n"
    "p-1,Maria Aparecida Silva,+55 11 99999-8888,active\n"
    "p-2,João Batista Souza,+55 81 8888-7777,active\n"
)
CANNED = (
    CannedReplyDraft(
        "endereco", "{first_name}, pode confirmar o seu endereço completo, com CEP?", "Endereço"
    ),
    CannedReplyDraft(
        "entrega",
        "Olá {first_name}! Aqui é a {agent_name}: seu pedido sai em até 2 dias úteis.",
        "Prazo de entrega",
    ),
    CannedReplyDraft(
        "obrigado", "Obrigada pelo contato, {first_name}! Qualquer dúvida, é só chamar."
    ),
)
NOTE = "Pediu para mudar o endereço: confirmar com a logística antes de responder."


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    """Ana (signed in) and Bia, agents; three canned replies; the satisfaction survey is on."""
    async with running_service(sqlite_url, tmp_path / "media", BOT) as running:
        container = running.container
        (await container.import_patients()("e2e", PATIENTS)).unwrap()
        bia = NewAgent("e2e", "bia@e2e.org", "Bia", "agent", "bia-password")
        (await container.create_agent()(bia)).unwrap()
        for draft in CANNED:
            (await container.canned_replies().create(running.association.id, draft)).unwrap()
        yield running


async def sign_in(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    inbox = f"{service.service_url}/dashboard/e2e/inbox?lang=en"
    await page.goto(inbox)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.fill("#email", "ana@e2e.org")
    await page.fill("#password", "agent-password")
    await page.click("#login-submit")
    await expect(page).to_have_url(inbox)


async def talking_to_the_bot(service: Service, chat_id: str, text: str, name: str) -> None:
    """A contact writes and the bot has answered."""
    await service.patient_writes(chat_id, text, push_name=name)
    await service.wait_for_texts(lambda texts: len(texts) >= 1, chat_id)


async def bia_id(service: Service) -> str:
    async with service.container.uow_factory()() as uow:
        bia = await uow.agents.get_by_email(service.association.id, "bia@e2e.org")
    assert bia is not None
    return bia.id


def rows(page: Any) -> Any:
    return page.locator("#conversation-list .conv")


async def test_canned_replies_notes_and_labels(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    await sign_in(page, service)
    await talking_to_the_bot(service, MARIA, "Oi! Quando chega o meu pedido?", "Maria")
    await talking_to_the_bot(service, JOAO, "Boa tarde!", "João")
    await expect(rows(page)).to_have_count(2)
    await row(page, "Maria").click()
    await expect(page.locator("#message-list .msg-contact")).to_have_count(1)

    # `/` opens the canned replies; the arrows move, Escape closes and leaves the text alone.
    composer = page.locator("#composer-text")
    menu = page.locator("#canned-menu")
    await composer.click()
    await composer.type("/")
    await expect(menu.locator(".canned-shortcut")).to_have_text(
        ["/endereco", "/entrega", "/obrigado"]
    )
    items = menu.locator(".canned-item")
    await expect(items.first).to_have_attribute("aria-selected", "true")
    await composer.press("ArrowDown")
    await expect(items.nth(1)).to_have_attribute("aria-selected", "true")
    await composer.press("ArrowUp")
    await composer.press("ArrowUp")
    await expect(items.nth(2)).to_have_attribute("aria-selected", "true")
    await composer.press("Escape")
    await expect(menu).to_be_hidden()
    await expect(composer).to_be_focused()
    await expect(composer).to_have_value("/")

    # Typing filters; Enter puts the reply in, placeholders filled; Enter again sends it.
    await composer.type("ent")
    await expect(menu.locator(".canned-shortcut")).to_have_text(["/entrega"])
    await expect(menu.locator(".canned-title")).to_have_text(["Prazo de entrega"])
    await composer.press("Enter")
    filled = "Olá Maria! Aqui é a Ana: seu pedido sai em até 2 dias úteis."
    await expect(composer).to_have_value(filled)
    await expect(menu).to_be_hidden()
    await composer.press("Enter")
    await service.wait_for_texts(lambda texts: filled in texts, MARIA)
    messages = page.locator("#message-list")
    await expect(messages.locator(".msg-agent .msg-body")).to_have_text([filled])
    await expect(composer).to_have_value("")

    # A private note: written in the composer's Note mode, shown apart from the messages.
    await page.click("#mode-note")
    await expect(page.locator("#composer")).to_have_class(re.compile(r"\bnote-mode\b"))
    await expect(page.locator("#send")).to_have_text("Add note")
    await expect(page.locator("#attach")).to_be_disabled()
    await composer.type(NOTE)
    await composer.press("Enter")
    note = messages.locator(".note")
    await expect(note.locator(".note-body")).to_have_text(NOTE)
    await expect(note.locator(".note-head")).to_contain_text("Private note — only agents see this")
    await expect(note.locator(".note-author")).to_have_text("You")
    await expect(messages.locator(".msg", has_text=NOTE)).to_have_count(0)
    await expect(composer).to_have_value("")

    # Back to replies: the reply reaches WhatsApp, the note never did.
    await page.click("#mode-reply")
    await expect(page.locator("#send")).to_have_text("Send")
    await composer.type("Já verifico e te respondo.")
    await composer.press("Enter")
    await service.wait_for_texts(lambda texts: "Já verifico e te respondo." in texts, MARIA)
    sent = await service.sent()
    assert sent and not [s for s in sent if NOTE in str(s)], sent

    # Another agent's note shows at once, through the stream; all notes come back on reload.
    bia = await bia_id(service)
    conversation = await service.conversation_of(MARIA)
    added = await service.container.notes().add(
        service.association.id, conversation.id, bia, "Liguei para ela, sem resposta."
    )
    added.unwrap()
    await expect(note.locator(".note-author")).to_have_text(["You", "Bia"])
    await page.reload()
    await expect(messages.locator(".note .note-body")).to_have_text(
        [NOTE, "Liguei para ela, sem resposta."]
    )
    await expect(messages.locator(".msg-agent")).to_have_count(2)

    # Labels: added in the header, lowercased, shown on the row too.
    await page.click("#label-add")
    await page.fill("#label-input", "Entrega")
    await page.press("#label-input", "Enter")
    header_labels = page.locator("#conv-label-list .chip-text")
    await expect(header_labels).to_have_text(["entrega"])
    await page.click("#label-add")
    await page.fill("#label-input", "urgente")
    await page.press("#label-input", "Enter")
    await expect(header_labels).to_have_text(["entrega", "urgente"])
    await expect(row(page, "Maria").locator(".chip")).to_have_text(["entrega", "urgente"])
    await expect(row(page, "João").locator(".chip")).to_have_count(0)

    # A label's chip filters the list; clearing the filter shows everything again.
    await header_labels.first.click()
    await expect(page.locator("#active-filters")).to_be_visible()
    await expect(page.locator("#active-filters .filter-chip-text")).to_have_text(["Label: entrega"])
    await expect(rows(page)).to_have_count(1)
    await expect(row(page, "Maria")).to_be_visible()
    await page.click("#filters-clear")
    await expect(page.locator("#active-filters")).to_be_hidden()
    await expect(rows(page)).to_have_count(2)

    # Removing a label.
    await page.click("#conv-label-list .chip-remove >> nth=1")
    await expect(header_labels).to_have_text(["entrega"])
    await expect(row(page, "Maria").locator(".chip")).to_have_text(["entrega"])
    await page.click("#label-add")
    await page.fill("#label-input", "urgente")
    await page.press("#label-input", "Enter")
    await expect(header_labels).to_have_text(["entrega", "urgente"])

    # For docs/: labels, the note and the canned replies' menu.
    await composer.click()
    await composer.type("/")
    await expect(menu.locator(".canned-item")).to_have_count(3)
    await page.evaluate("() => document.getElementById('toasts').replaceChildren()")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "inbox-tools.png"))


async def test_snooze_hides_a_conversation_until_it_comes_back(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    await sign_in(page, service)
    await talking_to_the_bot(service, MARIA, "Oi! Quando chega o meu pedido?", "Maria")
    await talking_to_the_bot(service, JOAO, "Boa tarde!", "João")
    await expect(rows(page)).to_have_count(2)
    await row(page, "Maria").click()

    # Snoozed for an hour: out of the default list, still open, in the Snoozed filter.
    await page.click("#btn-snooze")
    await expect(page.locator("#snooze-menu [data-when='hour']")).not_to_be_empty()
    await page.click("#snooze-menu [data-snooze='hour']")
    await expect(page.locator(".toast", has_text="Snoozed until")).to_be_visible()
    await expect(row(page, "Maria")).to_have_count(0)
    await expect(row(page, "João")).to_be_visible()
    await expect(page.locator("#conv-snoozed")).to_contain_text("Snoozed until")
    await page.click("#filter-snoozed")
    await expect(page.locator("#filter-snoozed")).to_have_attribute("aria-pressed", "true")
    await expect(rows(page)).to_have_count(1)
    await expect(row(page, "Maria").locator(".snoozed-mark")).to_be_visible()

    # Brought back by hand: it leaves the Snoozed filter and is in the default list again.
    await page.click("#btn-snooze")
    await page.click("#btn-unsnooze")
    await expect(rows(page)).to_have_count(0)
    await expect(page.locator("#conv-snoozed")).to_be_hidden()
    await page.click("#filter-snoozed")
    await expect(rows(page)).to_have_count(2)

    # A date and time of one's own.
    later = datetime.now(ZoneInfo("America/Sao_Paulo")) + timedelta(days=2)
    await page.click("#btn-snooze")
    await page.fill("#snooze-at", later.strftime("%Y-%m-%dT%H:%M"))
    await page.click("#snooze-custom button[type='submit']")
    await expect(row(page, "Maria")).to_have_count(0)
    conversation = await service.conversation_of(MARIA)
    assert conversation.snoozed_until is not None
    assert abs(conversation.snoozed_until - later) < timedelta(minutes=1)

    # When the snooze ends, the agents are told and the conversation is back in the list.
    soon = service.container.clock().now() + timedelta(seconds=1)
    request = AgentRequest(service.association.id, conversation.id, service.agent_id)
    (await service.container.agent_actions().snooze(request, soon)).unwrap()
    await expect(page.locator(".toast", has_text="Maria is back from snooze")).to_be_visible()
    await expect(row(page, "Maria")).to_be_visible()
    await expect(rows(page)).to_have_count(2)


async def test_mine_unassigned_assignment_and_rating(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    await sign_in(page, service)
    await service.patient_writes(JOAO, "Quero falar com um atendente, por favor", push_name="João")
    await service.patient_writes(LIA, "Quero falar com um atendente", push_name="Lia")
    await expect(row(page, "João").locator(".pill")).to_have_text("Pending")
    await expect(row(page, "Lia").locator(".pill")).to_have_text("Pending")

    # Unassigned: waiting or with the team, nobody's (both); Mine: nothing yet.
    await page.click("#tab-unassigned")
    await expect(rows(page)).to_have_count(2)
    await page.click("#tab-mine")
    await expect(rows(page)).to_have_count(0)
    await expect(page.locator("#list-empty")).to_be_visible()

    # The assignee menu lists the agents, who is online first among them: Ana's inbox is open.
    await page.click("#tab-unassigned")
    await row(page, "Lia").click()
    assign = page.locator("#btn-assign")
    await expect(assign).to_have_text("Assign")
    await assign.click()
    agents = page.locator("#assign-menu .menu-item")
    await expect(agents).to_have_count(2)
    await expect(agents.first).to_contain_text("Ana (you)")
    await expect(agents.first).to_contain_text("Online")
    await expect(agents.first.locator(".dot-ok")).to_have_count(1)
    await expect(agents.nth(1)).to_contain_text("Bia")
    await expect(agents.nth(1)).to_contain_text("Offline")
    await expect(agents.nth(1).locator(".dot-ok")).to_have_count(0)
    await agents.first.click()
    await expect(page.locator(".toast", has_text="Assigned to Ana (you).")).to_be_visible()
    await expect(assign).to_have_text("Ana")
    await expect(row(page, "Lia")).to_have_count(0)  # no longer unassigned
    await expect(rows(page)).to_have_count(1)
    await expect(page.locator("#tab-mine .count")).to_have_text("1")
    await page.click("#tab-mine")
    await expect(rows(page)).to_have_count(1)

    # Handed to Bia: it leaves Mine.
    await assign.click()
    await expect(agents.first).to_have_attribute("aria-checked", "true")
    await agents.nth(1).click()
    await expect(page.locator(".toast", has_text="Assigned to Bia.")).to_be_visible()
    await expect(assign).to_have_text("Bia")
    await expect(rows(page)).to_have_count(0)
    await expect(page.locator("#conv-state")).to_have_text(
        "Another agent is handling this conversation."
    )

    # Resolved, the contact rates it over WhatsApp: the rating shows on the conversation.
    await page.click("#tab-all")
    await page.click("#btn-resolve")
    await expect(page.locator("#conv-status")).to_have_text("Resolved")
    await expect(page.locator("#btn-assign")).to_be_hidden()
    await expect(page.locator("#btn-snooze")).to_be_hidden()
    await service.wait_for_texts(lambda texts: SURVEY.question in texts, LIA)
    await service.patient_writes(LIA, "4")
    rating = page.locator("#conv-rating")
    await expect(rating).to_be_visible()
    await expect(rating).to_have_text("★★★★☆ 4/5")
    await expect(rating).to_have_attribute("aria-label", "Satisfaction: 4 of 5")
    await expect(row(page, "Lia").locator(".rating")).to_have_text("★ 4/5")
