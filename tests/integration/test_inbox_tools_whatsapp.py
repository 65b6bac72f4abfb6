"""The inbox tools against the WAHA simulator over real HTTP, on SQLite and PostgreSQL: a
private note never reaches WhatsApp, a canned reply is sent with its placeholders filled, and a
rating answered through WhatsApp is recorded and counted in the statistics with the labels."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.harness import Service, running_service

from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.usecases.access.setup import NewAgent

PATIENT = "5511988887777@c.us"
QUIET_BOT = BotSettings(enabled=False)  # conversations wait for agents, the bot says nothing


@dataclass
class Inbox:
    service: Service
    agent: dict[str, str]
    admin: dict[str, str]

    def url(self, path: str) -> str:
        return f"{self.service.service_url}/api/associations/e2e/{path}"

    async def call(
        self, method: str, path: str, as_admin: bool = False, **kwargs: Any
    ) -> httpx.Response:
        headers = self.admin if as_admin else self.agent
        return await self.service.http.request(method, self.url(path), headers=headers, **kwargs)

    async def conversation_id(self) -> str:
        for _ in range(200):
            items = (await self.call("GET", "conversations")).json()["items"]
            if items:
                return str(items[0]["id"])
            await asyncio.sleep(0.05)
        raise AssertionError("the patient's conversation never appeared")


@pytest.fixture
async def inbox(backend_url: str, tmp_path: Path) -> AsyncIterator[Inbox]:
    async with running_service(backend_url, tmp_path / "media", QUIET_BOT) as service:
        container = service.container
        new_admin = NewAgent("e2e", "admin@e2e.org", "Admin", "admin", "admin-password")
        (await container.create_agent()(new_admin)).unwrap()
        tokens = [
            (await container.issue_api_token()("e2e", email)).unwrap()
            for email in ("ana@e2e.org", "admin@e2e.org")
        ]
        agent, admin = ({"Authorization": f"Bearer {token}"} for token in tokens)
        yield Inbox(service, agent, admin)


async def test_a_private_note_never_reaches_whatsapp(inbox: Inbox) -> None:
    await inbox.service.patient_writes(PATIENT, "Oi, preciso da receita")
    conversation = await inbox.conversation_id()

    note = await inbox.call(
        "POST", f"conversations/{conversation}/notes", json={"text": "NOTA: paciente difícil"}
    )
    assert note.status_code == 201, note.text
    assert note.json()["agent_name"] == "Ana" and note.json()["text"] == "NOTA: paciente difícil"
    sent = await inbox.call(
        "POST", f"conversations/{conversation}/messages", json={"text": "Já vou ver"}
    )
    assert sent.status_code == 201, sent.text
    await inbox.service.wait_for_texts(lambda texts: "Já vou ver" in texts, PATIENT)
    await asyncio.sleep(0.3)  # anything else queued would have gone by now

    assert await inbox.service.texts() == ["Já vou ver"]
    notes = (await inbox.call("GET", f"conversations/{conversation}/notes")).json()["items"]
    assert [n["text"] for n in notes] == ["NOTA: paciente difícil"]
    messages = (await inbox.call("GET", f"conversations/{conversation}/messages")).json()
    assert all("NOTA" not in m["body"] for m in messages["items"])


async def test_a_canned_reply_is_sent_with_its_placeholders_filled(inbox: Inbox) -> None:
    created = await inbox.call(
        "POST",
        "canned-replies",
        as_admin=True,
        json={
            "shortcut": "ola",
            "title": "Boas-vindas",
            "text": "Olá {first_name}, aqui é {agent_name}.",
        },
    )
    assert created.status_code == 201, created.text
    reply = created.json()
    await inbox.service.patient_writes(PATIENT, "Bom dia", push_name="Maria Souza")
    conversation = await inbox.conversation_id()

    menu = (await inbox.call("GET", "canned-replies?q=OL")).json()["items"]
    assert [item["shortcut"] for item in menu] == ["ola"]
    rendered = await inbox.call(
        "POST", f"canned-replies/{reply['id']}/render", json={"conversation_id": conversation}
    )
    assert rendered.json() == {"text": "Olá Maria, aqui é Ana."}
    await inbox.call(
        "POST", f"conversations/{conversation}/messages", json={"text": rendered.json()["text"]}
    )

    texts = await inbox.service.wait_for_texts(lambda texts: bool(texts), PATIENT)
    assert texts == ["Olá Maria, aqui é Ana."]


async def test_a_rating_through_whatsapp_is_recorded_and_counted_with_the_labels(
    inbox: Inbox,
) -> None:
    survey = {"enabled": True, "question": "De 1 a 5, que nota nos dá?", "thanks": "Obrigado!"}
    changed = await inbox.call("PUT", "bot", as_admin=True, json={"satisfaction_survey": survey})
    assert changed.status_code == 200, changed.text
    await inbox.service.patient_writes(PATIENT, "Oi")
    conversation = await inbox.conversation_id()
    labelled = await inbox.call(
        "PUT", f"conversations/{conversation}/labels", json={"labels": ["Receita", "urgente"]}
    )
    assert labelled.json()["labels"] == ["receita", "urgente"]

    resolved = await inbox.call("POST", f"conversations/{conversation}/resolve")
    assert resolved.json()["rating_requested_at"] is not None
    await inbox.service.wait_for_texts(lambda texts: survey["question"] in texts, PATIENT)
    await inbox.service.patient_writes(PATIENT, " 4! ")
    await inbox.service.wait_for_texts(lambda texts: "Obrigado!" in texts, PATIENT)

    rated = (await inbox.call("GET", f"conversations/{conversation}")).json()
    assert rated["status"] == "resolved" and rated["rating"] == 4
    everything = (await inbox.call("GET", "conversations?snoozed=any")).json()["items"]
    assert [c["id"] for c in everything] == [conversation]  # the answer opened nothing new
    stats = (await inbox.call("GET", "stats?tz=UTC", as_admin=True)).json()
    assert stats["satisfaction"] == {"ratings": 1, "average": 4.0}
    assert stats["labels"] == {"receita": 1, "urgente": 1}

    await inbox.service.patient_writes(PATIENT, "5")  # not asked any more: a new conversation
    for _ in range(200):
        everything = (await inbox.call("GET", "conversations")).json()["items"]
        if len(everything) == 2:
            break
        await asyncio.sleep(0.05)
    assert everything[0]["status"] == "pending" and everything[0]["rating"] is None
