"""The inbox list's API on SQLite and PostgreSQL (issue 18): search by name, phone and words
with the message found, the sort by waiting longest and its cursor, each row's last message,
the period's days and times, the Unassigned count, a contact's conversations, the labels a
contact's next conversation carries, and the 4xx of bad parameters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from tests.support.waha_payloads import CONTACT, WaMessage, message_event
from tests.support.webhook_driver import Waha, create_association

from wa_crm.container import Container
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.domain.usecases.monitoring.statistics import default_timezone
from wa_crm.testing.clock import FakeClock

OTHER = "5521977776666@c.us"


class Inbox:
    def __init__(self, client: httpx.AsyncClient, slug: str, token: str) -> None:
        self.client, self.slug = client, slug
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = f"/api/associations/{self.slug}/{path}"
        return await self.client.request(method, url, headers=self.headers, **kwargs)

    async def listed(self, **params: str) -> dict[str, Any]:
        response = await self.call("GET", "conversations", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def inbox(client: httpx.AsyncClient, container: Container, waha: Waha) -> Inbox:
    slug = waha.association.slug
    await container.create_agent()(NewAgent(slug, "ana@a.org", "Ana Lima", "agent", "password-1"))
    token = (await container.issue_api_token()(slug, "ana@a.org")).unwrap()
    return Inbox(client, slug, token)


async def _write(waha: Waha, chat_id: str, text: str, name: str) -> str:
    await waha.deliver(message_event(WaMessage(chat_id=chat_id, body=text, push_name=name)))
    return next(c.id for c in await waha.conversations(chat_id) if c.is_open)


def _ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


async def test_the_list_searches_sorts_and_shows_each_last_message(
    inbox: Inbox, waha: Waha, clock: FakeClock
) -> None:
    maria = await _write(waha, CONTACT, "Quando chega a   entrega do óleo?", "Maria Silva")
    clock.advance(300)
    joao = await _write(waha, OTHER, "Oi", "João Souza")
    assert (await inbox.call("POST", f"conversations/{joao}/claim")).status_code == 200
    sent = await inbox.call(
        "POST", f"conversations/{joao}/messages", json={"text": "Olá, tudo bem?"}
    )
    assert sent.status_code == 201, sent.text

    listed = await inbox.listed()
    rows = {item["id"]: item for item in listed["items"]}
    assert _ids(listed) == [joao, maria]
    assert rows[joao]["last_message"]["agent_id"] == rows[joao]["assignee_id"]
    assert rows[joao]["last_message"] | {"id": "", "at": "", "agent_id": ""} == {
        "id": "",
        "author": "agent",
        "agent_id": "",
        "author_name": "Ana Lima",
        "type": "text",
        "preview": "Olá, tudo bem?",
        "at": "",
    }
    assert rows[maria]["last_message"]["author"] == "contact"
    assert rows[maria]["last_message"]["preview"] == "Quando chega a entrega do óleo?"
    assert rows[maria]["waiting_since"] is not None and rows[joao]["waiting_since"] is None
    assert rows[maria]["previous_conversation_id"] is None and rows[maria]["match"] is None
    waiting_tab = [
        i for i in listed["items"] if i["status"] in ("pending", "human") and not i["assignee_id"]
    ]
    assert listed["counts"]["unassigned"] == len(waiting_tab)

    # A name, a phone in any spelling, words of a message (with the message found).
    for q in ("joao", "JOÃO SOUZA", "+55 (21) 97777-6666", "21 97777 6666", "977776666"):
        found = await inbox.listed(q=q)
        assert _ids(found) == [joao] and found["items"][0]["match"] is None, q
    found = await inbox.listed(q="Entregas oleo")
    assert _ids(found) == [maria]
    match = found["items"][0]["match"]
    assert match["preview"] == "Quando chega a entrega do óleo?"
    assert match["message_id"] == rows[maria]["last_message"]["id"]
    assert _ids(await inbox.listed(q="entrega", status="human")) == []

    # Waiting longest first, then the others; the cursor keeps that order.
    assert _ids(await inbox.listed(sort="waiting")) == [maria, joao]
    first = await inbox.listed(sort="waiting", limit="1")
    second = await inbox.listed(sort="waiting", limit="1", cursor=first["next_cursor"])
    assert _ids(first) + _ids(second) == [maria, joao]

    # A period: days in the association's zone, or times with their offset.
    zone = ZoneInfo(default_timezone(waha.association))
    today = clock.now().astimezone(zone).date()
    assert _ids(await inbox.listed(since=today.isoformat())) == [joao, maria]
    assert _ids(await inbox.listed(until=(today - timedelta(days=1)).isoformat())) == []
    middle = (clock.now() - timedelta(minutes=2)).isoformat()
    assert _ids(await inbox.listed(since=middle)) == [joao]
    assert _ids(await inbox.listed(until=middle)) == [maria]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-13-01"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-12-01T10:00:00"}, "until"),  # a time needs its offset
        ({"sort": "oldest"}, "sort"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
    ],
)
async def test_bad_parameters_are_a_422_naming_them(
    inbox: Inbox, params: dict[str, str], field: str
) -> None:
    response = await inbox.call("GET", "conversations", params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and field in error["message"]


async def test_a_contacts_conversations_and_the_labels_their_next_one_carries(
    inbox: Inbox, waha: Waha, container: Container, clock: FakeClock
) -> None:
    first = await _write(waha, CONTACT, "Preciso da receita", "Maria Silva")
    labelled = await inbox.call(
        "PUT", f"conversations/{first}/labels", json={"labels": ["receita"]}
    )
    assert labelled.status_code == 200, labelled.text
    assert (await inbox.call("POST", f"conversations/{first}/resolve")).status_code == 200
    clock.advance(3600)
    second = await _write(waha, CONTACT, "Voltei com outra dúvida", "Maria Silva")
    view = (await inbox.call("GET", f"conversations/{second}")).json()
    assert (view["labels"], view["previous_conversation_id"]) == (["receita"], first)

    contact = await waha.contact(CONTACT)
    assert contact is not None
    history = await inbox.call("GET", f"contacts/{contact.id}/conversations")
    assert history.status_code == 200, history.text
    body = history.json()
    assert _ids(body) == [second, first] and body["next_cursor"] is None
    assert body["items"][0]["last_message"]["preview"] == "Voltei com outra dúvida"
    assert body["items"][1]["status"] == "resolved" and body["items"][1]["match"] is None
    page = (await inbox.call("GET", f"contacts/{contact.id}/conversations?limit=1")).json()
    rest = await inbox.call(
        "GET", f"contacts/{contact.id}/conversations", params={"cursor": page["next_cursor"]}
    )
    assert _ids(page) + _ids(rest.json()) == [second, first]

    # Another association's contact, or none at all: 404.
    other = await create_association(container, "outra", session="outra")
    async with container.uow_factory()() as uow:
        stranger = Contact(
            id="contact-of-another",
            association_id=other.id,
            wa_chat_id=OTHER,
            created_at=clock.now(),
            phone="+5521977776666",
            display_name="Alguém",
        )
        await uow.contacts.add(stranger)
        await uow.commit()
    for contact_id in (stranger.id, "no-such-contact"):
        response = await inbox.call("GET", f"contacts/{contact_id}/conversations")
        assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_contact"
