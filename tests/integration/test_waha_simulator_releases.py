"""The simulator refuses what real WAHA refused (shared/waha/recorded/): Core's one session,
starting a running session, and what an older release (2024.10.8) lacks. Over real HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wa_crm.testing import SimulatorConfig, running_simulator, serve_app

PATIENT = "5511999998888@c.us"
CORE = SimulatorConfig(tier="CORE", ack_levels=())
RECORDED_RELEASE = SimulatorConfig(version="2024.10.8", engine="NOWEB", ack_levels=())
CORE_REFUSAL = {
    "statusCode": 422,
    "message": "WAHA Core support only 'default' session. If you want to run more then one "
    "WhatsApp account - please get WAHA PLUS version.",
    "error": "Unprocessable Entity",
}


async def waha(config: SimulatorConfig) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_simulator(config) as url,
        httpx.AsyncClient(base_url=url, timeout=5) as client,
    ):
        yield client


@pytest.fixture
async def core() -> AsyncIterator[httpx.AsyncClient]:
    async for client in waha(CORE):
        yield client


@pytest.fixture
async def recorded_release() -> AsyncIterator[httpx.AsyncClient]:
    async for client in waha(RECORDED_RELEASE):
        yield client


async def test_the_version_route_names_tier_engine_and_version() -> None:
    async for client in waha(CORE):
        assert (await client.get("/api/server/version")).json() == {
            "version": "2026.9.2",
            "engine": "WEBJS",
            "tier": "CORE",
            "browser": "/usr/bin/chromium",
            "platform": "linux/x64",
            "worker": {"id": "waha-simulator"},
        }
    async for client in waha(RECORDED_RELEASE):  # as in recorded/webhooks.jsonl's environment
        assert (await client.get("/api/server/version")).json() == {
            "version": "2024.10.8",
            "engine": "NOWEB",
            "tier": "PLUS",
            "browser": None,
        }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/sessions", {"name": "amigos", "start": False}),
        ("PUT", "/api/sessions/amigos", {"config": {}}),
        ("POST", "/api/sessions/amigos/start", None),
    ],
)
async def test_core_refuses_any_session_but_default(
    core: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    answer = await core.request(method, path, json=body)

    assert answer.status_code == 422
    assert answer.json() == CORE_REFUSAL
    assert [s["name"] for s in (await core.get("/api/sessions?all=true")).json()] == ["default"]


async def test_core_runs_default_and_names_a_new_session_default(
    core: httpx.AsyncClient,
) -> None:
    assert (await core.delete("/api/sessions/default")).status_code == 200

    created = await core.post("/api/sessions", json={"start": False})

    assert (created.status_code, created.json()["name"]) == (201, "default")


async def test_plus_runs_several_sessions() -> None:
    async for client in waha(SimulatorConfig(ack_levels=())):
        created = await client.post("/api/sessions", json={"name": "amigos"})
        assert (created.status_code, created.json()["status"]) == (201, "SCAN_QR_CODE")


async def test_starting_a_running_session_is_refused_as_recorded(core: httpx.AsyncClient) -> None:
    answer = await core.post("/api/sessions/default/start")

    assert answer.status_code == 422
    assert answer.json() == {
        "statusCode": 422,
        "message": "Session 'default' is already started.",
        "error": "Unprocessable Entity",
    }
    assert (await core.get("/api/sessions/default")).json()["status"] == "WORKING"


async def test_a_stopped_session_starts(core: httpx.AsyncClient) -> None:
    await core.post("/api/sessions/default/stop")

    started = await core.post("/api/sessions/default/start")

    assert (started.status_code, started.json()["status"]) == (201, "WORKING")


async def test_a_release_without_message_edited_refuses_a_config_naming_it(
    recorded_release: httpx.AsyncClient,
) -> None:
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["message.any", "message.edited"]}

    answer = await recorded_release.put(
        "/api/sessions/default", json={"config": {"webhooks": [hook]}}
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "Bad Request"
    (message,) = answer.json()["message"]
    assert message.startswith("each value in events must be one of the following values: ")
    assert "message.any" in message and "message.edited" not in message
    hook["events"] = ["message.any"]
    accepted = await recorded_release.put(
        "/api/sessions/default", json={"config": {"webhooks": [hook]}}
    )
    assert accepted.status_code == 200


async def test_the_current_release_knows_message_edited() -> None:
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["message.edited"]}
    async for client in waha(SimulatorConfig(ack_levels=())):
        answer = await client.put("/api/sessions/default", json={"config": {"webhooks": [hook]}})
        assert answer.status_code == 200


async def test_a_release_without_lids_answers_an_unknown_route(
    recorded_release: httpx.AsyncClient,
) -> None:
    answer = await recorded_release.get("/api/default/lids/123%40lid")

    assert answer.status_code == 404
    assert answer.json()["message"].startswith("Cannot GET /api/default/lids/")


async def test_noweb_of_the_recorded_release_needs_the_message_id_to_mark_read(
    recorded_release: httpx.AsyncClient,
) -> None:
    seen = {"chatId": PATIENT, "session": "default"}

    assert (await recorded_release.post("/api/sendSeen", json=seen)).status_code == 400
    with_ids = {**seen, "messageIds": [f"false_{PATIENT}_AAAA"], "messageId": "x"}
    assert (await recorded_release.post("/api/sendSeen", json=with_ids)).status_code == 201


async def test_the_recorded_release_neither_signs_nor_names_its_webhooks() -> None:
    received: list[tuple[dict[str, str], dict[str, Any]]] = []

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), json.loads(await request.body())))
        return Response()

    async with serve_app(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as url:
        config = RECORDED_RELEASE.replace(hook_url=f"{url}/hook", hook_hmac_key="secret")
        async for client in waha(config):
            await client.post("/_sim/default/inbound", json={"from": PATIENT, "text": "oi"})
            await client.post("/_sim/wait-idle", json={"timeout": 5})
    await asyncio.sleep(0)

    assert received
    for headers, envelope in received:
        assert "id" not in envelope and "timestamp" not in envelope
        assert not any(name.startswith("x-webhook-") for name in headers)
        assert headers["user-agent"] == "WAHA/2024.10.8"
        assert envelope["environment"]["version"] == "2024.10.8"


def test_a_tier_or_version_waha_never_had_is_refused() -> None:
    with pytest.raises(ValueError, match="tier"):
        SimulatorConfig(tier="GOLD")
    with pytest.raises(ValueError, match="not a WAHA version"):
        SimulatorConfig(version="latest")
