"""pt-BR throughout (English when chosen): an admin walks every page in headless Chromium, in
pt-BR and with ``?lang=en``, and every visible text, placeholder, title, ``aria-label`` and
``alt`` must be a translation of that locale (``{placeholders}`` stand for anything), data of
the fixture (names, messages, settings, ids), or what ``Intl`` writes for dates, numbers, sizes
and money in that locale. Anything else is a string that skipped the translation files, or one
in the other language, and fails the test with the page it was on.

The service holds a member with orders, leads, conversations in every status, one handed over
with a note whose fields have the keys a model gives (``order_id``, ``reason``), an urgent one,
an image, an alert and audit entries. New pages join ``PAGES`` (one line each).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.harness import Service, running_service
from tests.e2e.screens import SCREENS, Login, sign_in_as, sized_page
from tests.e2e.test_inbox_browser import BOT, ORDERS, PATIENTS, png

from wa_crm.domain.model.conversation import HandoffReason
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.domain.usecases.bot.handoff import hand_off
from wa_crm.entrypoints.http.strings import STRINGS
from wa_crm.testing import SimulatorConfig

pytestmark = pytest.mark.browser

PAGES = (
    "inbox",
    "monitoring",
    "settings/whatsapp",
    "settings/bot",
    "settings/assignment",
    "settings/privacy",
    "settings/labels",
    "settings/canned-replies",
    "knowledge",
    "team",
)
"""Every dashboard page an admin opens, under /dashboard/{slug}/."""

ADMIN = Login("e2e", "ada@e2e.org", "admin-password")
AGENT = Login("e2e", "ana@e2e.org", "agent-password")
MARIA = "5511999998888@c.us"  # a member with orders, who sends an image and is answered
JOAO = "558188887777@c.us"  # a member with an emergency
LIA = "5511988887777@c.us"  # a lead who asks for a person
PEDRO = "5511977776666@c.us"  # a lead the assistant hands over with a note
RITA = "5511966665555@c.us"  # a lead whose conversation is resolved
BIA = "5511955554444@c.us"  # a lead still talking to the assistant
NOTE_FIELDS = {"order_id": "o-1042", "reason": "entrega atrasada", "name": "Pedro Alves"}
SAID = {
    MARIA: ("Maria", "Bom dia, chegou a receita?"),
    JOAO: ("João", "Socorro, estou com falta de ar"),
    LIA: ("Lia", "atendente"),
    PEDRO: ("Pedro", "Olá, meu pedido atrasou"),
    RITA: ("Rita", "atendente"),
    BIA: ("Bia", "Olá"),
}
ANSWER = "Chegou sim, Maria. Segue em anexo."

# Each language's own name on the login page, written in that language in both locales.
LANGUAGE_NAMES = {"English", "Português", "Brasil"}

_COLLECT = """() => {
  const seen = [];
  const shown = (el) => el && !el.closest('[hidden], template, script, style')
    && el.checkVisibility({ visibilityProperty: true });
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.replace(/\\s+/g, ' ').trim();
    if (text && shown(walker.currentNode.parentElement)) seen.push(text);
  }
  for (const el of document.body.querySelectorAll('[placeholder], [title], [aria-label], [alt]')) {
    if (!shown(el) && !el.matches('.visually-hidden')) continue;
    for (const name of ['placeholder', 'title', 'aria-label', 'alt']) {
      const value = (el.getAttribute(name) || '').replace(/\\s+/g, ' ').trim();
      if (value) seen.push(value);
    }
  }
  seen.push(document.title);
  return seen;
}"""

# The words Intl writes for the locale: months, weekdays, units, the currency, "today"...
_INTL_WORDS = """(locale) => {
  const words = new Set(['B']);
  const add = (text) => text.split(/[^\\p{L}$]+/u).forEach((w) => w && words.add(w));
  const styles = [{ month: 'long' }, { month: 'short' }, { weekday: 'long' }, { weekday: 'short' },
    { dateStyle: 'full', timeStyle: 'short' }, { dateStyle: 'medium', timeStyle: 'short' },
    { dateStyle: 'long' }, { day: '2-digit', month: 'short' },
    { hour: '2-digit', minute: '2-digit' },
    { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }];
  for (let day = 0; day < 365; day += 3) {
    const date = new Date(2026, 0, 1 + day, 14, 5);
    for (const style of styles) add(new Intl.DateTimeFormat(locale, style).format(date));
  }
  for (const unit of ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'day', 'hour', 'minute',
    'second', 'week', 'month']) {
    for (const unitDisplay of ['short', 'long', 'narrow']) {
      for (const n of [1, 2, 1.5]) {
        add(new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay }).format(n));
      }
    }
  }
  add(new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL' }).format(1));
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const unit of ['second', 'minute', 'hour', 'day', 'week', 'month', 'year']) {
    for (const n of [-2, -1, 0, 1, 2]) add(relative.format(n, unit));
  }
  return [...words];
}"""


def _strings_in(value: Any) -> Iterable[str]:
    """Every text inside settings and other data: dataclasses, mappings and sequences."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _strings_in(getattr(value, field.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings_in(item)


