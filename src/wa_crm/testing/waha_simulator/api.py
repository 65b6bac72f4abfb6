"""The WAHA routes wa_crm uses, with the paths, methods and success codes of WAHA's spec.

`GET /api/files/{session}/{filename}` is not in the spec but is how WAHA serves received media
(`media.url`, shared/waha/notes.md section 7.5).
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import segno
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import errors
from .history import ChatQuery
from .payloads import environment
from .simulator import WahaSimulator

_REQUIRED = {
    "sendText": ("chatId", "text", "session"),
    "sendImage": ("chatId", "file", "session"),
    "sendFile": ("chatId", "file", "session"),
    "sendSeen": ("chatId", "session"),
    "typing": ("chatId", "session"),
    "reaction": ("messageId", "session"),  # and `reaction`, which may be "" (a removal)
}


def sim(request: Request) -> WahaSimulator:
    simulator: WahaSimulator = request.app.state.simulator
    return simulator


async def read_json(request: Request, *, optional: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise errors.bad_request(["request body should not be empty"])
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise errors.WahaError(
            400,
            {
                "statusCode": 400,
                "message": f"Unexpected token in JSON: {exc}",
                "error": "Bad Request",
            },
        ) from exc
    if not isinstance(body, dict):
        raise errors.bad_request(["request body must be an object"])
    return body


def require_fields(body: dict[str, Any], operation: str) -> None:
    messages: list[str] = []
    for name in _REQUIRED[operation]:
        value = body.get(name)
        if value is None or value == "":
            messages.append(f"{name} should not be empty")
        elif name == "file":
            if not isinstance(value, dict) or not value.get("mimetype"):
                messages.append("file.mimetype should not be empty")
            elif not (value.get("url") or value.get("data")):
                messages.append("file.url or file.data should not be empty")
        elif not isinstance(value, str):
            messages.append(f"{name} must be a string")
    if messages:
        raise errors.bad_request(messages)


# ---------------------------------------------------------------------------- server


async def ping(request: Request) -> Response:
    return JSONResponse({"message": "pong"})


async def health(request: Request) -> Response:
    details = {"simulator": {"status": "up"}}
    return JSONResponse({"status": "ok", "info": details, "error": {}, "details": details})


async def version(request: Request) -> Response:
    return JSONResponse(environment(sim(request).config))


# ---------------------------------------------------------------------------- sessions


async def list_sessions(request: Request) -> Response:
    simulator = sim(request)
    show_all = request.query_params.get("all", "").lower() in {"true", "1"}
    sessions = [
        simulator.session_info(s)
        for s in simulator.state.sessions.values()
        if show_all or s.status != "STOPPED"
    ]
    return JSONResponse(sessions)


async def create_session(request: Request) -> Response:
    body = await read_json(request, optional=True)
    name = body.get("name")
    config = body.get("config")
    if name is not None and not isinstance(name, str):
        raise errors.bad_request(["name must be a string"])
    if config is not None and not isinstance(config, dict):
        raise errors.bad_request(["config must be an object"])
    start = body.get("start", True)
    simulator = sim(request)
    session = simulator.create_session(name or None, config, start=bool(start))
    return JSONResponse(simulator.session_dto(session), status_code=201)


async def get_session(request: Request) -> Response:
    simulator = sim(request)
    session = simulator.get_session(request.path_params["session"])
    return JSONResponse(simulator.session_info(session))


async def update_session(request: Request) -> Response:
    body = await read_json(request, optional=True)
    config = body.get("config")
    if config is not None and not isinstance(config, dict):
        raise errors.bad_request(["config must be an object"])
    simulator = sim(request)
    session = simulator.update_session(request.path_params["session"], config)
    return JSONResponse(simulator.session_dto(session))


async def delete_session(request: Request) -> Response:
    sim(request).delete_session(request.path_params["session"])
    return Response(status_code=200)


def _session_action(action: str) -> Any:
    async def endpoint(request: Request) -> Response:
        simulator = sim(request)
        name = request.path_params["session"]
        if action == "logout":
            await read_json(request, optional=True)
        operation = {
            "start": simulator.start_session,
            "stop": simulator.stop_session,
            "restart": simulator.restart_session,
            "logout": simulator.logout_session,
        }[action]
        session = operation(name)
        return JSONResponse(simulator.session_dto(session), status_code=201)

    endpoint.__name__ = f"session_{action}"
    return endpoint


async def get_me(request: Request) -> Response:
    simulator = sim(request)
    session = simulator.get_session(request.path_params["session"])
    return JSONResponse(dict(session.me) if session.me else None)


async def get_qr(request: Request) -> Response:
    simulator = sim(request)
    name = request.path_params["session"]
    fmt = request.query_params.get("format", "image")
    if fmt not in ("image", "raw"):
        raise errors.bad_request(["format must be one of the following values: image, raw"])
    session = await simulator.require_status(name, ("SCAN_QR_CODE",))
    value = session.qr or ""
    if fmt == "raw":
        return JSONResponse({"value": value})
    buffer = io.BytesIO()
    segno.make_qr(value, error="l").save(buffer, kind="png", scale=6, border=4)
    png = buffer.getvalue()
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"mimetype": "image/png", "data": base64.b64encode(png).decode()})
    return Response(png, media_type="image/png")


# ---------------------------------------------------------------------------- chatting


def _send(kind: str, operation: str) -> Any:
    async def endpoint(request: Request) -> Response:
        body = await read_json(request)
        require_fields(body, operation)
        answer = await sim(request).send(kind, body)
        if answer is None:
            return Response(status_code=201)
        return JSONResponse(answer, status_code=201)

    endpoint.__name__ = operation
    return endpoint


async def new_message_id(request: Request) -> Response:
    return JSONResponse(await sim(request).new_message_id(request.path_params["session"]))


async def chat_messages(request: Request) -> Response:
    params = request.path_params
    query = ChatQuery.from_params(request.query_params)
    return JSONResponse(
        await sim(request).chat_messages(params["session"], params["chatId"], query)
    )


async def send_seen(request: Request) -> Response:
    body = await read_json(request)
    require_fields(body, "sendSeen")
    await sim(request).send_seen(body)
    return JSONResponse({}, status_code=201)


def _typing(state: bool) -> Any:
    async def endpoint(request: Request) -> Response:
        body = await read_json(request)
        require_fields(body, "typing")
        await sim(request).typing(body, state)
        return Response(status_code=201)

    endpoint.__name__ = "start_typing" if state else "stop_typing"
    return endpoint


async def set_reaction(request: Request) -> Response:
    """``PUT /api/reaction`` (``ChattingController_setReaction``): "" removes the reaction."""
    body = await read_json(request)
    require_fields(body, "reaction")
    if not isinstance(body.get("reaction"), str):
        raise errors.bad_request(["reaction must be a string"])
    await sim(request).react(body)
    return JSONResponse({})


# ---------------------------------------------------------------------------- contacts, lids, files


async def check_exists(request: Request) -> Response:
    phone = request.query_params.get("phone")
    session = request.query_params.get("session")
    missing = [
        f"{n} should not be empty" for n, v in (("phone", phone), ("session", session)) if not v
    ]
    if missing:
        raise errors.bad_request(missing)
    assert phone is not None and session is not None
    return JSONResponse(await sim(request).check_exists(session, phone))


def _require_lids(request: Request) -> None:
    """The recorded release has no `/lids` routes: Nest's unknown-route 404."""
    if not sim(request).config.release.has_lids:
        raise errors.not_found(f"Cannot {request.method} {request.url.path}")


