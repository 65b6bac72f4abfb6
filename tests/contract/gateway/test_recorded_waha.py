"""``WahaGateway`` fed what a real WAHA server answered (shared/waha/recorded/: release
2024.10.8, NOWEB, Core, no phone linked), one recorded exchange at a time.

Every request we make is still checked against WAHA's spec. The recorded answers are not: where
they and the spec differ (``"engine": {}``, an environment without ``platform`` and ``worker``),
the recording is what WAHA does, so it wins.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.contract.waha_spec import assert_request_matches_spec

from wa_crm.adapters.waha.gateway import WahaGateway
from wa_crm.ports.whatsapp import (
    Connection,
    GatewayError,
    GatewayErrorCode,
    ServerTier,
    SessionStatus,
    WebhookSubscription,
)

# a copy of shared/waha/recorded/, kept beside WAHA's spec
RECORDED = Path(__file__).resolve().parents[1] / "waha" / "recorded"
EXCHANGES = [json.loads(line) for line in (RECORDED / "exchanges.jsonl").read_text().splitlines()]
WEBHOOKS = [json.loads(line) for line in (RECORDED / "webhooks.jsonl").read_text().splitlines()]
CONNECTION = Connection("http://waha.test", "realkey123", "default")
OUR_URL = "http://127.0.0.1:8000/api/webhooks/whatsapp"
ROTATED = "rotated-secret-1234567890"
ORIGINAL = "ZWN_xFMII-3tMy4qbyxmnOIMXNS8nRsvwPUP0QI5wOQ"
# What wa_crm asked for in the recorded run, with message.edited, which that release lacks
RUN_EVENTS = (
    "message.any",
    "message.ack",
    "message.revoked",
    "message.edited",
    "session.status",
    "presence.update",
)


def recorded(request_line: str, index: int = 0) -> dict[str, Any]:
    """The ``index``-th recorded exchange for ``METHOD /path``."""
    return [e for e in EXCHANGES if e["req"] == request_line][index]


def server_version() -> httpx.Response:
    """What the recorded server says of itself: the ``environment`` it put in its webhooks."""
    environment = json.loads(WEBHOOKS[0]["raw_body"])["environment"]
    return httpx.Response(200, json=environment)


def answer(exchange: dict[str, Any]) -> httpx.Response:
    return httpx.Response(
        exchange["status"],
        content=exchange["resp_body"].encode(),
        headers={"Content-Type": "application/json"},
    )


class Replay:
    """Answers each request with the next recorded answer for it; records what was asked."""

    def __init__(self, answers: dict[str, list[Callable[[], httpx.Response]]]) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert_request_matches_spec(request, require_api_key=True)
        self.requests.append(request)
        line = f"{request.method} {request.url.path}"
        pending = self.answers.get(line)
        assert pending, f"nothing recorded for {line}"
        return pending.pop(0)()

    def asked(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


@pytest.fixture
async def replaying() -> AsyncIterator[Callable[..., tuple[WahaGateway, Replay]]]:
    gateways: list[WahaGateway] = []

    def build(**answers: list[Callable[[], httpx.Response]]) -> tuple[WahaGateway, Replay]:
        replay = Replay({line.replace("_", " ", 1): list(a) for line, a in answers.items()})
        gateway = WahaGateway(transport=httpx.MockTransport(replay))
        gateways.append(gateway)
        return gateway, replay

    yield build
    for gateway in gateways:
        await gateway.aclose()


def subscription(key: str) -> WebhookSubscription:
    return WebhookSubscription(OUR_URL, RUN_EVENTS, key)


async def test_the_version_answer_gives_tier_engine_and_that_it_is_too_old(
    replaying: Callable[..., tuple[WahaGateway, Replay]],
) -> None:
    gateway, _ = replaying(**{"GET_/api/server/version": [server_version]})

    info = await gateway.server_version(CONNECTION)

    assert (info.version, info.engine, info.tier) == ("2024.10.8", "NOWEB", ServerTier.CORE)
    assert info.upgrade_to == "2024.11.5"  # it signs no webhook, which wa_crm requires


async def test_a_session_listing_shows_our_webhook_with_its_key(
    replaying: Callable[..., tuple[WahaGateway, Replay]],
) -> None:
    first = recorded("GET /api/sessions/default")
    gateway, _ = replaying(**{"GET_/api/sessions/default": [lambda: answer(first)]})

    info = await gateway.session_status(CONNECTION)

    assert info.status is SessionStatus.STARTING
    assert [(hook.url, hook.hmac_key) for hook in info.webhooks] == [
        (OUR_URL, ORIGINAL),
        ("http://127.0.0.1:8099/session-hook", ORIGINAL),
    ]


async def test_a_send_while_the_session_restarts_is_a_missing_session_in_one_line(
    replaying: Callable[..., tuple[WahaGateway, Replay]],
) -> None:
    refused = recorded("POST /api/sendText")
    gateway, _ = replaying(**{"POST_/api/sendText": [lambda: answer(refused)]})

    with pytest.raises(GatewayError) as caught:
        await gateway.send_text(CONNECTION, "5511977776666@c.us", "msg 2")

    assert caught.value.code is GatewayErrorCode.SESSION_NOT_FOUND
    assert "\n" not in caught.value.message
    assert caught.value.message == (
        "WAHA answered 404 to POST /api/sendText: We didn't find a session with name "
        "'default'. Please start it first by using POST /api/sessions/default/start request"
    )


async def test_a_new_secret_is_written_once_and_the_restart_it_causes_is_not_started_again(
    replaying: Callable[..., tuple[WahaGateway, Replay]],
) -> None:
    """The recorded run: our PUT (the rotated key) restarted the session (STARTING), and our
    start that followed was refused 422 "already started". Now the PUT is the same bytes, and
    no start follows it."""
    stopped, put = recorded("GET /api/sessions/default", 1), recorded("PUT /api/sessions/default")
    gateway, replay = replaying(
        **{
            "GET_/api/server/version": [server_version],
            "GET_/api/sessions/default": [lambda: answer(stopped)],
            "PUT_/api/sessions/default": [lambda: answer(put)],
        }
    )

    info = await gateway.start_session(CONNECTION, subscription(ROTATED))

    assert info.status is SessionStatus.STARTING
    assert replay.asked() == [
        "GET /api/server/version",
        "GET /api/sessions/default",
        "PUT /api/sessions/default",
    ]
    # 2024.10.8 knows no message.edited: the recorded config, which it accepted, did without
    assert json.loads(replay.requests[2].content) == json.loads(put["req_body"])


async def test_already_started_counts_as_started(
    replaying: Callable[..., tuple[WahaGateway, Replay]],
) -> None:
    stopped = recorded("GET /api/sessions/default", 1)
    refused = recorded("POST /api/sessions/default/start")
    starting = recorded("GET /api/sessions/default", 2)
    gateway, replay = replaying(
        **{
            "GET_/api/server/version": [server_version],
            "GET_/api/sessions/default": [lambda: answer(stopped), lambda: answer(starting)],
            "PUT_/api/sessions/default": [],
            "POST_/api/sessions/default/start": [lambda: answer(refused)],
        }
    )
    stored_ours = json.loads(stopped["resp_body"])["config"]["webhooks"][0]
    assert stored_ours["url"] == OUR_URL

    info = await gateway.start_session(CONNECTION, subscription(ORIGINAL))

    assert info.status is SessionStatus.STARTING
    assert "PUT /api/sessions/default" not in replay.asked()  # ours was there as it is


async def test_core_refusing_a_session_name_is_its_own_failure(
    replaying: Callable[..., tuple[WahaGateway, Replay]],
) -> None:
    """Not in the recording (the run used `default`); WAHA's src/core/manager.core.ts."""
    body = {
        "statusCode": 422,
        "message": "WAHA Core support only 'default' session. If you want to run more then one "
        "WhatsApp account - please get WAHA PLUS version.",
        "error": "Unprocessable Entity",
    }
    gateway, _ = replaying(
        **{
            "GET_/api/server/version": [server_version],
            "GET_/api/sessions/amigos": [lambda: httpx.Response(422, json=body)],
        }
    )
    amigos = Connection(CONNECTION.base_url, CONNECTION.api_key, "amigos")

    with pytest.raises(GatewayError) as caught:
        await gateway.start_session(amigos, subscription(ORIGINAL))

    assert caught.value.code is GatewayErrorCode.ONLY_DEFAULT_SESSION