def _fragments(texts: Iterable[str]) -> set[str]:
    """The fixed parts of texts with ``{placeholders}`` (translations, and data such as a
    greeting with ``{first_name}``): what a page shows around the values put in."""
    return {
        fragment.strip()
        for text in texts
        for fragment in re.split(r"\{\w+\}", text)
        if re.search(r"[^\W\d_]", fragment)
    }


def _bounded(fragment: str) -> str:
    """A pattern for the fragment as a whole: not the middle of a word."""
    start = r"(?<!\w)" if re.match(r"\w", fragment) else ""
    end = r"(?!\w)" if re.search(r"\w$", fragment) else ""
    return f"{start}{re.escape(fragment)}{end}"


class Judge:
    """Tells the strings a page may show in a locale from those it may not."""

    def __init__(
        self, locale: str, data: set[str], said: set[str], intl_words: Iterable[str]
    ) -> None:
        """``data``: texts of the fixture shown whole; ``said``: what the contacts and agents
        wrote, also shown in pieces (previews, quotes), so its words are data too."""
        self._data = [d for d in data | said if d.strip()]
        known = sorted(_fragments([*STRINGS[locale].values(), *self._data]), key=len, reverse=True)
        self._known = re.compile("|".join(_bounded(k) for k in known))
        said_words = {word for text in said for word in re.findall(r"[^\W\d_]+", text)}
        self._words = set(intl_words) | LANGUAGE_NAMES | said_words

    def strays(self, text: str) -> list[str]:
        """The words of ``text`` that neither a translation, the data nor Intl explain."""
        shortened = text.removesuffix("…").strip()
        if len(shortened) > 8 and any(shortened in d for d in self._data):
            return []  # a preview: the start of a message or a setting
        rest = self._known.sub(" ", re.sub(r"\{\w+\}", " ", text))
        rest = re.sub(r"(?<!\w)[0-9a-f-]*[0-9][0-9a-f-]*(?!\w)", " ", rest)  # ids, shortened
        return [
            token
            for token in re.findall(r"[^\W\d_]+\$?", rest)
            if token not in self._words
            and not re.fullmatch(r"[A-ZÀ-Ý]{1,2}", token)  # a name's initials
        ]


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(sqlite_url, tmp_path / "media", BOT, quick_sends=True) as running:
        container = running.container
        new = NewAgent("e2e", ADMIN.email, "Ada", "admin", ADMIN.password)
        (await container.create_agent()(new)).unwrap()
        (await container.import_patients()("e2e", PATIENTS)).unwrap()
        (await container.import_orders()("e2e", ORDERS)).unwrap()
        yield running


