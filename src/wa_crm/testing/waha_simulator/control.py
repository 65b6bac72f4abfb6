"""The `/_sim/` control API (not WAHA; no API key). Paths and fields are a public contract
(architecture.md section 9):

- `POST /_sim/{session}/inbound` `{"from", "text", "push_name", "media": {"mimetype",
  "filename", "data"}, "participant" (groups), "pn" (phone of a @lid sender)}` -> `{"id"}`
- `GET  /_sim/{session}/sent` -> `[{"id", "chatId", "kind", "text", "caption", "filename", "at",
  ...}]` in order (kind: text, image, file, seen, typing)
- `GET  /_sim/{session}/inbound` -> what contacts sent, in order
- `POST /_sim/faults` `{"mode": "500"|"429"|"timeout"|"refuse"|"463"|"lost_answer"|"none",
  "seconds": N}`;
  `GET /_sim/faults`
- `POST /_sim/{session}/scan` `{"phone"?, "push_name"?}` links the session (-> WORKING)
- `POST /_sim/{session}/status` `{"status": "FAILED"}` forces a status
- `POST /_sim/{session}/restart` `{"seconds": 6}` restarts the session as WAHA does after a
  config PUT: gone (its calls answer 404) for that long, then WORKING again if it was linked
- `POST /_sim/{session}/ack` `{"id": <sent message id>, "ack": 3}`
- `POST /_sim/{session}/presence` `{"from": chatId, "state": "typing"|"paused", "participant"?}`
- `POST /_sim/reset` back to the initial state
- `GET  /_sim/webhooks` delivery attempts `[{"url", "event", "event_id", "request_id",
  "session", "attempt", "status_code", "error", "at"}]`
- `GET  /_sim/events?event=&session=` every envelope emitted (with or without a webhook)
- `POST /_sim/wait-idle` `{"timeout": 5}` -> `{"idle": bool}` waits for deliveries and acks
- `POST /_sim/contacts` `{"phone", "exists": true, "chatId"?, "lid"?}` what check-exists and
  the lids endpoints answer for a number
- `GET  /_sim/sessions` -> `[{"name", "status", "me", "qr"}]`
- `GET  /_sim/phone` the phone-like chat page
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import errors
from .api import read_json, sim
from .faults import FAULT_MODES
from .phone_page import phone_page


def _number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise errors.bad_request([f"{name} must be a number"])
    return float(value)


async def reset(request: Request) -> Response:
    await sim(request).reset()
    return JSONResponse({"ok": True})


async def set_faults(request: Request) -> Response:
    body = await read_json(request)
    mode = str(body.get("mode", ""))
    if mode not in FAULT_MODES:
        raise errors.bad_request(
            [f"mode must be one of the following values: {', '.join(FAULT_MODES)}"]
        )
    seconds = _number(body.get("seconds"), "seconds")
    faults = sim(request).faults
    faults.set(mode, seconds)
    return JSONResponse(faults.to_json())


async def get_faults(request: Request) -> Response:
    return JSONResponse(sim(request).faults.to_json())


async def webhooks(request: Request) -> Response:
    return JSONResponse([attempt.to_json() for attempt in sim(request).webhooks.attempts])


async def events(request: Request) -> Response:
    event = request.query_params.get("event")
    session = request.query_params.get("session")
    selected = [
        envelope
        for envelope in sim(request).events
        if (event is None or envelope["event"] == event)
        and (session is None or envelope["session"] == session)
    ]
    return JSONResponse(selected)


async def wait_idle(request: Request) -> Response:
    body = await read_json(request, optional=True)
    timeout = _number(body.get("timeout"), "timeout")
    idle = await sim(request).tasks.wait_idle(5.0 if timeout is None else timeout)
    return JSONResponse({"idle": idle})


async def contacts(request: Request) -> Response:
    body = await read_json(request)
    phone = body.get("phone")
    if not isinstance(phone, str) or not phone:
        raise errors.bad_request(["phone should not be empty"])
    contact = sim(request).register_contact(
        phone, bool(body.get("exists", True)), body.get("chatId"), body.get("lid")
    )
    return JSONResponse(
        {
            "phone": contact.phone,
            "exists": contact.exists,
            "chatId": contact.chat_id,
            "lid": contact.lid,
        }
    )


async def sessions(request: Request) -> Response:
    simulator = sim(request)
    return JSONResponse(
        [
            {"name": s.name, "status": s.status, "me": s.me, "qr": s.qr}
            for s in simulator.state.sessions.values()
        ]
    )


async def inbound(request: Request) -> Response:
    body = await read_json(request)
    simulator = sim(request)
    message_id = await simulator.inbound(
        request.path_params["session"], body, str(request.base_url)
    )
    return JSONResponse({"id": message_id})


async def inbound_list(request: Request) -> Response:
    records = sim(request).state.inbound.get(request.path_params["session"], [])
    return JSONResponse([record.to_json() for record in records])


async def sent(request: Request) -> Response:
    records = sim(request).state.sent.get(request.path_params["session"], [])
    return JSONResponse([record.to_json() for record in records])


async def scan(request: Request) -> Response:
    body = await read_json(request, optional=True)
    simulator = sim(request)
    session = simulator.scan(
        request.path_params["session"], body.get("phone"), body.get("push_name")
    )
    return JSONResponse(simulator.session_dto(session))


async def force_status(request: Request) -> Response:
    body = await read_json(request)
    simulator = sim(request)
    session = simulator.force_status(request.path_params["session"], str(body.get("status", "")))
    return JSONResponse(simulator.session_dto(session))


async def restart(request: Request) -> Response:
    body = await read_json(request, optional=True)
    seconds = _number(body.get("seconds"), "seconds")
    simulator = sim(request)
    session = simulator.restart_session(request.path_params["session"], seconds)
    return JSONResponse(simulator.session_dto(session))


async def ack(request: Request) -> Response:
    body = await read_json(request)
    message_id = body.get("id")
    level = body.get("ack")
    if not isinstance(message_id, str) or not isinstance(level, int) or isinstance(level, bool):
        raise errors.bad_request(["id must be a string and ack an integer"])
    envelope = sim(request).ack(request.path_params["session"], message_id, level)
    return JSONResponse({"event": envelope["event"], "payload": envelope["payload"]})


async def presence(request: Request) -> Response:
    body = await read_json(request)
    chat_id = body.get("from")
    state = body.get("state", "typing")
    if not isinstance(chat_id, str) or not chat_id:
        raise errors.bad_request(["from should not be empty"])
    if state not in ("typing", "paused", "recording", "online", "offline"):
        raise errors.bad_request(["state must be typing, paused, recording, online or offline"])
    sim(request).presence(request.path_params["session"], chat_id, state, body.get("participant"))
    return JSONResponse({"ok": True})


async def reaction(request: Request) -> Response:
    """A contact reacts: ``{"from", "messageId", "emoji"}`` ("" removes)."""
    body = await read_json(request)
    chat_id, message_id, emoji = body.get("from"), body.get("messageId"), body.get("emoji")
    if not (isinstance(chat_id, str) and chat_id and isinstance(message_id, str) and message_id):
        raise errors.bad_request(["from and messageId should not be empty"])
    if not isinstance(emoji, str):
        raise errors.bad_request(["emoji must be a string"])
    sim(request).contact_reacts(request.path_params["session"], chat_id, message_id, emoji)
    return JSONResponse({"ok": True})


def routes() -> list[BaseRoute]:
    return [
        Route("/_sim/reset", reset, methods=["POST"]),
        Route("/_sim/faults", set_faults, methods=["POST"]),
        Route("/_sim/faults", get_faults, methods=["GET"]),
        Route("/_sim/webhooks", webhooks, methods=["GET"]),
        Route("/_sim/events", events, methods=["GET"]),
        Route("/_sim/wait-idle", wait_idle, methods=["POST"]),
        Route("/_sim/contacts", contacts, methods=["POST"]),
        Route("/_sim/sessions", sessions, methods=["GET"]),
        Route("/_sim/phone", phone_page, methods=["GET"]),
        Route("/_sim/{session}/inbound", inbound, methods=["POST"]),
        Route("/_sim/{session}/inbound", inbound_list, methods=["GET"]),
        Route("/_sim/{session}/sent", sent, methods=["GET"]),
        Route("/_sim/{session}/scan", scan, methods=["POST"]),
        Route("/_sim/{session}/status", force_status, methods=["POST"]),
        Route("/_sim/{session}/restart", restart, methods=["POST"]),
        Route("/_sim/{session}/ack", ack, methods=["POST"]),
        Route("/_sim/{session}/presence", presence, methods=["POST"]),
        Route("/_sim/{session}/reaction", reaction, methods=["POST"]),
    ]
