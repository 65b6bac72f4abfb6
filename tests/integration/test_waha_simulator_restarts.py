"""The simulator restarts a session the way real WAHA does (shared/waha/recorded/): after a
config PUT, a logout, ``POST /api/sessions/{name}/restart`` or ``POST /_sim/{name}/restart``
the session is gone for a while, and its calls answer the 404 WAHA answered, word for word;
a session that exists but is not WORKING answers 422."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from wa_crm.testing import SimulatorConfig, running_simulator

PATIENT = "5511977776666@c.us"
# the copy of shared/waha/recorded/ kept beside WAHA's spec, so a fresh clone has it
RECORDED = Path(__file__).resolve().parents[1] / "contract" / "waha" / "recorded"
# the body real WAHA answered to sendText while the session restarted (exchanges.jsonl)
RECORDED_404 = {
    "statusCode": 404,
    "message": (
        "We didn't find a session with name 'default'.\n"
        "Please start it first by using POST /api/sessions/default/start request"
    ),
    "error": "Not Found",
}
SESSION_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("/api/sendText", {"chatId": PATIENT, "text": "msg 2", "session": "default"}),
    (
        "/api/sendImage",
        {
            "chatId": PATIENT,
            "file": {"mimetype": "image/png", "data": "iVBORw0KGgo=", "filename": "a.png"},
            "session": "default",
        },
    ),
    (
        "/api/sendFile",
        {
            "chatId": PATIENT,
            "file": {"mimetype": "application/pdf", "data": "JVBERi0=", "filename": "a.pdf"},
            "session": "default",
        },
    ),
    ("/api/startTyping", {"chatId": PATIENT, "session": "default"}),
    ("/api/stopTyping", {"chatId": PATIENT, "session": "default"}),
    ("/api/sendSeen", {"chatId": PATIENT, "session": "default"}),
]


def test_the_expected_body_is_the_recorded_one() -> None:
    """Guards the constant above against the recording it copies."""
    recording = RECORDED / "exchanges.jsonl"
    answers = [json.loads(line) for line in recording.read_text().splitlines() if line.strip()]
    refused = [a for a in answers if a["req"] == "POST /api/sendText" and a["status"] == 404]
    assert refused, "the recording holds sends refused during a restart"
    assert all(json.loads(a["resp_body"]) == RECORDED_404 for a in refused)


async def _answers(client: httpx.AsyncClient) -> list[tuple[int, Any]]:
    answers = []
    for path, body in SESSION_CALLS:
        response = await client.post(path, json=body)
        answers.append((response.status_code, response.json() if response.content else None))
    return answers


async def test_a_config_put_makes_the_session_gone_for_the_restart_window() -> None:
    config = SimulatorConfig(restart_seconds=0.6, ack_levels=())
    async with running_simulator(config) as url, httpx.AsyncClient(base_url=url) as client:
        put = await client.put("/api/sessions/default", json={"config": {"webhooks": []}})
        assert (put.status_code, put.json()["status"]) == (200, "STARTING")  # as recorded

        assert await _answers(client) == [(404, RECORDED_404)] * len(SESSION_CALLS)
        shown = await client.get("/api/sessions/default")
        assert (shown.status_code, shown.json()["status"]) == (200, "STARTING")

        await asyncio.sleep(0.8)
        assert (await client.get("/api/sessions/default")).json()["status"] == "WORKING"
        assert [status for status, _ in await _answers(client)] == [201] * len(SESSION_CALLS)


async def test_logout_restart_and_the_control_call_open_the_window_too() -> None:
    config = SimulatorConfig(restart_seconds=0.3, ack_levels=())
    async with running_simulator(config) as url, httpx.AsyncClient(base_url=url) as client:
        for path in ("/api/sessions/default/restart", "/api/sessions/default/logout"):
            assert (await client.post(path)).status_code == 201
            assert (await _answers(client))[0] == (404, RECORDED_404)
            await asyncio.sleep(0.5)
        # after the logout the session waits for a new scan
        assert (await client.get("/api/sessions/default")).json()["status"] == "SCAN_QR_CODE"
        await client.post("/_sim/default/scan", json={})

        restarted = await client.post("/_sim/default/restart", json={"seconds": 0.4})
        assert restarted.status_code == 200
        assert (await _answers(client))[0] == (404, RECORDED_404)
        await asyncio.sleep(0.6)
        assert (await _answers(client))[0][0] == 201


async def test_a_stop_during_the_window_keeps_the_session_stopped() -> None:
    config = SimulatorConfig(ack_levels=())
    async with running_simulator(config) as url, httpx.AsyncClient(base_url=url) as client:
        await client.post("/_sim/default/restart", json={"seconds": 0.2})
        await client.post("/api/sessions/default/stop")
        await asyncio.sleep(0.4)
        assert (await client.get("/api/sessions/default")).json()["status"] == "STOPPED"


async def test_a_session_that_exists_but_is_not_working_answers_422() -> None:
    config = SimulatorConfig(ack_levels=())
    async with running_simulator(config) as url, httpx.AsyncClient(base_url=url) as client:
        await client.post("/_sim/default/status", json={"status": "STARTING"})
        answers = await _answers(client)
    assert {status for status, _ in answers} == {422}
    assert all(body["error"].startswith("Session status is not as expected") for _, body in answers)
