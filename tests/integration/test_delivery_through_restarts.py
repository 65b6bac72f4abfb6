"""Issue 15, item 3: a WAHA session restart loses nothing.

The whole service over HTTP with the WAHA simulator, on SQLite and PostgreSQL. While WAHA
restarts a session (after a config change or a logout; seconds) it answers every call for it
with 404 "We didn't find a session" (shared/waha/recorded/exchanges.jsonl), and emits STOPPED,
STARTING, WORKING. Before issue 15 each reply sent then became a dead letter within seconds and
the STOPPED status raised an alert; now they wait, and go in order once the session is back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.harness import Service, running_service

from wa_crm.domain.usecases.access.setup import NewAgent

BOT_PATIENTS = ("5511911110001@c.us", "5511911110002@c.us")
AGENT_PATIENT = "5511922220003@c.us"
RESTART_SECONDS = 6.0
AGENT_REPLIES = [f"resposta {number} da Ana" for number in range(1, 11)]


@dataclass
class Desk:
    service: Service
    agent: dict[str, str]
    admin: dict[str, str]

    async def call(
        self, method: str, path: str, as_admin: bool = False, **kwargs: Any
    ) -> httpx.Response:
        url = f"{self.service.service_url}/api/associations/e2e/{path}"
        headers = self.admin if as_admin else self.agent
        return await self.service.http.request(method, url, headers=headers, **kwargs)

    async def sim(self, path: str, **body: Any) -> None:
        response = await self.service.http.post(f"{self.service.simulator_url}{path}", json=body)
        response.raise_for_status()

    async def items(self, path: str) -> list[dict[str, Any]]:
        response = await self.call("GET", path, as_admin=True)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@pytest.fixture
async def desk(backend_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    async with running_service(
        backend_url, tmp_path / "media", session_recheck_seconds=0.5
    ) as service:
        container = service.container
        new_admin = NewAgent("e2e", "admin@e2e.org", "Admin", "admin", "admin-password")
        (await container.create_agent()(new_admin)).unwrap()
        tokens = [
            (await container.issue_api_token()("e2e", email)).unwrap()
            for email in ("ana@e2e.org", "admin@e2e.org")
        ]
        agent, admin = ({"Authorization": f"Bearer {token}"} for token in tokens)
        yield Desk(service, agent, admin)


async def until(check: Any, what: str, within: float = 15.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_a_six_second_restart_amid_ten_agent_replies_and_two_bot_replies(
    desk: Desk,
) -> None:
    service = desk.service

    async def working() -> bool:
        status = (await desk.call("GET", "whatsapp/status", as_admin=True)).json()
        return bool(status.get("status") == "WORKING")

    await until(working, "the session recorded WORKING")  # so that leaving it would alert
    # Ana's conversation: the patient asks for a person, Ana takes it
    await service.patient_writes(AGENT_PATIENT, "Quero falar com um atendente")
    await service.wait_for_texts(lambda texts: len(texts) == 1, AGENT_PATIENT)
    conversation = (await service.conversation_of(AGENT_PATIENT)).id
    claimed = await desk.call("POST", f"conversations/{conversation}/claim")
    assert claimed.status_code == 200, claimed.text

    # two patients greet the bot, whose replies come due (0.3 s debounce) inside the restart
    for patient in BOT_PATIENTS:
        await service.patient_writes(patient, "Oi, bom dia")
    await desk.sim("/_sim/default/restart", seconds=RESTART_SECONDS)
    restarted_at = time.monotonic()
    for text in AGENT_REPLIES:
        sent = await desk.call(
            "POST", f"conversations/{conversation}/messages", json={"text": text}
        )
        assert sent.status_code == 201, sent.text
        if text == AGENT_REPLIES[4]:  # typing and read receipts meet the restart too
            typing = await desk.call(
                "POST", f"conversations/{conversation}/typing", json={"state": "start"}
            )
            read = await desk.call("POST", f"conversations/{conversation}/read")
            assert (typing.status_code, read.status_code) == (200, 200), (typing.text, read.text)
        await asyncio.sleep(0.1)
    assert time.monotonic() - restarted_at < RESTART_SECONDS, "every reply went in the restart"

    async def outbound(chat: str) -> list[dict[str, Any]]:
        conversation_id = (await service.conversation_of(chat)).id
        listed = await desk.call("GET", f"conversations/{conversation_id}/messages")
        return [m for m in listed.json()["items"] if m["direction"] == "out"]

    async def all_sent() -> bool:
        chats = (AGENT_PATIENT, *BOT_PATIENTS)
        stored = [m for chat in chats for m in await outbound(chat)]
        return len(stored) >= 1 + len(AGENT_REPLIES) + len(BOT_PATIENTS) and all(
            m["status"] != "queued" for m in stored
        )

    await until(all_sent, "every reply sent", within=30)
    restart_over = time.monotonic()
    await asyncio.sleep(0.5)  # a duplicate or a late failure would show now

    assert restart_over - restarted_at >= RESTART_SECONDS - 0.5, "nothing went while it restarted"
    assert (await service.texts(AGENT_PATIENT))[1:] == AGENT_REPLIES, "in order, none twice"
    for chat in (AGENT_PATIENT, *BOT_PATIENTS):
        stored = list(reversed(await outbound(chat)))  # listed newest first
        assert {m["status"] for m in stored} <= {"sent", "delivered", "read"}, stored
        assert await service.texts(chat) == [m["body"] for m in stored]
    assert await desk.items("dead-letters") == []
    assert await desk.items("alerts") == []
