"""Issue 15, delivery gaps: reactions and quoted replies, both ways, through the WAHA simulator
over real HTTP (the whole service, its worker and the simulator's webhooks), on SQLite and
PostgreSQL.

- A contact's reaction is kept on the message it reacts to and listed with it.
- An agent's reaction goes to WAHA as ``PUT /api/reaction`` and is listed as ours.
- A contact's message quoting ours is listed with the quoted text, and an agent's reply quoting
  the contact's message goes to WAHA with its WhatsApp id and keeps the quoted text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.harness import SESSION, Service, running_service
from tests.support.eventually import eventually

from wa_crm.domain.model.association import BotSettings

MARIA = "5511988887777@c.us"


@pytest.fixture
async def service(backend_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    bot = BotSettings(enabled=False)
    async with running_service(backend_url, tmp_path / "media", bot) as service:
        yield service


class Inbox:
    def __init__(self, service: Service, http: httpx.AsyncClient, conversation_id: str) -> None:
        self.service, self.http, self.conversation_id = service, http, conversation_id
        self.path = f"/api/associations/e2e/conversations/{conversation_id}"

    async def messages(self) -> list[dict[str, Any]]:
        response = await self.http.get(f"{self.path}/messages")
        response.raise_for_status()
        return list(reversed(response.json()["items"]))

    async def message(self, body: str) -> dict[str, Any]:
        found = await eventually(self.messages, lambda items: any(m["body"] == body for m in items))
        return next(m for m in found if m["body"] == body)


@pytest.fixture
async def inbox(service: Service) -> AsyncIterator[Inbox]:
    token = (await service.container.issue_api_token()("e2e", "ana@e2e.org")).unwrap()
    await service.patient_writes(MARIA, "Bom dia, a receita chegou?")
    await eventually(lambda: service.contact_of(MARIA), lambda contact: contact is not None)
    conversation = await service.conversation_of(MARIA)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=service.service_url, headers=headers) as http:
        yield Inbox(service, http, conversation.id)


async def test_a_contact_reaction_is_listed_on_the_message(inbox: Inbox) -> None:
    sent = await inbox.http.post(f"{inbox.path}/messages", json={"text": "Chegou sim!"})
    ours = await eventually(
        lambda: inbox.message("Chegou sim!"), lambda m: m["external_id"] is not None
    )
    sim = f"{inbox.service.simulator_url}/_sim/{SESSION}/reaction"
    # the contact's phone names our message from its side: ``false_…``
    as_maria_sees_it = ours["external_id"].replace("true_", "false_", 1)

    reacted = await inbox.service.http.post(
        sim, json={"from": MARIA, "messageId": as_maria_sees_it, "emoji": "❤️"}
    )

    assert sent.status_code == 201 and reacted.status_code == 200
    listed = await eventually(lambda: inbox.message("Chegou sim!"), lambda m: m["reactions"])
    assert [(r["emoji"], r["from_me"]) for r in listed["reactions"]] == [("❤️", False)]


async def test_an_agent_reaction_goes_to_waha_and_is_listed_as_ours(inbox: Inbox) -> None:
    theirs = await inbox.message("Bom dia, a receita chegou?")
    url = f"{inbox.path}/messages/{theirs['id']}/reaction"

    set_ = await inbox.http.post(url, json={"emoji": "👍"})
    text = await inbox.http.post(url, json={"emoji": "ok"})
    removed = await inbox.http.post(url, json={"emoji": ""})
    again = await inbox.http.post(url, json={"emoji": "🙏"})

    assert set_.status_code == 200, set_.text
    assert [(r["emoji"], r["from_me"]) for r in set_.json()["reactions"]] == [("👍", True)]
    assert text.status_code == 422 and text.json()["error"]["code"] == "invalid_input"
    assert removed.json()["reactions"] == []
    reactions = [s for s in await inbox.service.sent(MARIA) if s["kind"] == "reaction"]
    assert [(s["text"], s["messageIds"]) for s in reactions] == [
        ("👍", [theirs["external_id"]]),
        ("", [theirs["external_id"]]),
        ("🙏", [theirs["external_id"]]),
    ]
    # WAHA's echo of our own reaction (``fromMe``) changes nothing
    listed = await eventually(
        lambda: inbox.message("Bom dia, a receita chegou?"), lambda m: m["reactions"]
    )
    assert again.status_code == 200
    assert [(r["emoji"], r["from_me"]) for r in listed["reactions"]] == [("🙏", True)]


async def test_quoted_replies_show_the_quoted_text_both_ways(inbox: Inbox) -> None:
    theirs = await inbox.message("Bom dia, a receita chegou?")

    reply = await inbox.http.post(
        f"{inbox.path}/messages", json={"text": "Chegou sim!", "reply_to": theirs["id"]}
    )
    unknown = await inbox.http.post(
        f"{inbox.path}/messages", json={"text": "?", "reply_to": "no-such-message"}
    )
    ours = await eventually(
        lambda: inbox.message("Chegou sim!"), lambda m: m["external_id"] is not None
    )
    await inbox.service.http.post(
        f"{inbox.service.simulator_url}/_sim/{SESSION}/inbound",
        json={"from": MARIA, "text": "Obrigada!", "reply_to": ours["external_id"]},
    )
    thanks = await inbox.message("Obrigada!")

    assert reply.status_code == 201, reply.text
    assert (reply.json()["reply_to"], reply.json()["quoted_body"]) == (
        theirs["external_id"],
        "Bom dia, a receita chegou?",
    )
    assert unknown.status_code == 404
    sent = [s for s in await inbox.service.sent(MARIA) if s["kind"] == "text"]
    assert [(s["text"], s["reply_to"]) for s in sent] == [("Chegou sim!", theirs["external_id"])]
    assert (thanks["reply_to"], thanks["quoted_body"]) == (ours["external_id"], "Chegou sim!")
