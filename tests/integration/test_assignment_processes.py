"""Two service processes on PostgreSQL, each with job workers, route many conversations handed
off at once: no conversation is routed twice, no agent goes over the limit. Then an agent
offline too long loses what they held, and an agent coming online takes what waits.

Each process publishes on its own in-process bus, so one inbox on each process together see
every ``assigned`` alert.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.integration.delivery_support import eventually
from tests.integration.test_assignment_api import Inbox
from tests.integration.test_sse_across_processes import SECRET_KEY, service
from tests.support.waha_payloads import WaMessage, encode, headers_for, message_event

from wa_crm.container import build_container, close_resources
from wa_crm.domain.model.association import WhatsAppSettings
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.settings import Settings

pytestmark = pytest.mark.postgres

SECRET = "duo-secret"
SESSION = "duo-session"
AGENTS = ("a1", "a2", "a3", "a4", "a5")
LIMIT = 5
CONVERSATIONS = 30
PROCESS = {"WA_CRM_WORKERS": "4", "WA_CRM_JOB_POLL_SECONDS": "0.02", "WA_CRM_REDIS_URL": ""}


@pytest.fixture
async def tokens(postgres_url: str) -> AsyncIterator[dict[str, str]]:
    """Agent name -> API token; ``id:<name>`` -> agent id."""
    container = build_container(Settings(database_url=postgres_url, secret_key=SECRET_KEY))
    try:
        whatsapp = WhatsAppSettings("http://waha.invalid", "k", SESSION, SECRET)
        (
            await container.create_association()(NewAssociation("duo", "Duo", whatsapp=whatsapp))
        ).unwrap()
        found = {}
        for name in ("admin", *AGENTS):
            role = "admin" if name == "admin" else "agent"
            new = NewAgent("duo", f"{name}@duo.org", name, role, "password1")
            found[f"id:{name}"] = (await container.create_agent()(new)).unwrap().id
            found[name] = (await container.issue_api_token()("duo", f"{name}@duo.org")).unwrap()
        yield found
    finally:
        await close_resources(container)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def held(engine: AsyncEngine) -> dict[str | None, int]:
    """Open conversations per assignee (None: waiting), straight from the database."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT assignee_id, count(*) FROM conversations "
                "WHERE status IN ('pending', 'human') GROUP BY assignee_id"
            )
        )
        return {row[0]: row[1] for row in rows}


async def test_two_processes_route_at_once_without_double_routing_or_overload(
    postgres_url: str, postgres_engine: AsyncEngine, tokens: dict[str, str]
) -> None:
    ids = {name: tokens[f"id:{name}"] for name in AGENTS}
    with service(postgres_url, **PROCESS) as first, service(postgres_url, **PROCESS) as second:
        async with httpx.AsyncClient(timeout=20) as http:

            def api(base: str, path: str) -> str:
                return f"{base}/api/associations/duo/{path}"

            admin = bearer(tokens["admin"])
            for path, body in (
                ("bot", {"enabled": False}),
                ("assignment", {"enabled": True, "max_open_per_agent": LIMIT}),
            ):
                response = await http.put(api(first, path), json=body, headers=admin)
                assert response.status_code == 200, response.text
            inboxes = {
                name: Inbox(http, api(base, "events"), tokens[name])
                for name, base in (("a1", first), ("a2", first), ("a3", second), ("a4", second))
            }

            async def online(*names: str) -> bool:
                response = await http.get(api(second, "agents"), headers=admin)
                now = {agent["name"] for agent in response.json()["items"] if agent["online"]}
                return now == set(names)

            await eventually(lambda: online("a1", "a2", "a3", "a4"), within=20)

            async def patient_writes(number: int) -> None:
                chat = f"55119866{number:05d}@c.us"
                message = WaMessage(chat_id=chat, body="Oi")
                now = datetime.now(UTC)
                raw = encode(message_event(message, session=SESSION, emitted_at=now))
                base = (first, second)[number % 2]
                response = await http.post(
                    f"{base}/api/webhooks/whatsapp", content=raw, headers=headers_for(raw, SECRET)
                )
                assert response.status_code == 200, response.text

            await asyncio.gather(*(patient_writes(n) for n in range(CONVERSATIONS)))

            full = {ids[name]: LIMIT for name in ("a1", "a2", "a3", "a4")}
            waiting = CONVERSATIONS - 4 * LIMIT

            def alerts() -> Counter[tuple[str, str]]:
                """(conversation, agent) -> assigned alerts, from one inbox on each process."""
                seen: Counter[tuple[str, str]] = Counter()
                for name in ("a1", "a3"):
                    for event in inboxes[name].events:
                        data: dict[str, Any] = event["data"]
                        if event["type"] == "alert" and data["kind"] == "assigned":
                            seen[data["conversation_id"], data["agent_id"]] += 1
                return seen

            async def all_routed() -> bool:
                return sum(alerts().values()) >= 4 * LIMIT

            await eventually(all_routed, within=30)
            await asyncio.sleep(0.5)  # anything late would show now
            routed = alerts()
            assert await held(postgres_engine) == {**full, None: waiting}, "limits kept"
            assert set(routed.values()) == {1}, "every routing announced once"
            by_conversation = Counter(conversation for conversation, _ in routed)
            assert len(by_conversation) == 4 * LIMIT
            assert set(by_conversation.values()) == {1}, "no conversation routed twice"

            # a4 closes the inbox; ten minutes pass for them (their record is moved back).
            await inboxes.pop("a4").close()
            await eventually(lambda: online("a1", "a2", "a3"), within=20)
            async with postgres_engine.begin() as connection:
                await connection.execute(
                    text(
                        "UPDATE agent_presence SET left_at = left_at - interval '10 minutes' "
                        "WHERE agent_id = :agent"
                    ),
                    {"agent": ids["a4"]},
                )
            # Saving the settings runs the periodic check now (default: 30 minutes offline).
            response = await http.put(
                api(second, "assignment"), json={"offline_reassign_minutes": 5}, headers=admin
            )
            assert response.status_code == 200
            del full[ids["a4"]]
            requeued = {**full, None: waiting + LIMIT}
            await eventually(lambda: _held_is(postgres_engine, requeued), within=20)

            inboxes["a5"] = Inbox(http, api(second, "events"), tokens["a5"])
            taken = {**full, ids["a5"]: LIMIT, None: waiting}
            await eventually(lambda: _held_is(postgres_engine, taken), within=20)
            for inbox in inboxes.values():
                await inbox.close()


async def _held_is(engine: AsyncEngine, expected: dict[str | None, int]) -> bool:
    return await held(engine) == expected
