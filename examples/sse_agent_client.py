"""A custom agent client: follow an association's live events over SSE and answer patients.

What it shows:

- ``GET /api/associations/{slug}/events`` with a bearer token (``wa-crm agent token SLUG
  EMAIL`` prints one) is a Server-Sent Events stream read here with plain httpx: each event
  has an ``id:``, an ``event:`` (its type) and one JSON ``data:`` line ``{"id", "type",
  "association", "data", "at"}``; lines starting with ``:`` are keep-alive pings.
- The client prints conversation and message events, and answers each patient message
  through the agent API: ``POST /api/associations/{slug}/conversations/{id}/messages``
  ``{"text": ...}`` (201, the queued message). Answering takes the conversation (``human``).
- When the connection drops it reconnects with ``Last-Event-ID`` set to the last event it
  saw, and the service replays what it missed (while its event bus still holds it: the
  in-process bus keeps the last 1,000 events per association, Redis Streams keep more).

Run it against a running service (``make run``, then
``.venv/bin/wa-crm agent token demo admin@demo.local`` in the same folder for a token):

    .venv/bin/python examples/sse_agent_client.py --url http://127.0.0.1:8000 --slug demo \\
        --token wac_... --answer "Olá! Sou da equipe, já vou ajudar."

or with ``--demo``, which starts the service and the WAHA simulator itself (SQLite in a
temporary folder), plays a patient, and cuts the connection once to show the resumption:

    .venv/bin/python examples/sse_agent_client.py --demo
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import httpx

RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    data: dict[str, Any]


class Next(Enum):
    """What the client does after handling an event."""

    CONTINUE = "continue"
    RECONNECT = "reconnect"  # close the connection and open it again (the demo's dropped line)
    STOP = "stop"


async def read_events(response: httpx.Response) -> AsyncIterator[Event]:
    """Parse an SSE stream: fields until a blank line make one event; ``:`` lines are pings."""
    fields: dict[str, list[str]] = {}
    async for line in response.aiter_lines():
        if line == "":
            if "data" in fields:
                payload = json.loads("\n".join(fields["data"]))
                yield Event(fields.get("id", [""])[-1], payload["type"], payload["data"])
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value.removeprefix(" "))


def describe(event: Event) -> str:
    data = event.data
    match event.type:
        case "conversation.created" | "conversation.updated":
            return f"conversation {data['id'][-6:]} is {data['status']}"
        case "message.created":
            return f"{data['author']} ({data['direction']}): {data['body']}"
        case "message.updated":
            return f"message {data['id'][-6:]} is {data['status']}"
        case _:
            return json.dumps(data, ensure_ascii=False)[:80]


def is_from_patient(event: Event) -> bool:
    return event.type == "message.created" and event.data["author"] == "contact"


class AgentClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, slug: str, token: str) -> None:
        self.http = http
        self.api = f"{base_url.rstrip('/')}/api/associations/{slug}"
        self.auth = {"Authorization": f"Bearer {token}"}
        self.last_event_id: str | None = None

    async def answer(self, conversation_id: str, text: str) -> dict[str, Any]:
        response = await self.http.post(
            f"{self.api}/conversations/{conversation_id}/messages",
            json={"text": text},
            headers=self.auth,
        )
        response.raise_for_status()  # 201
        message: dict[str, Any] = response.json()
        return message

    async def follow(
        self,
        handle: Callable[[Event], Awaitable[Next]],
        on_connect: Callable[[], Awaitable[None]] | None = None,
        while_offline: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Hand every event to ``handle``, reconnecting (with Last-Event-ID) until it says
        STOP; ``on_connect`` runs once each connection is open, ``while_offline`` between a
        connection and the next."""
        while True:
            headers = {**self.auth, "Accept": "text/event-stream"}
            if self.last_event_id is not None:
                headers["Last-Event-ID"] = self.last_event_id
                print(f"-- reconnecting with Last-Event-ID: {self.last_event_id}")
            try:
                async with self.http.stream(
                    "GET", f"{self.api}/events", headers=headers, timeout=httpx.Timeout(10, read=60)
                ) as response:
                    response.raise_for_status()
                    if on_connect is not None:
                        await on_connect()
                    async for event in read_events(response):
                        self.last_event_id = event.id
                        print(f"[{event.id}] {event.type}: {describe(event)}")
                        match await handle(event):
                            case Next.STOP:
                                return
                            case Next.RECONNECT:
                                print("-- connection closed")
                                break
            except httpx.TransportError as error:  # the server went away; try again
                print(f"-- connection lost ({type(error).__name__})")
            if while_offline is not None:
                await while_offline()
            await asyncio.sleep(RETRY_SECONDS)