async def _conversations(service: Service, token: str) -> list[dict[str, Any]]:
    answer = await service.http.get(
        f"{service.service_url}/api/associations/e2e/conversations",
        params={"limit": 100, "snoozed": "any"},
        headers={"Authorization": f"Bearer {token}"},
    )
    answer.raise_for_status()
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def _call(service: Service, token: str, method: str, path: str, body: Any = None) -> Any:
    answer = await service.http.request(
        method,
        f"{service.service_url}/api/associations/e2e{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    answer.raise_for_status()
    return answer.json()


async def _until(check: Any, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 15
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _seed(service: Service) -> set[str]:
    """Conversations in every status; returns the texts they hold (data the pages show)."""
    container, association = service.container, service.association
    token = (await container.issue_api_token()("e2e", AGENT.email)).unwrap()
    for chat_id, (name, text) in SAID.items():
        await service.patient_writes(chat_id, text, push_name=name)
    image = {"mimetype": "image/png", "data": base64.b64encode(png()).decode()}
    answer = await service.http.post(
        f"{service.simulator_url}/_sim/default/inbound",
        json={"from": MARIA, "media": image, "push_name": "Maria", "text": "receita.png"},
    )
    answer.raise_for_status()
    await service.patient_writes(MARIA, "atendente", push_name="Maria")

    async def settled() -> bool:
        by_status = {c["status"] for c in await _conversations(service, token)}
        return {"pending", "bot"} <= by_status and len(await _conversations(service, token)) >= 6

    await _until(settled, "the six conversations")
    await asyncio.sleep(0.5)  # the assistant's debounced turns
    pedro = await service.conversation_of(PEDRO)
    async with container.uow_factory()() as uow:
        current = await uow.conversations.get(association.id, pedro.id)
        assert current is not None
        if current.status.value == "bot":
            note = "Quer saber do pedido o-1042, que atrasou."
            (
                await hand_off(
                    uow,
                    container.ids(),
                    association,
                    current,
                    HandoffReason.AI_REQUEST,
                    note,
                    NOTE_FIELDS,
                    datetime.now(UTC),
                )
            ).unwrap()
            await uow.conversations.update(current)
            await uow.commit()
    maria, rita = await service.conversation_of(MARIA), await service.conversation_of(RITA)
    for conversation in (maria, rita):
        await _call(service, token, "POST", f"/conversations/{conversation.id}/claim")
    await _call(service, token, "POST", f"/conversations/{maria.id}/messages", {"text": ANSWER})
    await _call(service, token, "POST", f"/conversations/{rita.id}/resolve")

    texts: set[str] = {ANSWER}
    for conversation in await _conversations(service, token):
        page = await _call(service, token, "GET", f"/conversations/{conversation['id']}/messages")
        texts |= set(_strings_in([m.get("body") for m in page["items"]]))
        note = conversation.get("handoff_note") or {}
        texts |= set(_strings_in([note.get("summary"), list((note.get("fields") or {}).values())]))
    return texts


async def _walk(page: Any, base: str, lang: str, judge: Judge) -> list[tuple[str, str]]:
    """Every page, the inbox's tabs and conversations; (where, text) of what is not allowed."""
    from playwright.async_api import expect

    found: list[tuple[str, str]] = []

    async def collect(where: str) -> None:
        for text in await page.evaluate(_COLLECT):
            if judge.strays(text):
                found.append((where, text))

    query = "?lang=en" if lang == "en" else ""
    for path in PAGES:
        await page.goto(f"{base}/dashboard/e2e/{path}{query}")
        await expect(page.locator("#logout")).to_be_visible()
        await page.wait_for_load_state("networkidle")
        await collect(path)
        if path != "inbox":
            continue
        for tab in await page.locator(".tabs .tab").all():
            await tab.click()
            await page.wait_for_load_state("networkidle")
            await collect(f"inbox tab {await tab.get_attribute('data-tab')}")
        await page.locator("#tab-all").click()
        await page.locator("#filters-toggle").click()
        await expect(page.locator("#filters-panel")).to_be_visible()
        await collect("inbox, filters")
        await page.locator("#filters-close").click()
        for name in ("Maria", "Pedro", "João", "Rita"):
            await page.locator("#conversation-list li", has_text=name).first.click()
            await expect(page.locator("#conv-view")).to_be_visible()
            await page.wait_for_load_state("networkidle")
            await collect(f"inbox, {name}'s conversation")
            if name != "Maria":  # hers is open, with an agent: the header's menus
                continue
            for menu, popover in (("#btn-snooze", "#snooze-menu"), ("#btn-assign", "#assign-menu")):
                await page.locator(menu).click()
                await expect(page.locator(popover)).to_be_visible()
                await collect(f"inbox, {popover}")
                await page.keyboard.press("Escape")
    return found


@asynccontextmanager
async def _refused_pages(chromium: Any, locale: str) -> AsyncIterator[Any]:
    """A desktop page for the 403 and 404 pages: the browser logs their status as a console
    error, which is all it may log."""
    context = await chromium.new_context(viewport=SCREENS["desktop"], locale=locale)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and not re.search(r"status of 40[34]", message.text)
            else None
        ),
    )
    try:
        yield page
    finally:
        await context.close()
    assert problems == [], problems


