"""The inbox tools' API with a fake clock, on SQLite and PostgreSQL: snooze and its wake-up job,
labels in the list, canned replies' life cycle, note events, and the 4xx of bad requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests.support.waha_payloads import CONTACT, WaMessage, message_event
from tests.support.webhook_driver import Waha

from wa_crm.container import Container
from wa_crm.domain.model.job_commands import WakeConversation
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.testing.clock import FakeClock

OTHER_CONTACT = "5521977776666@c.us"


@dataclass
class Agents:
    client: httpx.AsyncClient
    slug: str
    ana: dict[str, str]
    admin: dict[str, str]
    ana_id: str

    async def call(
        self, method: str, path: str, as_admin: bool = False, **kwargs: Any
    ) -> httpx.Response:
        headers = self.admin if as_admin else self.ana
        url = f"/api/associations/{self.slug}/{path}"
        return await self.client.request(method, url, headers=headers, **kwargs)

    async def listed(self, query: str = "") -> list[str]:
        response = await self.call("GET", f"conversations?{query}")
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]


@pytest.fixture
async def agents(client: httpx.AsyncClient, container: Container, waha: Waha) -> Agents:
    slug = waha.association.slug
    ana = (
        await container.create_agent()(NewAgent(slug, "ana@a.org", "Ana", "agent", "password-1"))
    ).unwrap()
    await container.create_agent()(NewAgent(slug, "adm@a.org", "Adm", "admin", "password-1"))
    tokens = [
        (await container.issue_api_token()(slug, email)).unwrap()
        for email in ("ana@a.org", "adm@a.org")
    ]
    ana_headers, admin_headers = ({"Authorization": f"Bearer {t}"} for t in tokens)
    return Agents(client, slug, ana_headers, admin_headers, ana.id)


async def conversation_of(waha: Waha, chat_id: str = CONTACT, text: str = "Oi") -> str:
    await waha.deliver(message_event(WaMessage(chat_id=chat_id, body=text)))
    return next(c.id for c in await waha.conversations(chat_id) if c.is_open)


def wake_runner(container: Container, clock: FakeClock) -> JobRunner:
    handlers = {WakeConversation: container.wake_snoozed()}
    return JobRunner(container.uow_factory(), clock, handlers, "test-worker")


async def test_a_snoozed_conversation_leaves_the_list_and_comes_back_at_its_time(
    agents: Agents, waha: Waha, container: Container, clock: FakeClock
) -> None:
    conversation = await conversation_of(waha)
    other = await conversation_of(waha, OTHER_CONTACT)
    await agents.call("POST", f"conversations/{conversation}/claim")
    until = clock.now() + timedelta(hours=2)

    snoozed = await agents.call(
        "POST", f"conversations/{conversation}/snooze", json={"until": until.isoformat()}
    )

    assert snoozed.status_code == 200, snoozed.text
    assert snoozed.json()["snoozed_until"] == until.isoformat()
    assert snoozed.json()["status"] == "human"
    assert await agents.listed() == [other]
    assert await agents.listed("snoozed=true") == [conversation]
    assert await agents.listed("snoozed=any") == [other, conversation]
    runner = wake_runner(container, clock)
    clock.advance(2 * 3600 - 1)
    assert await runner.run_due() == 0
    clock.advance(1)
    assert await runner.run_due() == 1
    assert await agents.listed() == [other, conversation]
    back = (await agents.call("GET", f"conversations/{conversation}")).json()
    assert back["snoozed_until"] is None and back["status"] == "human"
    alerts = [e.data for e in await waha.published() if e.type == "alert"]
    assert {
        "kind": "snooze_ended",
        "conversation_id": conversation,
        "assignee_id": agents.ana_id,
    } in alerts


async def test_the_contact_writing_ends_the_snooze_and_the_job_then_does_nothing(
    agents: Agents, waha: Waha, container: Container, clock: FakeClock
) -> None:
    conversation = await conversation_of(waha)
    until = (clock.now() + timedelta(days=1)).isoformat()
    await agents.call("POST", f"conversations/{conversation}/snooze", json={"until": until})
    assert await agents.listed() == []

    await conversation_of(waha, text="Alguém aí?")

    assert await agents.listed() == [conversation]
    clock.advance(86400)
    assert await wake_runner(container, clock).run_due() == 1
    assert not [e for e in await waha.published() if e.data.get("kind") == "snooze_ended"]


async def test_a_snooze_ends_on_request(agents: Agents, waha: Waha, clock: FakeClock) -> None:
    conversation = await conversation_of(waha)
    until = (clock.now() + timedelta(minutes=30)).isoformat()
    await agents.call("POST", f"conversations/{conversation}/snooze", json={"until": until})
    woken = await agents.call("POST", f"conversations/{conversation}/snooze", json={"until": None})
    assert woken.status_code == 200 and woken.json()["snoozed_until"] is None
    assert await agents.listed() == [conversation]


async def test_labels_filter_the_list(agents: Agents, waha: Waha) -> None:
    urgent = await conversation_of(waha)
    plain = await conversation_of(waha, OTHER_CONTACT)
    response = await agents.call(
        "PUT", f"conversations/{urgent}/labels", json={"labels": ["Urgente", " receita "]}
    )
    assert response.status_code == 200
    assert response.json()["labels"] == ["receita", "urgente"]

    assert await agents.listed("label=URGENTE") == [urgent]
    assert await agents.listed("label=nada") == []
    assert await agents.listed() == [plain, urgent]
    view = (await agents.call("GET", f"conversations/{urgent}")).json()
    assert view["labels"] == ["receita", "urgente"]
    cleared = await agents.call("PUT", f"conversations/{urgent}/labels", json={"labels": []})
    assert cleared.json()["labels"] == []


async def test_canned_replies_are_written_by_admins_and_read_by_everyone(agents: Agents) -> None:
    created = await agents.call(
        "POST", "canned-replies", as_admin=True, json={"shortcut": "Oi", "text": "Oi!"}
    )
    assert created.status_code == 201, created.text
    reply = created.json()
    assert (reply["shortcut"], reply["title"], reply["text"]) == ("oi", "", "Oi!")
    again = await agents.call(
        "POST", "canned-replies", as_admin=True, json={"shortcut": "oi", "text": "x"}
    )
    assert again.status_code == 409
    forbidden = await agents.call("POST", "canned-replies", json={"shortcut": "x", "text": "x"})
    assert forbidden.status_code == 403

    updated = await agents.call(
        "PUT", f"canned-replies/{reply['id']}", as_admin=True, json={"title": "Saudação"}
    )
    assert updated.status_code == 200
    assert (updated.json()["shortcut"], updated.json()["title"]) == ("oi", "Saudação")
    listed = (await agents.call("GET", "canned-replies?q=sauda")).json()["items"]
    assert [item["id"] for item in listed] == [reply["id"]]

    deleted = await agents.call("DELETE", f"canned-replies/{reply['id']}", as_admin=True)
    assert deleted.json() == {"deleted": reply["id"]}
    gone = await agents.call("DELETE", f"canned-replies/{reply['id']}", as_admin=True)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown_canned_reply"
    assert (await agents.call("GET", "canned-replies")).json() == {"items": []}


async def test_a_note_is_an_event_not_a_message(agents: Agents, waha: Waha) -> None:
    conversation = await conversation_of(waha)
    note = await agents.call(
        "POST", f"conversations/{conversation}/notes", json={"text": " Ligar amanhã "}
    )
    assert note.status_code == 201
    assert note.json()["text"] == "Ligar amanhã"
    published = await waha.published()
    [event] = [e for e in published if e.type == "note.created"]
    assert event.data == note.json()
    assert len(await waha.conversation_messages(conversation)) == 1  # the contact's "Oi" only
    assert await waha.job(f"deliver:{conversation}") is None


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("snooze", {"until": "2020-01-01T00:00:00+00:00"}, 422, "in the future"),
        ("snooze", {"until": "2099-01-01T00:00:00+00:00"}, 422, "at most 30 days"),
        ("snooze", {"until": "2026-03-02T15:00:00"}, 422, "time zone"),
        ("snooze", {"until": 12}, 422, "time zone"),
        ("snooze", {}, 422, "`until` is required"),
        ("labels", {"labels": "urgente"}, 422, "list of strings"),
        ("labels", {"labels": [f"l{n}" for n in range(11)]}, 422, "at most 10"),
        ("labels", {"labels": ["<script>"]}, 422, "letters, digits"),
        ("notes", {"text": "  "}, 422, "empty"),
        ("notes", {"text": "x" * 4001}, 422, "longer"),
        ("notes", {}, 422, "`text` must be a string"),
    ],
)
async def test_bad_requests_are_4xx(
    agents: Agents, waha: Waha, path: str, body: dict[str, Any], status: int, words: str
) -> None:
    conversation = await conversation_of(waha)
    method = "PUT" if path == "labels" else "POST"
    response = await agents.call(method, f"conversations/{conversation}/{path}", json=body)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"shortcut": "com espaço", "text": "x"}, "shortcut"),
        ({"shortcut": "ok", "text": "Olá {nome}"}, "unknown placeholder {nome}"),
        ({"shortcut": "ok"}, "`text` is required"),
        ({"shortcut": "ok", "text": 3}, "must be a string"),
        ({"shortcut": "ok", "text": "x", "tone": "formal"}, "unknown fields: tone"),
    ],
)
async def test_bad_canned_replies_are_422(agents: Agents, body: dict[str, Any], words: str) -> None:
    response = await agents.call("POST", "canned-replies", as_admin=True, json=body)
    assert response.status_code == 422
    assert words in response.json()["error"]["message"]


async def test_unknown_things_are_404_and_a_resolved_conversation_is_not_snoozed(
    agents: Agents, waha: Waha, clock: FakeClock
) -> None:
    conversation = await conversation_of(waha)
    created = await agents.call(
        "POST", "canned-replies", as_admin=True, json={"shortcut": "oi", "text": "Oi"}
    )
    render = f"canned-replies/{created.json()['id']}/render"
    assert (await agents.call("POST", render, json={"conversation_id": "nope"})).status_code == 404
    assert (await agents.call("GET", "conversations/nope/notes")).status_code == 404
    assert (
        await agents.call("PUT", "conversations/nope/labels", json={"labels": []})
    ).status_code == 404
    await agents.call("POST", f"conversations/{conversation}/resolve")
    until = (clock.now() + timedelta(hours=1)).isoformat()
    refused = await agents.call(
        "POST", f"conversations/{conversation}/snooze", json={"until": until}
    )
    assert refused.status_code == 409
    bad_filter = await agents.call("GET", "conversations?label=%3Cb%3E")
    assert bad_filter.status_code == 422
    assert (await agents.call("GET", "conversations?snoozed=maybe")).status_code == 422


async def test_urgent_conversations_are_listed_apart_for_the_inbox_to_pin_them(
    agents: Agents, waha: Waha, container: Container
) -> None:
    calm = await conversation_of(waha)
    urgent = await conversation_of(waha, OTHER_CONTACT, "Socorro, estou com falta de ar")
    newer = await conversation_of(waha, "5531966665555@c.us")
    async with container.uow_factory()() as uow:
        conversation = await uow.conversations.get(waha.association.id, urgent)
        assert conversation is not None
        conversation.mark_urgent()
        await uow.conversations.update(conversation)
        await uow.commit()

    assert await agents.listed("urgent=true") == [urgent]
    assert await agents.listed("urgent=false") == [newer, calm]
    assert await agents.listed() == [newer, urgent, calm]
    assert await agents.listed("urgent=false&limit=1") == [newer], "pages as before"
    row = (await agents.call("GET", "conversations?urgent=true")).json()["items"][0]
    assert row["urgent"] is True
    refused = await agents.call("GET", "conversations?urgent=maybe")
    assert refused.status_code == 422
    assert "urgent must be true, false or any" in refused.text
