"""The WAHA simulator over real HTTP (uvicorn on free 127.0.0.1 ports)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tests.contract import waha_spec

from wa_crm.testing import (
    SimulatorConfig,
    create_simulator_app,
    running_simulator,
    serve_app,
    sign_body,
    simulator_in_thread,
)

API_KEY = "test-api-key"
PATIENT = "5511999998888@c.us"
EVT_ID = re.compile(r"^evt_[0-9a-hjkmnp-tv-z]{26}$")
MSG_ID = re.compile(r"^true_(?P<chat>.+@[a-z.]+)_(?P<hex>[0-9A-F]{20,32})$")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

FAST = SimulatorConfig(
    ack_delay_seconds=0.01,
    hook_retries_attempts=3,
    hook_retries_delay_seconds=0.01,
    webhook_timeout_seconds=2,
)


# ------------------------------------------------------------------------------ helpers


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """A webhook receiver; answers the queued statuses first, then 200."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.received.append(Received(dict(request.headers), await request.body()))
            return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        return [r.json for r in self.received if name is None or r.json["event"] == name]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hooks = Receiver()
    async with serve_app(hooks.app()) as url:
        hooks.url = f"{url}/hook"
        yield hooks


async def wait_until(check: Callable[[], Any], seconds: float = 3.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def _is_waha_call(path: str) -> bool:
    return not path.startswith("/_sim") and not path.startswith("/api/files/")


def waha_client(url: str, api_key: str | None = None, *, spec: bool = True) -> httpx.AsyncClient:
    """A client whose WAHA calls are checked against the spec (request, and 2xx statuses)."""

    async def check_request(request: httpx.Request) -> None:
        if _is_waha_call(request.url.path):
            waha_spec.assert_request_matches_spec(request)

    async def check_response(response: httpx.Response) -> None:
        if _is_waha_call(response.request.url.path) and response.is_success:
            waha_spec.assert_response_matches_spec(response)

    hooks: dict[str, list[Any]] = (
        {"request": [check_request], "response": [check_response]} if spec else {}
    )
    headers = {"X-Api-Key": api_key} if api_key else {}
    return httpx.AsyncClient(base_url=url, headers=headers, event_hooks=hooks, timeout=5)


async def send_text(client: httpx.AsyncClient, text: str = "Olá!", chat: str = PATIENT) -> Any:
    response = await client.post(
        "/api/sendText", json={"chatId": chat, "text": text, "session": "default"}
    )
    assert response.status_code == 201, response.text
    return response.json() if response.content else None


# ------------------------------------------------------------------------------ spec and wire


def test_hmac_matches_the_docs_vector() -> None:
    body = b'{"event":"message","session":"default","engine":"WEBJS"}'
    assert sign_body(body, "my-secret-key") == (
        "208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8"
        "097c462b2b17a6ce93b6b47a136cf2e78a33a63f6752c2c1631777076153fa89"
    )


def test_every_served_waha_route_exists_in_the_spec() -> None:
    app = create_simulator_app(SimulatorConfig())
    spec_paths = waha_spec.load_spec()["paths"]
    served = 0
    for route in app.routes:
        path: str = getattr(route, "path", "")
        if path.startswith("/_sim"):
            continue
        if path == "/api/files/{session}/{filename}":
            continue  # WAHA's media files route, not in its spec (notes.md section 7.5)
        methods = set(getattr(route, "methods", None) or ()) - {"HEAD"}
        assert path in spec_paths, f"{path} is not a path of WAHA's spec"
        for method in methods:
            assert method.lower() in spec_paths[path], f"{method} {path} is not in WAHA's spec"
            served += 1
    assert served == 27  # ping, health, 2 versions, 8 sessions, qr, 7 chatting, 3 contacts+lids,
    # a new message id and a chat's messages


async def test_server_routes_answer_like_waha() -> None:
    async with running_simulator(FAST) as url, waha_client(url) as client:
        assert (await client.get("/ping")).json() == {"message": "pong"}
        assert (await client.get("/health")).json()["status"] == "ok"
        version = (await client.get("/api/version")).json()
        assert version["version"] == "2026.9.2"
        assert version["engine"] == "WEBJS"
        assert version["tier"] == "PLUS"  # several sessions, as most tests need
    async with running_simulator(FAST) as url, waha_client(url, spec=False) as client:
        unknown = await client.get("/api/nothing-here")
        assert unknown.status_code == 404
        assert unknown.json()["message"] == "Cannot GET /api/nothing-here"
        wrong_method = await client.delete("/api/sendText")
        assert wrong_method.status_code == 404
        assert wrong_method.json()["message"] == "Cannot DELETE /api/sendText"


async def test_api_key_is_enforced() -> None:
    config = FAST.replace(api_key=API_KEY)
    async with running_simulator(config) as url, waha_client(url, spec=False) as client:
        missing = await client.get("/api/sessions")
        assert missing.status_code == 401
        assert missing.json() == {"message": "Unauthorized", "statusCode": 401}
        wrong = await client.get("/api/sessions", headers={"X-Api-Key": "nope"})
        assert wrong.status_code == 401
        assert (await client.get("/api/sessions", headers={"X-Api-Key": API_KEY})).is_success
        assert (await client.get("/api/sessions", params={"x-api-key": API_KEY})).is_success
        assert (await client.get("/ping")).status_code == 200  # no security in the spec
        assert (await client.get("/_sim/default/sent")).status_code == 200  # control API


async def test_hashed_api_key() -> None:
    hashed = "sha512:" + hashlib.sha512(API_KEY.encode()).hexdigest()
    async with running_simulator(FAST.replace(api_key=hashed)) as url:
        async with waha_client(url, API_KEY) as client:
            assert (await client.get("/api/sessions")).status_code == 200
        async with waha_client(url, hashed, spec=False) as client:
            assert (await client.get("/api/sessions")).status_code == 401


# ------------------------------------------------------------------------------ sessions


async def test_session_lifecycle_with_qr(receiver: Receiver) -> None:
    config = FAST.replace(default_session=False)
    hook = {"url": receiver.url, "events": ["session.status"]}
    async with running_simulator(config) as url, waha_client(url) as client:
        assert (await client.get("/api/sessions")).json() == []
        created = await client.post(
            "/api/sessions", json={"name": "clinic", "start": False, "config": {"webhooks": [hook]}}
        )
        assert created.status_code == 201
        assert created.json()["status"] == "STOPPED"
        assert (await client.get("/api/sessions")).json() == []  # STOPPED is hidden without all
        assert len((await client.get("/api/sessions", params={"all": "true"})).json()) == 1

        not_yet = await client.get("/api/clinic/auth/qr", params={"format": "raw"})
        assert not_yet.status_code == 422
        assert not_yet.json() == {
            "error": "Session status is not as expected. Try again later or restart the session",
            "session": "clinic",
            "status": "STOPPED",
            "expected": ["SCAN_QR_CODE"],
        }

        started = await client.post("/api/sessions/clinic/start")
        assert started.status_code == 201
        assert started.json()["status"] == "SCAN_QR_CODE"
        assert (await client.get("/api/sessions/clinic/me")).json() is None

        raw = await client.get("/api/clinic/auth/qr", params={"format": "raw"})
        assert raw.status_code == 200
        assert raw.json()["value"].startswith("2@")
        image = await client.get("/api/clinic/auth/qr", params={"format": "image"})
        assert image.headers["content-type"] == "image/png"
        assert image.content.startswith(PNG_MAGIC)
        as_json = await client.get(
            "/api/clinic/auth/qr",
            params={"format": "image"},
            headers={"Accept": "application/json"},
        )
        assert as_json.json()["mimetype"] == "image/png"
        assert base64.b64decode(as_json.json()["data"]).startswith(PNG_MAGIC)

        scanned = await client.post("/_sim/clinic/scan")
        assert scanned.json()["status"] == "WORKING"
        me = (await client.get("/api/sessions/clinic/me")).json()
        assert me["id"] == "5511900000000@c.us"
        assert (
            await client.get("/api/clinic/auth/qr", params={"format": "raw"})
        ).status_code == 422

        info = (await client.get("/api/sessions/clinic")).json()
        assert info["status"] == "WORKING"
        assert info["me"]["id"] == "5511900000000@c.us"

        statuses = await wait_until(
            lambda: (
                [e["payload"]["status"] for e in receiver.events()]
                if len(receiver.received) >= 3
                else None
            )
        )
        assert sorted(statuses) == sorted(["STARTING", "SCAN_QR_CODE", "WORKING"])
        last = max(receiver.events(), key=lambda e: len(e["payload"]["statuses"]))
        assert last["payload"]["name"] == "clinic"
        assert [p["status"] for p in last["payload"]["statuses"]] == [
            "STARTING",
            "SCAN_QR_CODE",
            "WORKING",
        ]
        assert all(isinstance(p["timestamp"], int) for p in last["payload"]["statuses"])

        # stop keeps the link; start goes straight back to WORKING
        assert (await client.post("/api/sessions/clinic/stop")).json()["status"] == "STOPPED"
        assert (await client.post("/api/sessions/clinic/start")).json()["status"] == "WORKING"
        # logout drops it: a running session restarts into the QR
        logged_out = await client.post("/api/sessions/clinic/logout")
        assert logged_out.json()["status"] == "SCAN_QR_CODE"
        assert (await client.get("/api/sessions/clinic/me")).json() is None

        failed = await client.post("/_sim/clinic/status", json={"status": "FAILED"})
        assert failed.json()["status"] == "FAILED"
        assert (await client.post("/api/sessions/clinic/restart")).status_code == 201

        assert (await client.delete("/api/sessions/clinic")).status_code == 200
        gone = await client.get("/api/sessions/clinic")
        assert gone.status_code == 404
        assert "We didn't find a session with name 'clinic'" in gone.json()["message"]


async def test_create_session_started_and_update_config(receiver: Receiver) -> None:
    async with running_simulator(FAST) as url, waha_client(url) as client:
        created = await client.post("/api/sessions", json={"name": "second"})
        assert created.status_code == 201
        assert created.json()["status"] == "SCAN_QR_CODE"  # not linked until scanned
        again = await client.post("/api/sessions", json={"name": "second"})
        assert again.status_code == 422

        config = {
            "metadata": {"association": "a1"},
            "webhooks": [{"url": receiver.url, "events": ["*"]}],
        }
        updated = await client.put("/api/sessions/second", json={"config": config})
        assert updated.status_code == 200
        assert updated.json()["config"] == config
        await client.post("/_sim/second/scan")
        event = await wait_until(
            lambda: next(
                (
                    e
                    for e in receiver.events("session.status")
                    if e["payload"]["status"] == "WORKING"
                ),
                None,
            )
        )
        assert event["metadata"] == {"association": "a1"}
        assert event["me"]["id"] == "5511900000000@c.us"


# ------------------------------------------------------------------------------ webhooks


async def test_webhook_envelope_and_signature(receiver: Receiver) -> None:
    config = FAST.replace(hook_url=receiver.url, hook_events=("message",), hook_hmac_key="s3cret")
    async with running_simulator(config) as url, waha_client(url) as client:
        answer = await client.post(
            "/_sim/default/inbound",
            json={"from": PATIENT, "text": "Olá, ação!", "push_name": "Maria"},
        )
        assert answer.status_code == 200
        message_id = answer.json()["id"]
        got = (await wait_until(lambda: receiver.received))[0]

    expected = hmac.new(b"s3cret", got.body, hashlib.sha512).hexdigest()
    assert got.headers["x-webhook-hmac"] == expected
    assert got.headers["x-webhook-hmac-algorithm"] == "sha512"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "WAHA/2026.9.2"
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", got.headers["x-webhook-request-id"])
    envelope = got.json
    assert list(envelope) == [
        "id",
        "timestamp",
        "event",
        "session",
        "metadata",
        "me",
        "payload",
        "engine",
        "environment",
    ]
    assert EVT_ID.match(envelope["id"])
    assert got.headers["x-webhook-timestamp"] == str(envelope["timestamp"])
    assert envelope["timestamp"] > 1_600_000_000_000  # milliseconds
    assert envelope["event"] == "message"
    assert envelope["session"] == "default"
    assert envelope["me"] == {"id": "5511900000000@c.us", "pushName": "Associação Demo"}
    assert envelope["engine"] == "WEBJS"
    assert envelope["environment"]["version"] == "2026.9.2"
    payload = envelope["payload"]
    assert payload["id"] == message_id
    assert message_id.startswith(f"false_{PATIENT}_")
    assert payload["from"] == PATIENT
    assert payload["to"] == "5511900000000@c.us"
    assert payload["fromMe"] is False
    assert payload["source"] == "app"
    assert payload["body"] == "Olá, ação!"
    assert payload["hasMedia"] is False
    assert "participant" not in payload  # WEBJS leaves it out in direct chats
    assert payload["_data"]["notifyName"] == "Maria"
    assert "Olá, ação!".encode() in got.body  # UTF-8, not \u escapes, like JSON.stringify


async def test_webhook_retries_on_500_with_the_same_event_id(receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    config = FAST.replace(hook_url=receiver.url, hook_events=("message",))
    async with running_simulator(config) as url, waha_client(url) as client:
        await client.post("/_sim/default/inbound", json={"from": PATIENT, "text": "oi"})
        await wait_until(lambda: len(receiver.received) >= 3)
        attempts = (await client.get("/_sim/webhooks")).json()

    assert len(receiver.received) == 3
    assert len({r.json["id"] for r in receiver.received}) == 1
    assert len({r.headers["x-webhook-request-id"] for r in receiver.received}) == 1
    assert [a["status_code"] for a in attempts] == [500, 503, 200]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert {a["event"] for a in attempts} == {"message"}
    assert {a["url"] for a in attempts} == {receiver.url}


async def test_webhook_gives_up_after_attempts_and_retries_network_errors() -> None:
    async with serve_app(Starlette()) as dead_url:
        pass  # the port is closed now: connection refused
    config = FAST.replace(hook_url=f"{dead_url}/hook", hook_events=("*",), hook_retries_attempts=2)
    async with running_simulator(config) as url, waha_client(url) as client:
        await client.post("/_sim/default/presence", json={"from": PATIENT, "state": "typing"})
        assert (await client.post("/_sim/wait-idle", json={"timeout": 3})).json() == {"idle": True}
        attempts = (await client.get("/_sim/webhooks")).json()
    assert [a["attempt"] for a in attempts] == [1, 2, 3]  # the first try + 2 retries
    assert all(a["status_code"] is None and a["error"] for a in attempts)


async def test_webhook_receives_4xx_retries_too(receiver: Receiver) -> None:
    receiver.statuses = [404]
    config = FAST.replace(hook_url=receiver.url, hook_events=("presence.update",))
    async with running_simulator(config) as url, waha_client(url) as client:
        await client.post("/_sim/default/presence", json={"from": PATIENT, "state": "paused"})
        await wait_until(lambda: len(receiver.received) == 2)
    payload = receiver.received[1].json["payload"]
    assert payload == {
        "id": PATIENT,
        "presences": [{"participant": PATIENT, "lastKnownPresence": "paused", "lastSeen": None}],
    }


# ------------------------------------------------------------------------------ sending


@pytest.mark.parametrize("engine", ["WEBJS", "NOWEB", "GOWS", "EMPTY"])
async def test_send_text_response_per_engine(engine: str) -> None:
    async with running_simulator(FAST.replace(engine=engine)) as url, waha_client(url) as client:
        body = await send_text(client, "Bom dia")
        sent = (await client.get("/_sim/default/sent")).json()

    assert len(sent) == 1
    record = sent[0]
    match = MSG_ID.match(record["id"])
    assert match and match["chat"] == PATIENT
    assert record["chatId"] == PATIENT
    assert record["kind"] == "text"
    assert record["text"] == "Bom dia"
    assert record["caption"] is None
    assert record["filename"] is None
    assert record["at"].endswith("Z")
    if engine == "NOWEB":
        assert body["key"] == {
            "remoteJid": "5511999998888@s.whatsapp.net",
            "fromMe": True,
            "id": match["hex"],
        }
        assert body["message"] == {"extendedTextMessage": {"text": "Bom dia"}}
        assert body["status"] == "PENDING"
        assert isinstance(body["messageTimestamp"], str)
    elif engine == "WEBJS":
        assert body["id"] == {
            "fromMe": True,
            "remote": PATIENT,
            "id": match["hex"],
            "_serialized": record["id"],
        }
        assert body["_data"]["id"]["_serialized"] == record["id"]
        assert body["body"] == "Bom dia"
    elif engine == "GOWS":
        assert body["id"] == record["id"]
        assert body["fromMe"] is True
        assert body["participant"] is None  # explicit nulls
    else:
        assert body is None  # 201 with an empty body


async def test_message_any_then_acks_after_a_send(receiver: Receiver) -> None:
    config = FAST.replace(hook_url=receiver.url, hook_events=("message.any", "message.ack"))
    async with running_simulator(config) as url, waha_client(url) as client:
        body = await send_text(client, "Seu pedido saiu")
        message_id = body["id"]["_serialized"]
        await wait_until(lambda: len(receiver.events("message.ack")) == 3)
        any_event = receiver.events("message.any")[0]
        acks = sorted(receiver.events("message.ack"), key=lambda e: e["payload"]["ack"])
        record = (await client.get("/_sim/default/sent")).json()[0]

    payload = any_event["payload"]
    assert payload["id"] == message_id
    assert payload["fromMe"] is True
    assert payload["source"] == "api"
    assert payload["from"] == "5511900000000@c.us"
    assert payload["to"] == PATIENT
    assert [(a["payload"]["ack"], a["payload"]["ackName"]) for a in acks] == [
        (1, "SERVER"),
        (2, "DEVICE"),
        (3, "READ"),
    ]
    assert {a["payload"]["id"] for a in acks} == {message_id}
    assert all(a["payload"]["fromMe"] is True for a in acks)
    # they were emitted in order, a little apart
    emitted = [a["timestamp"] for a in acks]
    assert emitted == sorted(emitted)
    assert record["ack"] == 3
    assert record["ackName"] == "READ"


async def test_manual_ack_and_no_automatic_acks(receiver: Receiver) -> None:
    config = FAST.replace(hook_url=receiver.url, hook_events=("message.ack",), ack_levels=())
    async with running_simulator(config) as url, waha_client(url) as client:
        body = await send_text(client)
        message_id = body["id"]["_serialized"]
        await asyncio.sleep(0.05)
        assert receiver.received == []
        answer = await client.post("/_sim/default/ack", json={"id": message_id, "ack": 3})
        assert answer.json()["payload"]["ackName"] == "READ"
        event = (await wait_until(lambda: receiver.events("message.ack")))[0]
        missing = await client.post("/_sim/default/ack", json={"id": "true_x_y", "ack": 2})
    assert event["payload"]["id"] == message_id
    assert event["payload"]["ack"] == 3
    assert missing.status_code == 404


async def test_media_seen_and_typing_are_recorded() -> None:
    png = base64.b64encode(PNG_MAGIC + b"fake").decode()
    async with running_simulator(FAST.replace(engine="NOWEB")) as url, waha_client(url) as client:
        await client.post("/_sim/default/inbound", json={"from": PATIENT, "text": "oi"})
        seen = await client.post("/api/sendSeen", json={"chatId": PATIENT, "session": "default"})
        assert seen.status_code == 201
        typing = await client.post(
            "/api/startTyping", json={"chatId": PATIENT, "session": "default"}
        )
        assert typing.status_code == 201
        assert typing.content == b""
        await client.post("/api/stopTyping", json={"chatId": PATIENT, "session": "default"})
        image = await client.post(
            "/api/sendImage",
            json={
                "chatId": PATIENT,
                "session": "default",
                "caption": "Receita",
                "file": {"mimetype": "image/png", "filename": "r.png", "data": png},
            },
        )
        assert image.status_code == 201
        assert image.json()["message"]["imageMessage"]["caption"] == "Receita"
        doc = await client.post(
            "/api/sendFile",
            json={
                "chatId": PATIENT,
                "session": "default",
                "file": {
                    "mimetype": "application/pdf",
                    "filename": "laudo.pdf",
                    "url": "https://x/y",
                },
            },
        )
        assert doc.status_code == 201
        assert doc.json()["message"]["documentMessage"]["fileName"] == "laudo.pdf"
        sent = (await client.get("/_sim/default/sent")).json()
        inbound = (await client.get("/_sim/default/inbound")).json()

    assert [s["kind"] for s in sent] == ["seen", "typing", "typing", "image", "file"]
    assert [s.get("typing") for s in sent[1:3]] == [True, False]
    assert sent[0]["id"] is None
    assert sent[3]["caption"] == "Receita"
    assert sent[3]["filename"] == "r.png"
    assert sent[4]["filename"] == "laudo.pdf"
    assert inbound[0]["read"] is True  # sendSeen marked the contact's message read


async def test_send_errors_400_404_422() -> None:
    async with running_simulator(FAST) as url, waha_client(url, spec=False) as client:
        missing = await client.post("/api/sendText", json={"chatId": PATIENT, "session": "default"})
        assert missing.status_code == 400
        assert missing.json()["message"] == ["text should not be empty"]
        bad_json = await client.post(
            "/api/sendText", content=b"{nope", headers={"Content-Type": "application/json"}
        )
        assert bad_json.status_code == 400
        unknown = await client.post(
            "/api/sendText", json={"chatId": PATIENT, "text": "x", "session": "nope"}
        )
        assert unknown.status_code == 404
        assert unknown.json()["error"] == "Not Found"
        await client.post("/_sim/default/status", json={"status": "STARTING"})
        not_working = await client.post(
            "/api/sendText", json={"chatId": PATIENT, "text": "x", "session": "default"}
        )
        assert not_working.status_code == 422
        assert not_working.json()["status"] == "STARTING"
        assert not_working.json()["expected"] == ["WORKING"]
        assert (await client.get("/_sim/default/sent")).json() == []


# ------------------------------------------------------------------------------ faults, reset


async def test_fault_modes() -> None:
    async with running_simulator(FAST) as url, waha_client(url, spec=False) as client:
        await client.post("/_sim/faults", json={"mode": "500", "seconds": 30})
        failed = await client.get("/api/sessions")
        assert failed.status_code == 500
        assert failed.json()["statusCode"] == 500
        assert failed.json()["request"]["path"] == "/api/sessions"
        assert (await client.get("/_sim/default/sent")).status_code == 200  # /_sim unaffected

        await client.post("/_sim/faults", json={"mode": "429", "seconds": 7})
        limited = await client.get("/api/sessions")
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 7

        await client.post("/_sim/faults", json={"mode": "463"})
        blocked = await client.post(
            "/api/sendText", json={"chatId": PATIENT, "text": "oi", "session": "default"}
        )
        assert blocked.status_code == 500
        assert "2 UNKNOWN: server returned error 463" in blocked.text
        assert (await client.get("/api/sessions")).status_code == 200  # only sends fail

        await client.post("/_sim/faults", json={"mode": "none"})
        assert (await client.get("/api/sessions")).status_code == 200
        await send_text(client)

        await client.post("/_sim/faults", json={"mode": "500", "seconds": 0.1})
        assert (await client.get("/api/sessions")).status_code == 500
        await asyncio.sleep(0.15)
        assert (await client.get("/api/sessions")).status_code == 200  # expired by itself

        bad = await client.post("/_sim/faults", json={"mode": "boom"})
        assert bad.status_code == 400


async def test_fault_timeout_holds_requests_and_is_released() -> None:
    async with running_simulator(FAST) as url, waha_client(url, spec=False) as client:
        await client.post("/_sim/faults", json={"mode": "timeout"})
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/api/sessions", timeout=0.2)
        # a held request is served once the fault is cleared
        held = asyncio.create_task(client.get("/api/sessions", timeout=5))
        await asyncio.sleep(0.1)
        assert not held.done()
        await client.post("/_sim/faults", json={"mode": "none"})
        assert (await held).status_code == 200


async def test_fault_timeout_does_not_block_shutdown() -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        async with running_simulator(FAST) as url:
            await client.post(f"{url}/_sim/faults", json={"mode": "timeout"})
            pending = asyncio.create_task(client.get(f"{url}/api/sessions"))
            await asyncio.sleep(0.1)
            assert not pending.done()
        response = await pending
    assert response.status_code == 503


async def test_fault_refuse_drops_the_connection() -> None:
    async with running_simulator(FAST) as url, waha_client(url, spec=False) as client:
        await client.post("/_sim/faults", json={"mode": "refuse", "seconds": 5})
        with pytest.raises(httpx.TransportError):
            await client.get("/api/sessions")
        await client.post("/_sim/faults", json={"mode": "none"})
        assert (await client.get("/api/sessions")).status_code == 200


async def test_reset_restores_the_initial_state() -> None:
    async with running_simulator(FAST) as url, waha_client(url) as client:
        await send_text(client)
        await client.post("/api/sessions", json={"name": "extra"})
        await client.post("/_sim/default/status", json={"status": "FAILED"})
        await client.post("/_sim/faults", json={"mode": "500"})
        assert (await client.post("/_sim/reset")).status_code == 200
        assert (await client.get("/_sim/default/sent")).json() == []
        assert (await client.get("/_sim/faults")).json()["mode"] == "none"
        sessions = (await client.get("/api/sessions", params={"all": "true"})).json()
        assert [(s["name"], s["status"]) for s in sessions] == [("default", "WORKING")]
        assert (await client.get("/_sim/events")).json() == []


# ------------------------------------------------------------------------------ inbound


async def test_inbound_media_download_and_expiry(receiver: Receiver) -> None:
    config = FAST.replace(
        api_key=API_KEY,
        files_lifetime_seconds=0.5,
        hook_url=receiver.url,
        hook_events=("message",),
        engine="NOWEB",
    )
    data = PNG_MAGIC + b"a picture"
    async with (
        running_simulator(config) as url,
        waha_client(url, API_KEY) as client,
        httpx.AsyncClient() as plain,
    ):
        answer = await client.post(
            "/_sim/default/inbound",
            json={
                "from": PATIENT,
                "text": "minha receita",
                "media": {
                    "mimetype": "image/png",
                    "filename": "receita.png",
                    "data": base64.b64encode(data).decode(),
                },
            },
        )
        stored_by = asyncio.get_running_loop().time()
        message_id = answer.json()["id"]
        media_url = f"{url}/api/files/default/{message_id}.png"
        assert (await plain.get(media_url)).status_code == 401
        downloaded = await plain.get(media_url, headers={"X-Api-Key": API_KEY})
        assert downloaded.status_code == 200
        assert downloaded.content == data
        assert downloaded.headers["content-type"] == "image/png"

        payload = (await wait_until(lambda: receiver.events("message")))[0]["payload"]
        assert payload["hasMedia"] is True
        assert payload["mediaUrl"] == media_url
        assert payload["media"] == {
            "url": media_url,
            "mimetype": "image/png",
            "filename": "receita.png",
            "error": None,
        }
        assert payload["body"] == "minha receita"
        assert payload["_data"]["message"]["imageMessage"]["mimetype"] == "image/png"

        # WHATSAPP_FILES_LIFETIME: gone once the lifetime has passed
        elapsed = asyncio.get_running_loop().time() - stored_by
        await asyncio.sleep(max(0.0, 0.55 - elapsed))
        expired = await plain.get(media_url, headers={"X-Api-Key": API_KEY})
        assert expired.status_code == 404
        assert expired.json()["message"] == f"File not found: {message_id}.png"


@pytest.mark.parametrize("engine", ["WEBJS", "NOWEB", "GOWS"])
async def test_lid_inbound_payload_and_lids_api(receiver: Receiver, engine: str) -> None:
    lid = "123456789012345@lid"
    config = FAST.replace(hook_url=receiver.url, hook_events=("message",), engine=engine)
    async with running_simulator(config) as url, waha_client(url) as client:
        answer = await client.post(
            "/_sim/default/inbound", json={"from": lid, "text": "oi", "pn": PATIENT}
        )
        payload = (await wait_until(lambda: receiver.events("message")))[0]["payload"]
        resolved = (await client.get(f"/api/default/lids/{lid}")).json()
        reverse = (await client.get("/api/default/lids/pn/5511999998888")).json()
        unknown = (await client.get("/api/default/lids/999@lid")).json()

    assert payload["id"] == answer.json()["id"]
    assert payload["id"].startswith(f"false_{lid}_")
    assert payload["from"] == lid
    if engine == "NOWEB":
        assert "to" not in payload
        assert "participant" not in payload
        assert payload["media"] is None
        assert payload["_data"]["key"]["remoteJid"] == lid
        assert payload["_data"]["key"]["senderPn"] == "5511999998888@s.whatsapp.net"
    elif engine == "GOWS":
        assert payload["participant"] is None
        assert payload["media"] is None
        assert payload["to"] == "5511900000000@c.us"
        assert payload["_data"]["Info"]["Sender"] == lid
    else:
        assert payload["to"] == "5511900000000@c.us"
        assert "participant" not in payload
        assert "media" not in payload
    assert resolved == {"lid": lid, "pn": PATIENT}
    assert reverse == {"lid": lid, "pn": PATIENT}
    assert unknown == {"lid": "999@lid", "pn": None}


@pytest.mark.parametrize("engine", ["WEBJS", "NOWEB", "GOWS"])
async def test_group_inbound_payload(receiver: Receiver, engine: str) -> None:
    group = "120363012345678901@g.us"
    config = FAST.replace(hook_url=receiver.url, hook_events=("message",), engine=engine)
    async with running_simulator(config) as url, waha_client(url) as client:
        answer = await client.post(
            "/_sim/default/inbound",
            json={"from": group, "participant": PATIENT, "text": "bom dia grupo"},
        )
        payload = (await wait_until(lambda: receiver.events("message")))[0]["payload"]
    message_id = answer.json()["id"]
    assert re.fullmatch(
        rf"false_{re.escape(group)}_[0-9A-F]{{20,32}}_{re.escape(PATIENT)}", message_id
    )
    assert payload["id"] == message_id
    assert payload["from"] == group
    assert payload["participant"] == PATIENT
    if engine == "NOWEB":
        assert payload["_data"]["key"]["participant"] == "5511999998888@s.whatsapp.net"
    if engine == "WEBJS":
        assert payload["_data"]["author"] == PATIENT


async def test_check_exists_and_registered_contacts() -> None:
    async with running_simulator(FAST) as url, waha_client(url) as client:
        default = await client.get(
            "/api/contacts/check-exists", params={"phone": "5511999998888", "session": "default"}
        )
        assert default.json() == {"numberExists": True, "chatId": PATIENT, "pn": PATIENT}
        # a number registered before 2012: WhatsApp knows it without the ninth digit
        await client.post(
            "/_sim/contacts", json={"phone": "5511987654321", "chatId": "551187654321@c.us"}
        )
        old = await client.get(
            "/api/contacts/check-exists", params={"phone": "5511987654321", "session": "default"}
        )
        assert old.json()["chatId"] == "551187654321@c.us"
        await client.post("/_sim/contacts", json={"phone": "5511900001111", "exists": False})
        nobody = await client.get(
            "/api/contacts/check-exists", params={"phone": "5511900001111", "session": "default"}
        )
        assert nobody.json() == {"numberExists": False}


# ------------------------------------------------------------------------------ misc


async def test_phone_page_is_served() -> None:
    async with running_simulator(FAST) as url, httpx.AsyncClient(base_url=url) as client:
        page = await client.get("/_sim/phone", params={"session": "default"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/inbound" in page.text
    assert "/sent" in page.text


def test_config_from_env() -> None:
    config = SimulatorConfig.from_env(
        {
            "WAHA_API_KEY": "sha512:abc",
            "WHATSAPP_HOOK_URL": "http://crm/webhooks/waha",
            "WHATSAPP_HOOK_EVENTS": "message,message.ack, session.status",
            "WHATSAPP_HOOK_HMAC_KEY": "secret",
            "WHATSAPP_HOOK_RETRIES_ATTEMPTS": "4",
            "WHATSAPP_HOOK_RETRIES_DELAY_SECONDS": "0.5",
            "WHATSAPP_DEFAULT_ENGINE": "NOWEB",
            "WHATSAPP_API_PORT": "3100",
            "WHATSAPP_FILES_LIFETIME": "0",
            "WHATSAPP_HOOK_CUSTOM_HEADERS": "X-A:1;X-B: two",
        }
    )
    assert config.api_key == "sha512:abc"
    assert config.engine == "NOWEB"
    assert config.port == 3100
    assert config.files_lifetime_seconds == 0
    target = config.global_webhook()
    assert target is not None
    assert target.url == "http://crm/webhooks/waha"
    assert target.events == ("message", "message.ack", "session.status")
    assert target.hmac_key == "secret"
    assert target.retries_attempts == 4
    assert target.retries_delay_seconds == 0.5
    assert target.custom_headers == (("X-A", "1"), ("X-B", "two"))
    # like WAHA: a hook URL without events is no webhook; unknown engines fall back to WEBJS
    bare = SimulatorConfig.from_env(
        {"WHATSAPP_HOOK_URL": "http://x", "WHATSAPP_DEFAULT_ENGINE": "?"}
    )
    assert bare.global_webhook() is None
    assert bare.engine == "WEBJS"
    assert bare.api_key is None


def test_simulator_in_a_thread_for_sync_tests() -> None:
    with simulator_in_thread(FAST) as url:
        response = httpx.post(
            f"{url}/api/sendText", json={"chatId": PATIENT, "text": "oi", "session": "default"}
        )
        assert response.status_code == 201
        assert httpx.get(f"{url}/_sim/default/sent").json()[0]["text"] == "oi"
