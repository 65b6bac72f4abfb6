"""Automatic assignment over HTTP with several agents: presence from their open event streams,
round robin under the limit, a freed slot and a new agent letting the queue through,
reassignment of what an agent offline too long held, the settings and agent list routes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from tests.integration.delivery_support import eventually
from tests.support.waha_payloads import WaMessage, encode, headers_for, message_event

from wa_crm.container import Container, build_container
from wa_crm.domain.model.association import WhatsAppSettings
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.entrypoints.http import create_app
from wa_crm.settings import Settings
from wa_crm.testing import serve_app
from wa_crm.testing.clock import FakeClock

SECRET = "assignment-secret"
SESSION = "assignment-session"
AGENTS = ("ana", "bia", "carla")


class Inbox:
    """An agent's open inbox: their event stream, read in the background."""

    def __init__(self, http: httpx.AsyncClient, url: str, token: str) -> None:
        self.events: list[dict[str, Any]] = []
        self._task = asyncio.create_task(self._read(http, url, token))

    async def _read(self, http: httpx.AsyncClient, url: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        # A service stopped under an open inbox (a failing test) ends the stream, nothing more.
        with contextlib.suppress(httpx.TransportError):
            async with http.stream("GET", url, headers=headers, timeout=None) as response:
                assert response.status_code == 200
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        self.events.append(json.loads(line[5:]))

    def assigned(self, agent_id: str) -> list[str]:
        return [
            e["data"]["conversation_id"]
            for e in self.events
            if e["type"] == "alert"
            and e["data"]["kind"] == "assigned"
            and e["data"]["agent_id"] == agent_id
        ]

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@dataclass
class World:
    container: Container
    clock: FakeClock
    url: str
    http: httpx.AsyncClient
    association_id: str
    tokens: dict[str, str]
    ids: dict[str, str]

    def api(self, path: str) -> str:
        return f"{self.url}/api/associations/clinic/{path}"

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def open_inbox(self, who: str) -> Inbox:
        return Inbox(self.http, self.api("events"), self.tokens[who])

    async def patient_writes(self, number: int) -> None:
        chat = f"55119877{number:05d}@c.us"
        raw = encode(message_event(WaMessage(chat_id=chat, body="Oi"), session=SESSION))
        response = await self.http.post(
            f"{self.url}/api/webhooks/whatsapp", content=raw, headers=headers_for(raw, SECRET)
        )
        assert response.status_code == 200, response.text

    async def held(self) -> dict[str | None, int]:
        """Open conversations per assignee (None: waiting unassigned), from the agent API."""
        response = await self.http.get(
            self.api("conversations"),
            params={"status": "pending,human", "limit": "100"},
            headers=self.auth("admin"),
        )
        assert response.status_code == 200
        held: dict[str | None, int] = {}
        for conversation in response.json()["items"]:
            assignee = conversation["assignee_id"]
            held[assignee] = held.get(assignee, 0) + 1
        return {self.name(k): v for k, v in held.items()}

    def name(self, agent_id: str | None) -> str | None:
        return next((name for name, id_ in self.ids.items() if id_ == agent_id), agent_id)

    async def online(self) -> dict[str, bool]:
        response = await self.http.get(self.api("agents"), headers=self.auth("ana"))
        assert response.status_code == 200
        return {agent["name"]: agent["online"] for agent in response.json()["items"]}


@pytest.fixture
async def world(backend_url: str, tmp_path: Any) -> AsyncIterator[World]:
    settings = Settings(
        database_url=backend_url,
        workers=1,
        job_poll_seconds=0.02,
        secret_key="assignment-secret-key-0123",
        media_dir=str(tmp_path / "media"),
    )
    container = build_container(settings)
    clock = FakeClock()
    container.clock.override(providers.Object(clock))
    whatsapp = WhatsAppSettings("http://waha.invalid", "k", SESSION, SECRET)
    association = (
        await container.create_association()(NewAssociation("clinic", "Clinic", whatsapp=whatsapp))
    ).unwrap()
    tokens, ids = {}, {}
    for name in ("admin", *AGENTS):
        role = "admin" if name == "admin" else "agent"
        new = NewAgent("clinic", f"{name}@clinic.org", name, role, "password1")
        ids[name] = (await container.create_agent()(new)).unwrap().id
        tokens[name] = (await container.issue_api_token()("clinic", f"{name}@clinic.org")).unwrap()
    async with (
        serve_app(create_app(container)) as url,
        httpx.AsyncClient(timeout=10) as http,
    ):
        world = World(container, clock, url, http, association.id, tokens, ids)
        bot_off = await http.put(
            world.api("bot"), json={"enabled": False}, headers=world.auth("admin")
        )
        assert bot_off.status_code == 200, bot_off.text
        yield world


async def test_settings_are_admin_only_and_validated(world: World) -> None:
    admin = world.auth("admin")
    default = await world.http.get(world.api("assignment"), headers=admin)
    assert default.json() == {
        "enabled": False,
        "max_open_per_agent": 10,
        "offline_reassign_minutes": 30,
        "first_response_minutes": 30,
    }
    for wrong in (
        {"max_open_per_agent": 0},
        {"max_open_per_agent": "2"},
        {"max_open_per_agent": 2.5},
        {"enabled": "yes"},
        {"offline_reassign_minutes": 0},
        {"first_response_minutes": 1441},
        {"first_response_minutes": "30"},
        {"colour": "blue"},
    ):
        response = await world.http.put(world.api("assignment"), json=wrong, headers=admin)
        assert response.status_code == 422, wrong
        assert response.json()["error"]["code"] == "invalid_input"
    changed = await world.http.put(
        world.api("assignment"),
        json={"enabled": True, "offline_reassign_minutes": None},
        headers=admin,
    )
    assert changed.json() == {
        "enabled": True,
        "max_open_per_agent": 10,
        "offline_reassign_minutes": None,
        "first_response_minutes": 30,
    }
    assert (await world.http.get(world.api("assignment"), headers=admin)).json() == changed.json()
    for method in ("GET", "PUT"):
        refused = await world.http.request(
            method, world.api("assignment"), json={}, headers=world.auth("ana")
        )
        assert refused.status_code == 403


async def test_round_robin_among_online_agents_with_limits_and_reassignment(
    world: World,
) -> None:
    enabled = await world.http.put(
        world.api("assignment"),
        json={"enabled": True, "max_open_per_agent": 2, "offline_reassign_minutes": 1},
        headers=world.auth("admin"),
    )
    assert enabled.status_code == 200, enabled.text
    inboxes = {name: world.open_inbox(name) for name in ("ana", "bia")}

    async def ana_and_bia_online() -> bool:
        return await world.online() == {"admin": False, "ana": True, "bia": True, "carla": False}

    await eventually(ana_and_bia_online)

    for number in range(5):
        await world.patient_writes(number)

    async def two_each_one_waiting() -> bool:
        return await world.held() == {"ana": 2, "bia": 2, None: 1}

    await eventually(two_each_one_waiting)

    async def every_agent_alerted() -> bool:  # ana's inbox sees every agent's alerts
        return sum(len(inboxes["ana"].assigned(world.ids[n])) for n in ("ana", "bia")) == 4

    await eventually(every_agent_alerted)
    for name in ("ana", "bia"):
        mine = await world.http.get(
            world.api("conversations"), params={"assignee": "me"}, headers=world.auth(name)
        )
        items = mine.json()["items"]
        assert [c["status"] for c in items] == ["pending", "pending"], "routed, not taken yet"
        assert mine.json()["counts"]["mine"] == 2
        assert sorted(inboxes["ana"].assigned(world.ids[name])) == sorted(c["id"] for c in items)

    # Ana answers one and resolves it: her free slot takes the conversation that waited.
    ana_first = inboxes["ana"].assigned(world.ids["ana"])[0]
    claimed = await world.http.post(
        world.api(f"conversations/{ana_first}/claim"), headers=world.auth("ana")
    )
    assert claimed.json()["status"] == "human"
    resolved = await world.http.post(
        world.api(f"conversations/{ana_first}/resolve"), headers=world.auth("ana")
    )
    assert resolved.status_code == 200
    await eventually(lambda: _held_is(world, {"ana": 2, "bia": 2}))

    # Carla opens her inbox: the next conversation is hers (the fewest open).
    inboxes["carla"] = world.open_inbox("carla")
    await eventually(lambda: _online_is(world, "carla", True))
    await world.patient_writes(5)
    await eventually(lambda: _held_is(world, {"ana": 2, "bia": 2, "carla": 1}))

    # Bia closes her inbox and stays away longer than a minute, while the others' inboxes
    # report in (their keep-alives, on the fake clock). The periodic check is due 30 s after it
    # last ran: the others have reported in before it runs.
    bia_conversations = inboxes["bia"].assigned(world.ids["bia"])
    await inboxes.pop("bia").close()
    await eventually(lambda: _online_is(world, "bia", False))
    world.clock.advance(29)
    for name in ("ana", "carla"):
        await world.container.presence().still_open(world.association_id, world.ids[name])
    world.clock.advance(32)
    await eventually(lambda: _held_is(world, {"ana": 2, "carla": 2, None: 1}))
    requeued = {
        conversation: (await _conversation(world, conversation))["assignee_id"]
        for conversation in bia_conversations
    }
    assert sorted(requeued.values(), key=str) == sorted([world.ids["carla"], None], key=str)
    for inbox in inboxes.values():
        await inbox.close()


async def _held_is(world: World, expected: dict[str | None, int]) -> bool:
    return await world.held() == expected


async def _online_is(world: World, name: str, online: bool) -> bool:
    return (await world.online())[name] is online


async def _conversation(world: World, conversation_id: str) -> dict[str, Any]:
    response = await world.http.get(
        world.api(f"conversations/{conversation_id}"), headers=world.auth("admin")
    )
    return dict(response.json())
