"""Issue 14, finding 2: server-side request forgery through a ``message`` webhook's media URL.

The media job fetches the URL a signed webhook names, with the association's WAHA API key.
WAHA builds that URL from ``WAHA_BASE_URL``, and a webhook is only as trusted as whoever holds
its key (an admin of the association, or whoever controls its WAHA), so the URL is the
attacker's. Before the fix, ``…/api/files/../api/sessions/other`` fetched another
association's session config (with its webhook HMAC key) from the shared WAHA server and
served it back through ``GET media/{id}``; a server that streamed forever held the job (its
whole body was read before the size check); a redirect's body was stored as the file.

The whole service runs on a real port; the WAHA simulator signs and sends the webhooks, a
recorder in front of it notes every WAHA request, and a hostile "WAHA" answers the downloads
where a test needs one.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from tests.integration.delivery_support import (
    API_KEY,
    SECRET,
    SECRET_KEY,
    SESSION,
    Waha,
    create_association,
    eventually,
    recording_simulator,
)

from wa_crm.adapters.waha.webhooks import SUBSCRIBED_EVENTS
from wa_crm.container import Container, build_container
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.media_refusal import MediaProblem
from wa_crm.domain.model.message import Media
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.entrypoints.http.app import create_app
from wa_crm.settings import Settings
from wa_crm.testing import SimulatorConfig, serve_app

PATIENT = "5511977776666@c.us"
OTHER_SESSION = "other"
OTHER_SECRET = "the-other-associations-webhook-key"
MEDIA_LIMIT = 64 * 1024
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 16


@dataclass
class Service:
    url: str
    container: Container
    association: Association
    token: str
    waha: Waha

    async def photo_arrives(self) -> None:
        """The patient sends a photo; WAHA signs the webhook and names the media URL."""
        photo = {"mimetype": "image/jpeg", "filename": "foto.jpg", "data": _b64(PHOTO)}
        response = await self.waha.http.post(
            f"/_sim/{SESSION}/inbound", json={"from": PATIENT, "media": photo}
        )
        response.raise_for_status()

    async def settled_media(self) -> tuple[str, Media]:
        """The photo message's id and media, once the media job stored it or gave up."""
        found: list[tuple[str, Media]] = []

        async def settled() -> bool:
            async with self.container.uow_factory()() as uow:
                contact = await uow.contacts.find_by_chat_id(self.association.id, PATIENT)
                if contact is None:
                    return False
                (conversation,) = await uow.conversations.list_for_contact(
                    self.association.id, contact.id
                )
                messages = await uow.messages.list_for_conversation(
                    self.association.id, conversation.id, before=None, limit=5
                )
            found[:] = [(m.id, m.media) for m in messages if m.media is not None]
            return bool(found) and (found[0][1].stored or found[0][1].error is not None)

        await eventually(settled, within=15, what="the media job to store or refuse the file")
        return found[0]

    async def served_media(self, message_id: str) -> httpx.Response:
        route = f"{self.url}/api/associations/{self.association.slug}/media/{message_id}"
        return await self.waha.http.get(route, headers={"Authorization": f"Bearer {self.token}"})


@asynccontextmanager
async def running_service(
    tmp_path: Path, sqlite_url: str, *, waha_base_url: str | None = None, waha_at: str = ""
) -> AsyncIterator[Service]:
    """``waha_base_url``: the simulator's ``WAHA_BASE_URL`` (what it puts in ``media.url``);
    ``waha_at``: the WAHA address the association is configured with, when not the simulator."""
    settings = Settings(
        database_url=sqlite_url,
        workers=1,
        job_poll_seconds=0.02,
        secret_key=SECRET_KEY,
        media_dir=str(tmp_path / "media"),
        media_max_bytes=MEDIA_LIMIT,
    )
    container = build_container(settings)
    async with serve_app(create_app(container)) as service_url:
        simulator = SimulatorConfig(
            api_key=API_KEY,
            hook_url=f"{service_url}/api/webhooks/whatsapp",
            hook_events=SUBSCRIBED_EVENTS,
            hook_hmac_key=SECRET,
            hook_retries_delay_seconds=0.05,
            ack_levels=(),
            base_url=waha_base_url,
        )
        async with recording_simulator(simulator) as waha:
            await _another_associations_session(waha)
            association = await create_association(
                container, waha_at or waha.url, messages_per_second=20, chat_gap_seconds=0
            )
            await container.create_agent()(
                NewAgent(association.slug, "ana@entrega.org", "Ana", "agent", "agent-password")
            )
            token = (
                await container.issue_api_token()(association.slug, "ana@entrega.org")
            ).unwrap()
            yield Service(service_url, container, association, token, waha)


