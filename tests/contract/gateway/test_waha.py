"""The WhatsAppGateway contract against ``WahaGateway`` over real HTTP, with the WAHA simulator
on the other side; every request the gateway makes is checked against WAHA's OpenAPI spec."""

from __future__ import annotations

import base64
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from wa_crm.adapters.waha.gateway import WahaGateway
from wa_crm.ports.whatsapp import (
    Connection,
    GatewayError,
    GatewayErrorCode,
    OwnMessage,
    SessionStatus,
    WebhookSubscription,
    WhatsAppGateway,
)
from wa_crm.testing import SimulatorConfig, running_simulator

from .spec_transport import SpecCheckingTransport
from .suite import (
    ME,
    OUR_WEBHOOK,
    PATIENT,
    PHOTO,
    REPORT,
    Fault,
    Sent,
    WhatsAppGatewayContract,
    message_id_of,
)

API_KEY = "contract-api-key"
REACH_OUT_MESSAGE = "2 UNKNOWN: server returned error 463"
SHORT_TIMEOUT = httpx.Timeout(0.5)
QUIET = SimulatorConfig(api_key=API_KEY, me_id=ME, ack_levels=(), webhook_timeout_seconds=1)


def closed_port_url() -> str:
    """A local URL where nothing listens (the port was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class SimulatorDriver:
    """The contract's driver for WahaGateway: the simulator's control API steers the world."""

    def __init__(self, url: str, control: httpx.AsyncClient) -> None:
        self.url = url
        self.control = control
        self.transport = SpecCheckingTransport()
        self.waha = WahaGateway(transport=self.transport)
        self.gateway: WhatsAppGateway = self.waha
        self.fixes_ids = False  # QUIET runs WEBJS
        self.connection = self.on("default")
        self._extra: list[WahaGateway] = []

    def on(self, session: str) -> Connection:
        return Connection(base_url=self.url, api_key=API_KEY, session=session)

    async def aclose(self) -> None:
        for gateway in [self.waha, *self._extra]:
            await gateway.aclose()

    async def _control(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.control.request(method, path, json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    async def sent(self, session: str) -> list[Sent]:
        return [
            Sent(
                kind=item["kind"],
                chat_id=item["chatId"],
                id=item["id"],
                text=item["text"],
                caption=item["caption"],
                filename=item["filename"],
                reply_to=item["reply_to"],
                typing=item.get("typing"),
                message_id=(item.get("messageIds") or [None])[0]
                if item["kind"] == "reaction"
                else None,
            )
            for item in await self._control("GET", f"/_sim/{session}/sent")
        ]

    async def session_config(self, session: str) -> dict[str, Any]:
        info = await self._control("GET", f"/api/sessions/{session}")
        config: dict[str, Any] = info["config"]
        return config

    async def webhooks(self, session: str) -> list[WebhookSubscription]:
        return [
            WebhookSubscription(
                url=hook["url"],
                events=tuple(hook["events"]),
                hmac_key=(hook.get("hmac") or {}).get("key"),
            )
            for hook in (await self.session_config(session)).get("webhooks") or []
        ]

    async def add_session(self, session: str, webhooks: list[WebhookSubscription]) -> None:
        hooks = [
            {"url": hook.url, "events": list(hook.events)}
            | ({"hmac": {"key": hook.hmac_key}} if hook.hmac_key else {})
            for hook in webhooks
        ]
        body = {"name": session, "start": False, "config": {"webhooks": hooks}}
        await self._control("POST", "/api/sessions", body)

    async def link(self, session: str, phone: str) -> None:
        await self._control("POST", f"/_sim/{session}/scan", {"phone": phone})

    async def force_status(self, session: str, status: SessionStatus) -> None:
        await self._control("POST", f"/_sim/{session}/status", {"status": status.value})

    async def add_lid(self, lid: str, phone_chat_id: str) -> None:
        phone = phone_chat_id.split("@", 1)[0]
        await self._control("POST", "/_sim/contacts", {"phone": phone, "lid": lid})

    async def add_media(self, data: bytes, mimetype: str, filename: str) -> str:
        encoded = base64.b64encode(data).decode()
        media = {"mimetype": mimetype, "filename": filename, "data": encoded}
        await self._control("POST", "/_sim/default/inbound", {"from": PATIENT, "media": media})
        received = await self._control("GET", "/_sim/default/inbound")
        url: str = received[-1]["media"]["url"]
        return url

    async def set_fault(self, mode: str) -> None:
        await self._control("POST", "/_sim/faults", {"mode": mode})

    async def induce(self, fault: Fault) -> tuple[WhatsAppGateway, Connection]:
        if fault is Fault.WRONG_API_KEY:
            return self.gateway, Connection(self.url, "not-the-key", "default")
        if fault is Fault.CLOSED_PORT:
            return self.gateway, Connection(closed_port_url(), API_KEY, "default")
        await self.set_fault(fault.value)
        if fault is Fault.TIMEOUT:
            impatient = WahaGateway(timeout=SHORT_TIMEOUT, transport=self.transport)
            self._extra.append(impatient)
            return impatient, self.connection
        return self.gateway, self.connection


@pytest.fixture
async def simulator_url() -> AsyncIterator[str]:
    async with running_simulator(QUIET) as url:
        yield url


@pytest.fixture
async def control(simulator_url: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"X-Api-Key": API_KEY}
    async with httpx.AsyncClient(base_url=simulator_url, headers=headers, timeout=5) as client:
        yield client


@pytest.fixture
async def simulator_driver(
    simulator_url: str, control: httpx.AsyncClient
) -> AsyncIterator[SimulatorDriver]:
    driver = SimulatorDriver(simulator_url, control)
    try:
        yield driver
    finally:
        await driver.set_fault("none")
        await driver.aclose()
    assert driver.transport.checked, "the test made no request through the spec check"


class TestWahaGateway(WhatsAppGatewayContract):
    @pytest.fixture
    def driver(self, simulator_driver: SimulatorDriver) -> SimulatorDriver:
        return simulator_driver

    # ---------------------------------------------------------------- WahaGateway only

    async def test_our_webhook_is_written_whole(self, simulator_driver: SimulatorDriver) -> None:
        await simulator_driver.gateway.start_session(simulator_driver.on("clinic"), OUR_WEBHOOK)

        assert (await simulator_driver.session_config("clinic"))["webhooks"] == [
            {
                "url": OUR_WEBHOOK.url,
                "events": list(OUR_WEBHOOK.events),
                "retries": {"policy": "exponential", "delaySeconds": 2, "attempts": 15},
                "hmac": {"key": OUR_WEBHOOK.hmac_key},
            }
        ]

    async def test_start_session_keeps_the_rest_of_the_config(
        self, simulator_driver: SimulatorDriver
    ) -> None:
        # WAHA answers nulls its request schema refuses; the spec check fails if they go back
        config = {
            "metadata": {"tenant": "demo"},
            "proxy": None,
            "debug": False,
            "webhooks": [{"url": "http://127.0.0.1:9/x", "events": ["message"], "hmac": None}],
        }
        body = {"name": "clinic", "start": False, "config": config}
        await simulator_driver._control("POST", "/api/sessions", body)

        await simulator_driver.gateway.start_session(simulator_driver.on("clinic"), OUR_WEBHOOK)

        kept = await simulator_driver.session_config("clinic")
        assert kept["metadata"] == {"tenant": "demo"}
        assert kept["debug"] is False
        assert "proxy" not in kept
        assert kept["webhooks"][0] == {"url": "http://127.0.0.1:9/x", "events": ["message"]}
        assert kept["webhooks"][1]["url"] == OUR_WEBHOOK.url

    async def test_a_second_start_does_not_restart_a_working_session(
        self, simulator_driver: SimulatorDriver
    ) -> None:
        connection = simulator_driver.connection
        await simulator_driver.gateway.start_session(connection, OUR_WEBHOOK)
        events = await simulator_driver._control("GET", "/_sim/events?event=session.status")

        await simulator_driver.gateway.start_session(connection, OUR_WEBHOOK)

        again = await simulator_driver._control("GET", "/_sim/events?event=session.status")
        assert again == events  # no STOPPED / STARTING / WORKING round

    async def test_media_is_fetched_from_the_configured_server(
        self, simulator_driver: SimulatorDriver
    ) -> None:
        url = await simulator_driver.add_media(b"pdf bytes", "application/pdf", "exam.pdf")
        path = httpx.URL(url).path
        gateway, connection = simulator_driver.gateway, simulator_driver.connection

        # WAHA_BASE_URL may name a public address we do not reach WAHA at
        public = f"https://waha.public.example{path}"
        assert await gateway.download_media(connection, public, 1024) == b"pdf bytes"
        with pytest.raises(GatewayError) as caught:
            await gateway.download_media(connection, "https://evil.example/steal", 1024)
        assert caught.value.code is GatewayErrorCode.REJECTED

    @pytest.mark.parametrize(
        "path",
        [
            "/api/files/../sessions/default",
            "/api/files/default/../../sessions/default",
            "/api/files/%2e%2e/sessions/default",
            "/api/files/default/..%2f..%2fsessions%2fdefault",
            "/api/files/default/..%5c..%5csessions",
            "/api/files/default\\..\\x.jpeg",
            "/api/files/default/x.jpeg?x-api-key=other",
            "/api/files/default/x.jpeg#fragment",
            "/api/files/other/true_x@c.us_ABC.jpeg",
            "/api/files/default//x.jpeg",
            "/api/files/default/%252e%252e",
        ],
    )
    async def test_media_urls_outside_the_sessions_files_are_never_requested(
        self, simulator_driver: SimulatorDriver, path: str
    ) -> None:
        gateway, connection = simulator_driver.gateway, simulator_driver.connection

        with pytest.raises(GatewayError) as caught:
            await gateway.download_media(connection, f"{simulator_driver.url}{path}", 1024)

        assert caught.value.code is GatewayErrorCode.REJECTED
        assert simulator_driver.transport.checked == []
        url = await simulator_driver.add_media(b"%PDF-1.7", "application/pdf", "exam.pdf")
        assert await gateway.download_media(connection, url, 1024) == b"%PDF-1.7"
        assert len(simulator_driver.transport.checked) == 1

    async def test_a_missing_media_file_is_rejected(
        self, simulator_driver: SimulatorDriver
    ) -> None:
        url = f"{simulator_driver.url}/api/files/default/true_x@c.us_ABC.jpeg"

        with pytest.raises(GatewayError) as caught:
            await simulator_driver.gateway.download_media(simulator_driver.connection, url, 1024)

        assert caught.value.code is GatewayErrorCode.REJECTED
        assert not caught.value.retryable

    async def test_reach_out_limit_spares_other_calls(
        self, simulator_driver: SimulatorDriver
    ) -> None:
        await simulator_driver.set_fault("463")
        gateway, connection = simulator_driver.gateway, simulator_driver.connection

        await gateway.send_seen(connection, PATIENT)
        await gateway.start_typing(connection, PATIENT)
        with pytest.raises(GatewayError) as caught:
            await gateway.send_image(connection, PATIENT, PHOTO)

        assert caught.value.code is GatewayErrorCode.REACH_OUT_LIMIT
        assert [item.kind for item in await simulator_driver.sent("default")] == ["seen", "typing"]


# ------------------------------------------------------------------- engines and message ids


@pytest.mark.parametrize("engine", ["WEBJS", "NOWEB", "GOWS"])
async def test_send_ids_are_the_ids_of_later_webhooks(engine: str) -> None:
    """Each engine answers a send in its own shape; the id must be WAHA's serialized form,
    the one its `message.any` and `message.ack` webhooks carry."""
    config = QUIET.replace(engine=engine, ack_levels=(1,), ack_delay_seconds=0.001)
    transport = SpecCheckingTransport()
    gateway = WahaGateway(transport=transport)
    try:
        async with running_simulator(config) as url:
            connection = Connection(url, API_KEY, "default")
            sent = [
                await gateway.send_text(connection, PATIENT, "Olá!"),
                await gateway.send_image(connection, PATIENT, PHOTO, "photo"),
                await gateway.send_document(connection, PATIENT, REPORT),
            ]
            async with httpx.AsyncClient(base_url=url, timeout=5) as control:
                await control.post("/_sim/wait-idle", json={"timeout": 5})
                recorded = (await control.get("/_sim/default/sent")).json()
                echoes = (await control.get("/_sim/events?event=message.any")).json()
                acks = (await control.get("/_sim/events?event=message.ack")).json()
    finally:
        await gateway.aclose()

    ids = [message.external_id for message in sent]
    for message_id in ids:
        assert message_id is not None
        assert message_id_of(PATIENT).match(message_id)
    assert ids == [item["id"] for item in recorded]
    assert ids == [event["payload"]["id"] for event in echoes]
    assert ids == [event["payload"]["id"] for event in acks]
    assert transport.checked


async def test_an_empty_send_answer_gives_no_id() -> None:
    transport = SpecCheckingTransport()
    gateway = WahaGateway(transport=transport)
    try:
        async with running_simulator(QUIET.replace(engine="EMPTY")) as url:
            connection = Connection(url, API_KEY, "default")
            text = await gateway.send_text(connection, PATIENT, "Olá!")
            image = await gateway.send_image(connection, PATIENT, PHOTO)
            document = await gateway.send_document(connection, PATIENT, REPORT)
            async with httpx.AsyncClient(base_url=url, timeout=5) as control:
                recorded = (await control.get("/_sim/default/sent")).json()
    finally:
        await gateway.aclose()

    assert [text.external_id, image.external_id, document.external_id] == [None, None, None]
    assert [item["kind"] for item in recorded] == ["text", "image", "file"]
    assert transport.checked


NOWEB_STORE = {"noweb": {"markOnline": True, "store": {"enabled": True, "fullSync": False}}}


@pytest.mark.parametrize("engine", ["NOWEB", "GOWS"])
async def test_a_fixed_id_is_the_id_of_the_send_its_webhooks_and_the_chat(engine: str) -> None:
    """NOWEB and GOWS hand out a message id before the send: the text goes with it, and WAHA's
    echo and the chat's listing carry it (NOWEB lists a chat only with its store enabled)."""
    transport = SpecCheckingTransport()
    gateway = WahaGateway(transport=transport)
    try:
        async with (
            running_simulator(QUIET.replace(engine=engine)) as url,
            httpx.AsyncClient(base_url=url, headers={"X-Api-Key": API_KEY}) as control,
        ):
            connection = Connection(url, API_KEY, "default")
            if engine == "NOWEB":
                assert await gateway.own_messages(connection, PATIENT, datetime.now(UTC)) is None
                enabled = {"config": NOWEB_STORE}  # as an operator would enable the store
                (await control.put("/api/sessions/default", json=enabled)).raise_for_status()
            since = datetime.now(UTC) - timedelta(seconds=2)
            fixed = await gateway.new_message_id(connection, PATIENT)
            assert fixed is not None and message_id_of(PATIENT).match(fixed)
            sent = await gateway.send_text(connection, PATIENT, "Olá!", message_id=fixed)
            own = await gateway.own_messages(connection, PATIENT, since)
            echoes = (await control.get("/_sim/events?event=message.any")).json()
    finally:
        await gateway.aclose()

    assert sent.external_id == fixed
    assert own == [OwnMessage(fixed, "Olá!", has_media=False)]
    assert [event["payload"]["id"] for event in echoes] == [fixed]


