"""The simulator does what a send that may have gone relies on, as WAHA does: a message id
handed out before the send and kept by it (NOWEB and GOWS only), a chat's messages with our own
among them (NOWEB only with its store enabled), and the `lost_answer` fault: a send carried out
whose answer never reaches the client."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tests.contract import waha_spec

from wa_crm.testing import SimulatorConfig, running_simulator

API_KEY = "send-ids-key"
PATIENT = "5511999998888@c.us"
MESSAGES = f"/api/default/chats/{PATIENT}/messages"
QUIET = SimulatorConfig(api_key=API_KEY, ack_levels=())
NOWEB_STORE = {"noweb": {"markOnline": True, "store": {"enabled": True, "fullSync": False}}}


async def _checked(request: httpx.Request) -> None:
    if not request.url.path.startswith("/_sim"):
        waha_spec.assert_request_matches_spec(request)


@pytest.fixture
def engine() -> str:
    return "WEBJS"


@pytest.fixture
async def client(engine: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a simulator running ``engine``; its WAHA requests are checked against the
    spec."""
    async with (
        running_simulator(QUIET.replace(engine=engine)) as url,
        httpx.AsyncClient(
            base_url=url,
            headers={"X-Api-Key": API_KEY},
            event_hooks={"request": [_checked]},
            timeout=5,
        ) as http,
    ):
        yield http


async def send_text(client: httpx.AsyncClient, text: str, **extra: Any) -> httpx.Response:
    body = {"chatId": PATIENT, "text": text, "session": "default", **extra}
    return await client.post("/api/sendText", json=body)


async def sent_ids(client: httpx.AsyncClient) -> list[str]:
    return [record["id"] for record in (await client.get("/_sim/default/sent")).json()]


@pytest.mark.parametrize("engine", ["NOWEB", "GOWS"])
async def test_a_text_keeps_the_id_handed_out_before_it(client: httpx.AsyncClient) -> None:
    if (await client.get("/api/version")).json()["engine"] == "NOWEB":
        put = await client.put("/api/sessions/default", json={"config": NOWEB_STORE})
        assert put.status_code == 200, put.text
    answer = await client.get("/api/default/new-message-id")
    assert answer.status_code == 200
    preset = answer.json()["id"]
    assert "_" not in preset, "bare, as sendText takes it"

    assert (await send_text(client, "Olá", id=preset)).status_code == 201
    assert await sent_ids(client) == [f"true_{PATIENT}_{preset}"]
    listed = (await client.get(MESSAGES, params={"limit": 10, "filter.fromMe": "true"})).json()
    assert [(m["id"], m["fromMe"], m["body"]) for m in listed] == [
        (f"true_{PATIENT}_{preset}", True, "Olá")
    ]
    assert "source" not in listed[0], "events only, says the spec"


async def test_webjs_hands_out_no_id_and_sends_with_its_own(client: httpx.AsyncClient) -> None:
    refused = await client.get("/api/default/new-message-id")
    assert refused.status_code == 501
    assert refused.json()["message"].startswith("The method is not implemented by 'WEBJS'")
    assert (await send_text(client, "Olá", id="BBBBBBBBBBBBBBBBB")).status_code == 201
    assert not (await sent_ids(client))[0].endswith("_BBBBBBBBBBBBBBBBB")


async def test_a_chat_lists_both_sides_newest_first_with_filters(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/_sim/default/inbound", json={"from": PATIENT, "text": "oi"})
    await send_text(client, "primeira")
    await send_text(client, "segunda")
    await send_text(client, "para outro", chatId="5511977776666@c.us")

    everything = (await client.get(MESSAGES, params={"limit": 10})).json()
    assert sorted(m["body"] for m in everything) == ["oi", "primeira", "segunda"]
    ours = (await client.get(MESSAGES, params={"limit": 10, "filter.fromMe": "true"})).json()
    assert [m["body"] for m in ours] == ["segunda", "primeira"]  # same second: as sent
    oldest = await client.get(MESSAGES, params={"limit": 1, "sortOrder": "asc"})
    assert [m["body"] for m in oldest.json()] == ["oi"]
    later = {"limit": 10, "filter.timestamp.gte": int(time.time()) + 60}
    assert (await client.get(MESSAGES, params=later)).json() == []


@pytest.mark.parametrize("engine", ["NOWEB"])
async def test_noweb_lists_no_chat_without_its_store(client: httpx.AsyncClient) -> None:
    await send_text(client, "Olá")
    refused = await client.get(MESSAGES, params={"limit": 10})
    assert refused.status_code == 400
    assert refused.json()["message"].startswith('Enable NOWEB store "config.noweb.store.enabled')


async def test_a_lost_answer_still_sends(client: httpx.AsyncClient) -> None:
    """The client gives up waiting, the message is sent all the same; other routes answer."""
    await client.post("/_sim/faults", json={"mode": "lost_answer"})
    began = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        await client.post(
            "/api/sendText",
            json={"chatId": PATIENT, "text": "chegou?", "session": "default"},
            timeout=0.3,
        )
    assert time.monotonic() - began < 2, "held only until the client left"
    assert len(await sent_ids(client)) == 1
    listed = (await client.get(MESSAGES, params={"limit": 10})).json()
    assert [m["body"] for m in listed] == ["chegou?"]
    refused = await client.post(
        "/api/sendText",
        json={"chatId": PATIENT, "text": "sem chave", "session": "default"},
        headers={"X-Api-Key": "wrong"},
    )
    assert refused.status_code == 401
    await client.post("/_sim/faults", json={"mode": "none"})
    assert (await send_text(client, "de novo")).status_code == 201
    assert len(await sent_ids(client)) == 2