async def _another_associations_session(waha: Waha) -> None:
    """Another association's session on the same WAHA server, with its own webhook key."""
    webhook = {
        "url": "http://127.0.0.1:9/hook",
        "events": ["message"],
        "hmac": {"key": OTHER_SECRET},
    }
    response = await waha.http.post(
        "/api/sessions",
        json={"name": OTHER_SESSION, "config": {"webhooks": [webhook]}},
        headers={"X-Api-Key": API_KEY},
    )
    response.raise_for_status()


# What a hostile or misconfigured WAHA_BASE_URL makes of `{WAHA_BASE_URL}/api/files/default/<id>`
CRAFTED_BASE_URLS = [
    "http://waha.public.example/api/files/../sessions/other#",
    "http://waha.public.example/api/files/%2e%2e/sessions/other#",
    "http://waha.public.example/api/files/default/..%2f..%2fsessions%2fother#",
    "http://waha.public.example/api/files/other/stolen.jpeg#",
    "http://waha.public.example/api/files/default/x.jpeg?x-api-key=other&",
]


@pytest.mark.parametrize("waha_base_url", CRAFTED_BASE_URLS)
async def test_a_crafted_media_url_fetches_nothing_outside_the_sessions_files(
    tmp_path: Path, sqlite_url: str, waha_base_url: str
) -> None:
    async with running_service(tmp_path, sqlite_url, waha_base_url=waha_base_url) as service:
        await service.photo_arrives()
        message_id, media = await service.settled_media()

        stray = [
            f"{request.method} {request.path}"
            for request in service.waha.recorder.requests
            if request.path.startswith("/api/files/") or OTHER_SESSION in request.path
        ]
        assert stray == [], "the media job made a request for the crafted URL"
        assert not media.stored and media.error and "media URL" in media.error
        served = await service.served_media(message_id)
        assert served.status_code == 404, served.text
        assert OTHER_SECRET not in served.text


async def test_the_genuine_media_url_is_still_fetched(tmp_path: Path, sqlite_url: str) -> None:
    async with running_service(tmp_path, sqlite_url) as service:
        await service.photo_arrives()
        message_id, media = await service.settled_media()

        assert media.stored and media.error is None
        served = await service.served_media(message_id)
        assert served.status_code == 200 and served.content == PHOTO


@dataclass
class HostileWaha:
    """A "WAHA" an admin pointed the association at: its files stream forever or redirect."""

    url: str
    sent_bytes: int = 0
    stream_ended: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)


@asynccontextmanager
async def hostile_waha(answer: str, target: str = "") -> AsyncIterator[HostileWaha]:
    hostile = HostileWaha("")

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                hostile.sent_bytes += 16 * 1024
                yield b"\xff" * (16 * 1024)
                await asyncio.sleep(0)
        finally:
            hostile.stream_ended.set()

    async def file(request: Request) -> Response:
        if answer == "redirect":
            return RedirectResponse(target, status_code=302)
        return StreamingResponse(endless(), media_type="image/jpeg")

    async def anything_else(request: Request) -> Response:
        return JSONResponse({"statusCode": 404, "message": "Not Found"}, status_code=404)

    app = Starlette(
        routes=[
            Route("/api/files/{session}/{name}", file),
            Route("/{path:path}", anything_else, methods=["GET", "POST", "PUT"]),
        ]
    )
    async with serve_app(app) as url:
        hostile.url = url
        yield hostile


async def test_a_body_over_the_limit_is_cut_off_while_streaming(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with (
        hostile_waha("stream") as hostile,
        running_service(tmp_path, sqlite_url, waha_at=hostile.url) as service,
    ):
        await service.photo_arrives()
        message_id, media = await service.settled_media()

        assert not media.stored and media.error == MediaProblem.TOO_LARGE
        await asyncio.wait_for(hostile.stream_ended.wait(), timeout=5)
        assert hostile.sent_bytes < 50 * MEDIA_LIMIT, "the download was cut off early"
        assert (await service.served_media(message_id)).status_code == 404


async def test_a_redirect_is_refused_not_followed(tmp_path: Path, sqlite_url: str) -> None:
    async with recording_simulator() as inner:
        target = f"{inner.url}/api/sessions/{OTHER_SESSION}"
        async with (
            hostile_waha("redirect", target) as hostile,
            running_service(tmp_path, sqlite_url, waha_at=hostile.url) as service,
        ):
            await service.photo_arrives()
            message_id, media = await service.settled_media()

            assert not media.stored and media.error and "redirect" in media.error
            assert inner.recorder.requests == [], "the redirect was followed"
            assert (await service.served_media(message_id)).status_code == 404


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
