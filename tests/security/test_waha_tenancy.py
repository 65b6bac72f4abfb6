"""Issue 14, finding 1: one association's admin must not take over another's WhatsApp session.

Association B (``e2e``) runs its session on the WAHA simulator at ``http://127.0.0.1:<port>``.
Association A's admin tries every spelling of that server, then an alias no URL rule can see
(the machine's host name), to read B's status and phone, its QR, to send from B's number and to
replace B's webhook key with Start. ``/readyz`` must not hand out B's session name, and the
connection test must not describe what other services on the network answer.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from tests.e2e.harness import API_KEY, running_unconfigured_service

from wa_crm.container import Container
from wa_crm.domain.model.job_commands import PollSession
from wa_crm.domain.model.jobs import Attempt
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.testing import SimulatorConfig, running_simulator, serve_app

SESSION = "default"
B_PHONE = "5511955554444"
FOREIGN_MARK = "internal-service-7f3a"


@dataclass
class Admin:
    http: httpx.AsyncClient
    slug: str
    token: str

    async def call(self, method: str, path: str, json: Any = None) -> httpx.Response:
        url = f"/api/associations/{self.slug}/{path}"
        headers = {"Authorization": f"Bearer {self.token}"}
        return await self.http.request(method, url, json=json, headers=headers)


@dataclass
class World:
    b: Admin
    a: Admin
    waha: httpx.AsyncClient
    waha_port: int
    container: Container

    async def b_webhook_keys(self) -> list[str | None]:
        session = (await self.waha.get(f"/api/sessions/{SESSION}")).json()
        return [(hook.get("hmac") or {}).get("key") for hook in session["config"]["webhooks"]]


async def _admin(container: Container, http: httpx.AsyncClient, slug: str) -> Admin:
    email = f"admin@{slug}.org"
    await container.create_agent()(NewAgent(slug, email, "Admin", "admin", "admin-password"))
    token = (await container.issue_api_token()(slug, email)).unwrap()
    return Admin(http, slug, token)


@pytest.fixture
async def world(sqlite_url: str, tmp_path: Path) -> AsyncIterator[World]:
    """B has set up, started and linked its session; A is a fresh association."""
    async with (
        running_unconfigured_service(sqlite_url, tmp_path / "media") as service,
        # on every interface, so that the machine's host name reaches it too
        running_simulator(
            SimulatorConfig(api_key=API_KEY, default_session=False), host="0.0.0.0"
        ) as simulator_url,
        httpx.AsyncClient(base_url=service.service_url) as http,
    ):
        port = httpx.URL(simulator_url).port
        assert port is not None
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"X-Api-Key": API_KEY}
        ) as waha:
            container = service.container
            b = await _admin(container, http, "e2e")
            settings = {
                "base_url": f"http://127.0.0.1:{port}",
                "session": SESSION,
                "api_key": API_KEY,
            }
            assert (await b.call("PUT", "whatsapp", settings)).status_code == 200
            assert (await b.call("POST", "whatsapp/session/start")).status_code == 200
            scanned = await waha.post(f"/_sim/{SESSION}/scan", json={"phone": B_PHONE})
            assert scanned.status_code < 300, scanned.text
            assert (await b.call("GET", "whatsapp/status")).json()["phone"].startswith(B_PHONE)
            await container.create_association()(NewAssociation("rival", "Rival"))
            a = await _admin(container, http, "rival")
            yield World(b, a, waha, port, container)


async def _poll_session_of(container: Container, slug: str) -> None:
    """What the periodic poll does for the association (it runs every minute)."""
    async with container.uow_factory()() as uow:
        association = await uow.associations.get_by_slug(slug)
    assert association is not None
    await container.poll_session()(PollSession(association.id), Attempt(1, 1))


def _reveals_b(response: httpx.Response) -> bool:
    text = response.text
    return B_PHONE in text or "e2e" in text.lower() or "Associação E2E" in text


async def test_readyz_names_no_association_and_no_session(world: World) -> None:
    ready = await world.a.http.get("/readyz")

    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


@pytest.mark.parametrize(
    "spelling", ["http://localhost:{port}", "http://127.0.0.1:{port}/", "HTTP://127.0.0.1:{port}"]
)
async def test_no_spelling_of_bs_server_claims_its_session(world: World, spelling: str) -> None:
    claim = {"base_url": spelling.format(port=world.waha_port), "session": SESSION}

    saved = await world.a.call("PUT", "whatsapp", {**claim, "api_key": API_KEY})
    tried = await world.a.call("POST", "whatsapp/test", {**claim, "api_key": API_KEY})

    for refused in (saved, tried):
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "session_taken"
        assert not _reveals_b(refused)
    assert (await world.a.call("GET", "whatsapp")).json()["base_url"] == ""


async def test_an_alias_no_url_rule_sees_still_gets_nothing_of_bs_session(world: World) -> None:
    """The machine's host name reaches the same WAHA: saving it is allowed (nothing in the URL
    says otherwise), but WAHA's answer shows the session carries B's key and number."""
    alias = f"http://{socket.gethostname()}:{world.waha_port}"
    keys_before = await world.b_webhook_keys()
    saved = await world.a.call(
        "PUT", "whatsapp", {"base_url": alias, "session": SESSION, "api_key": API_KEY}
    )
    assert saved.status_code == 200, saved.text

    attempts = [
        await world.a.call("POST", "whatsapp/session/start"),
        await world.a.call("GET", "whatsapp/status"),
        await world.a.call("GET", "whatsapp/qr"),
        await world.a.call("POST", "whatsapp/test"),
        await world.a.call("POST", "whatsapp/test-message", {"phone": "+5511977776666"}),
        await world.a.call("POST", "whatsapp/logout"),
    ]

    for refused in attempts:
        assert refused.status_code == 409, (refused.request.url, refused.text)
        assert refused.json()["error"]["code"] == "session_taken"
        assert not _reveals_b(refused)
    await _poll_session_of(world.container, "rival")
    assert await world.b_webhook_keys() == keys_before
    assert (await world.waha.get(f"/_sim/{SESSION}/sent")).json() == []
    assert (await world.a.call("GET", "whatsapp")).json()["phone"] is None
    status = (await world.b.call("GET", "whatsapp/status")).json()
    assert (status["status"], status["phone"].startswith(B_PHONE)) == ("WORKING", True)


def _not_waha(mode: str) -> Starlette:
    """An internal service that is not WAHA, answering every path the same way."""

    async def answer(request: Request) -> Response:
        if mode == "401":
            return JSONResponse({"message": FOREIGN_MARK}, 401, {"X-Mark": FOREIGN_MARK})
        if mode == "500":
            return PlainTextResponse(f"error 463 {FOREIGN_MARK}", 500)
        if mode == "json":
            return JSONResponse({"version": FOREIGN_MARK, "engine": FOREIGN_MARK})
        return PlainTextResponse(f"<html>{FOREIGN_MARK}</html>", headers={"X-Mark": FOREIGN_MARK})

    return Starlette(routes=[Route("/{path:path}", answer)])


@pytest.mark.parametrize("mode", ["401", "500", "json", "html"])
async def test_the_connection_test_does_not_describe_other_services(
    world: World, mode: str
) -> None:
    async with serve_app(_not_waha(mode)) as url:
        check = await world.a.call(
            "POST", "whatsapp/test", {"base_url": url, "session": "rival", "api_key": "k"}
        )

    assert check.status_code == 200, check.text
    assert (check.json()["ok"], check.json()["code"]) == (False, "not_waha")
    assert FOREIGN_MARK not in check.text