async def lid_to_pn(request: Request) -> Response:
    _require_lids(request)
    params = request.path_params
    return JSONResponse(await sim(request).lid_to_pn(params["session"], params["lid"]))


async def pn_to_lid(request: Request) -> Response:
    _require_lids(request)
    params = request.path_params
    return JSONResponse(await sim(request).pn_to_lid(params["session"], params["phoneNumber"]))


async def get_file(request: Request) -> Response:
    params = request.path_params
    stored = sim(request).get_file(params["session"], params["filename"])
    return Response(stored.data, media_type=stored.mimetype)


def routes() -> list[BaseRoute]:
    return [
        Route("/ping", ping, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/api/version", version, methods=["GET"]),
        Route("/api/server/version", version, methods=["GET"]),
        Route("/api/sessions", list_sessions, methods=["GET"]),
        Route("/api/sessions", create_session, methods=["POST"]),
        Route("/api/sessions/{session}", get_session, methods=["GET"]),
        Route("/api/sessions/{session}", update_session, methods=["PUT"]),
        Route("/api/sessions/{session}", delete_session, methods=["DELETE"]),
        *(
            Route(f"/api/sessions/{{session}}/{action}", _session_action(action), methods=["POST"])
            for action in ("start", "stop", "restart", "logout")
        ),
        Route("/api/sessions/{session}/me", get_me, methods=["GET"]),
        Route("/api/{session}/auth/qr", get_qr, methods=["GET"]),
        Route("/api/sendText", _send("text", "sendText"), methods=["POST"]),
        Route("/api/sendImage", _send("image", "sendImage"), methods=["POST"]),
        Route("/api/sendFile", _send("file", "sendFile"), methods=["POST"]),
        Route("/api/sendSeen", send_seen, methods=["POST"]),
        Route("/api/startTyping", _typing(True), methods=["POST"]),
        Route("/api/stopTyping", _typing(False), methods=["POST"]),
        Route("/api/reaction", set_reaction, methods=["PUT"]),
        Route("/api/{session}/new-message-id", new_message_id, methods=["GET"]),
        Route("/api/{session}/chats/{chatId}/messages", chat_messages, methods=["GET"]),
        Route("/api/contacts/check-exists", check_exists, methods=["GET"]),
        Route("/api/{session}/lids/pn/{phoneNumber}", pn_to_lid, methods=["GET"]),
        Route("/api/{session}/lids/{lid}", lid_to_pn, methods=["GET"]),
        Route("/api/files/{session}/{filename}", get_file, methods=["GET"]),
    ]