async def run(base_url: str, slug: str, token: str, answer: str) -> None:
    """Answer every patient message with ``answer``, until interrupted."""
    async with httpx.AsyncClient() as http:
        client = AgentClient(http, base_url, slug, token)

        async def handle(event: Event) -> Next:
            if is_from_patient(event):
                try:
                    await client.answer(event.data["conversation_id"], answer)
                except httpx.HTTPStatusError as error:  # e.g. the contact opted out: 409
                    print(f"-- not answered: {error.response.text}")
            return Next.CONTINUE

        await client.follow(handle)


# --- --demo: the service and the WAHA simulator in this process ------------------------------


async def demo(data_dir: Path) -> list[str]:
    """Returns the texts the patient's phone received."""
    # Imported here: the client above needs nothing but httpx.
    from wa_crm.adapters.sql import upgrade
    from wa_crm.adapters.waha.webhooks import SUBSCRIBED_EVENTS
    from wa_crm.container import build_container
    from wa_crm.domain.model.association import BotSettings, WhatsAppSettings
    from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
    from wa_crm.entrypoints.http import create_app
    from wa_crm.settings import Settings
    from wa_crm.testing import SimulatorConfig, running_simulator, serve_app

    patient, key, secret = "5511955554444@c.us", "demo-waha-key", "demo-webhook-secret"
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{data_dir / 'wa_crm.db'}",
        media_dir=str(data_dir / "media"),
        secret_key="example-secret-key-change-me-0123456789",
        job_poll_seconds=0.02,
    )
    await upgrade(settings.database_url)
    container = build_container(settings)
    async with serve_app(create_app(container)) as service_url:
        waha_config = SimulatorConfig(
            api_key=key,
            hook_url=f"{service_url}/api/webhooks/whatsapp",
            hook_events=SUBSCRIBED_EVENTS,
            hook_hmac_key=secret,
            ack_delay_seconds=0.01,
        )
        async with running_simulator(waha_config) as waha, httpx.AsyncClient() as http:
            whatsapp = WhatsAppSettings(waha, key, "default", secret)
            association = (
                await container.create_association()(
                    NewAssociation("demo", "Associação Demo", whatsapp=whatsapp)
                )
            ).unwrap()
            # No bot: every conversation waits for an agent.
            (
                await container.update_bot_settings()(association.id, BotSettings(enabled=False))
            ).unwrap()
            await container.create_agent()(
                NewAgent("demo", "ana@demo.example", "Ana", "agent", "ana-password")
            )
            token = (await container.issue_api_token()("demo", "ana@demo.example")).unwrap()

            async def patient_writes(text: str) -> None:
                print(f"-- the patient writes: {text}")
                body = {"from": patient, "text": text, "push_name": "Maria"}
                (await http.post(f"{waha}/_sim/default/inbound", json=body)).raise_for_status()

            async def while_offline() -> None:
                await patient_writes("Obrigada! E quando chega a minha carteirinha?")
                await http.post(f"{waha}/_sim/wait-idle", json={"timeout": 5})  # webhook done

            client = AgentClient(http, service_url, "demo", token)
            answers = iter(["Olá, Maria! Sou a Ana, da equipe.", "Chega em até 15 dias."])
            answered: list[str] = []  # ids of our answers

            async def handle(event: Event) -> Next:
                if is_from_patient(event):
                    message = await client.answer(event.data["conversation_id"], next(answers))
                    answered.append(message["id"])
                    # After the first answer, drop the line as a flaky network would.
                    return Next.RECONNECT if len(answered) == 1 else Next.CONTINUE
                last_answer_read = (
                    len(answered) == 2
                    and event.type == "message.updated"
                    and event.data["id"] == answered[1]
                    and event.data["status"] == "read"
                )
                return Next.STOP if last_answer_read else Next.CONTINUE

            async def on_connect() -> None:
                if client.last_event_id is None:  # the first connection
                    await patient_writes("Oi, preciso de ajuda com a minha filiação.")

            await asyncio.wait_for(client.follow(handle, on_connect, while_offline), timeout=20)

            sent = (await http.get(f"{waha}/_sim/default/sent")).json()
            received = [s["text"] for s in sent if s["kind"] == "text"]
            print(f"-- the patient's phone received: {received}")
            return received


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="start a service and simulator here")
    parser.add_argument("--url", help="the wa_crm service, e.g. http://127.0.0.1:8000")
    parser.add_argument("--slug", help="the association")
    parser.add_argument("--token", help="an agent's API token (wa-crm agent token SLUG EMAIL)")
    parser.add_argument("--answer", default="Olá! Já vou ajudar você.")
    args = parser.parse_args(argv)
    if args.demo:
        with tempfile.TemporaryDirectory(prefix="wa_crm_sse_") as scratch:
            asyncio.run(demo(Path(scratch)))
    elif args.url and args.slug and args.token:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C ends it
            asyncio.run(run(args.url, args.slug, args.token, args.answer))
    else:
        parser.error("give --demo, or --url, --slug and --token")


if __name__ == "__main__":
    main()