async def test_every_page_speaks_its_locale_only(chromium: Any, service: Service) -> None:
    from playwright.async_api import expect

    said = await _seed(service)
    association = service.association
    data = set(_strings_in([association.name, association.bot, association.privacy]))
    data |= set(_strings_in([PATIENTS, ORDERS, SAID, NOTE_FIELDS]))
    data |= {line for csv in (PATIENTS, ORDERS) for line in csv.replace(",", "\n").splitlines()}
    data |= {"Ana", "Ada", ADMIN.email, AGENT.email, "e2e", service.simulator_url, "default"}
    data |= {"wa_crm", "America/Sao_Paulo"}  # the product's name; the association's zone
    data.add(SimulatorConfig().me_push_name)  # the linked number's name, as WAHA gives it
    public_url = service.container.settings().public_url
    data |= {public_url, f"{public_url}/api/webhooks/whatsapp"}

    problems: dict[str, list[tuple[str, str]]] = {}
    for locale, lang in (("pt-BR", "pt-BR"), ("en", "en")):
        async with sized_page(chromium, "desktop", locale=locale) as page:
            judge = Judge(locale, data, said, await page.evaluate(_INTL_WORDS, locale))
            query = "?lang=en" if lang == "en" else ""
            await page.goto(f"{service.service_url}/login{query}")
            login_texts = await page.evaluate(_COLLECT)
            found = [("login", text) for text in login_texts if judge.strays(text)]
            await sign_in_as(page, service.service_url, f"/dashboard/e2e/inbox{query}", ADMIN)
            found += await _walk(page, service.service_url, lang, judge)
        async with _refused_pages(chromium, locale) as page:
            # Ada on another association's page: the 404 page; Ana on an admin page: the 403.
            for who, path, where in (
                (ADMIN, "elsewhere/inbox", "not found"),
                (AGENT, "e2e/team", "forbidden"),
            ):
                await page.context.clear_cookies()
                await page.goto(f"{service.service_url}/login{query}")
                await page.fill("#association", "e2e")
                await page.fill("#email", who.email)
                await page.fill("#password", who.password)
                await page.press("#password", "Enter")
                await expect(page).to_have_url(re.compile(r"/dashboard/e2e/inbox"))
                await page.goto(f"{service.service_url}/dashboard/{path}{query}")
                await expect(page.locator("h1")).to_be_visible()
                texts = await page.evaluate(_COLLECT)
                found += [(where, text) for text in texts if judge.strays(text)]
        if found:
            problems[locale] = sorted(set(found))
    assert problems == {}, "\n".join(
        f"{locale} {where}: {text!r}" for locale, found in problems.items() for where, text in found
    )