async def test_an_engine_without_fixed_ids_is_not_asked_for_every_send() -> None:
    """WEBJS answers 501 (WAHA's NotImplementedByEngineError): None, remembered a while."""
    transport = SpecCheckingTransport()
    gateway = WahaGateway(transport=transport)
    try:
        async with running_simulator(QUIET) as url:
            connection = Connection(url, API_KEY, "default")
            answers = [await gateway.new_message_id(connection, PATIENT) for _ in range(3)]
    finally:
        await gateway.aclose()

    assert answers == [None, None, None]
    assert [request.url.path for request in transport.checked] == ["/api/default/new-message-id"]


# ------------------------------------------------------------------- WAHA's answers, one by one


def answering(status: int, body: Any = None, headers: dict[str, str] | None = None) -> WahaGateway:
    """A WahaGateway whose WAHA answers every (spec-checked) request with this response."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return WahaGateway(transport=SpecCheckingTransport(httpx.MockTransport(answer)))


WAHA = Connection("http://waha.test:3000", API_KEY, "default")


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (404, {"statusCode": 404, "message": "Cannot POST /api/sendText"}, "rejected"),
        (404, {"statusCode": 404, "message": "We didn't find a session with name 'x'"}, None),
        (422, {"statusCode": 422, "message": "Session 'x' already exists"}, "rejected"),
        (400, {"statusCode": 400, "message": ["chatId should not be empty"]}, "rejected"),
        (502, "<html>Bad Gateway</html>", "server_error"),
        (501, {"statusCode": 501, "message": "The method is not implemented by"}, "rejected"),
        (
            500,
            {
                "statusCode": 500,
                "request": {"body": "x" * 600},  # the marker comes after the first 500 chars
                "exception": {"message": REACH_OUT_MESSAGE},
            },
            "reach_out_limit",
        ),
    ],
)
async def test_error_answers(status: int, body: Any, code: str | None) -> None:
    gateway = answering(status, body)
    try:
        with pytest.raises(GatewayError) as caught:
            await gateway.send_text(WAHA, PATIENT, "Olá!")
    finally:
        await gateway.aclose()

    assert caught.value.code.value == (code or GatewayErrorCode.SESSION_NOT_FOUND.value)


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("7", 7.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), (None, None)],
)
async def test_retry_after(retry_after: str | None, expected: float | None) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    gateway = answering(429, {"statusCode": 429, "message": "Too Many Requests"}, headers)
    try:
        with pytest.raises(GatewayError) as caught:
            await gateway.send_text(WAHA, PATIENT, "Olá!")
    finally:
        await gateway.aclose()

    assert caught.value.code is GatewayErrorCode.RATE_LIMITED
    assert caught.value.retry_after == expected


MEDIA_URL = f"{WAHA.base_url}/api/files/default/true_{PATIENT}_3EB0AB.jpeg"


async def test_a_media_redirect_is_refused_not_followed() -> None:
    requested: list[str] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.path)
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"})

    gateway = WahaGateway(transport=httpx.MockTransport(redirect))
    try:
        with pytest.raises(GatewayError) as caught:
            await gateway.download_media(WAHA, MEDIA_URL, 1024)
    finally:
        await gateway.aclose()

    assert caught.value.code is GatewayErrorCode.REJECTED
    assert requested == [httpx.URL(MEDIA_URL).path]


async def test_a_media_body_over_the_limit_is_cut_off_while_streaming() -> None:
    sent_chunks = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent_chunks
        while True:
            sent_chunks += 1
            yield b"\xff" * 1024

    def stream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=endless())  # no Content-Length, never ends

    gateway = WahaGateway(transport=httpx.MockTransport(stream))
    try:
        with pytest.raises(GatewayError) as caught:
            await gateway.download_media(WAHA, MEDIA_URL, 10 * 1024)
    finally:
        await gateway.aclose()

    assert caught.value.code is GatewayErrorCode.TOO_LARGE
    assert caught.value.size is None, "no length declared: the size is unknown"
    assert sent_chunks <= 12


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    gateway = answering(200, None, {"Content-Length": str(10**9)})
    try:
        with pytest.raises(GatewayError) as caught:
            await gateway.download_media(WAHA, MEDIA_URL, 1024)
    finally:
        await gateway.aclose()

    assert caught.value.code is GatewayErrorCode.TOO_LARGE
    assert caught.value.size == 10**9


async def test_the_spec_check_catches_what_waha_would_refuse() -> None:
    transport = SpecCheckingTransport(httpx.MockTransport(lambda _: httpx.Response(200)))
    async with httpx.AsyncClient(transport=transport, base_url=WAHA.base_url) as client:
        with pytest.raises(AssertionError, match="format"):
            await client.get("/api/default/auth/qr", headers={"X-Api-Key": API_KEY})
        with pytest.raises(AssertionError, match="chatId"):
            await client.post(
                "/api/sendText",
                json={"text": "no chat", "session": "default"},
                headers={"X-Api-Key": API_KEY},
            )
        with pytest.raises(AssertionError, match="X-Api-Key"):
            await client.get("/api/sessions/default")
    assert transport.checked == []
