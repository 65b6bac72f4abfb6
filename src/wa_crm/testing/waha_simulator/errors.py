"""WAHA's error bodies (shared/waha/notes.md section 2), raised as exceptions by the core."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .state import iso_now


class WahaError(Exception):
    """An error answered with a given status and JSON body."""

    def __init__(self, status_code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(body)
        self.status_code = status_code
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        return JSONResponse(self.body, status_code=self.status_code, headers=self.headers)


def session_not_found(name: str) -> WahaError:
    # word for word as real WAHA answered (shared/waha/recorded/exchanges.jsonl), newline included
    message = (
        f"We didn't find a session with name '{name}'.\n"
        f"Please start it first by using POST /api/sessions/{name}/start request"
    )
    return WahaError(404, {"statusCode": 404, "message": message, "error": "Not Found"})


def only_default_session() -> WahaError:
    """WAHA Core's refusal of any session name but `default` (`src/core/manager.core.ts`;
    the spelling is WAHA's)."""
    return unprocessable(
        "WAHA Core support only 'default' session. If you want to run more then one WhatsApp "
        "account - please get WAHA PLUS version."
    )


def already_started(name: str) -> WahaError:
    """Starting a running session (recorded: `POST /api/sessions/default/start` after a PUT)."""
    return unprocessable(f"Session '{name}' is already started.")


def unknown_events(known: tuple[str, ...]) -> WahaError:
    """A session config naming an event the release does not know (recorded README: 2024.10.8
    and `message.edited`), in Nest's class-validator wording."""
    return bad_request(
        [f"each value in events must be one of the following values: {', '.join(known)}"]
    )


def not_implemented_by_engine(engine: str) -> WahaError:
    """What an engine answers for a method it lacks (WAHA's ``NotImplementedByEngineError``,
    a Nest ``NotImplementedException``, in ``src/core/exceptions.ts``)."""
    message = (
        f"The method is not implemented by '{engine}' engine. Check the docs and try another "
        "engine: https://waha.devlike.pro/"
    )
    return WahaError(501, {"statusCode": 501, "message": message, "error": "Not Implemented"})


def noweb_store_disabled() -> WahaError:
    """NOWEB lists chats and messages only from its store, enabled in the session's config
    (``NowebInMemoryStore.errorMessage`` in WAHA's NOWEB engine; notes.md section 9)."""
    message = (
        'Enable NOWEB store "config.noweb.store.enabled=True" and '
        '"config.noweb.store.full_sync=True" when starting a new session. '
        "Read more: https://waha.devlike.pro/docs/engines/noweb#store"
    )
    return WahaError(400, {"statusCode": 400, "message": message, "error": "Bad Request"})


def unexpected_status(name: str, status: str, expected: list[str]) -> WahaError:
    return WahaError(
        422,
        {
            "error": "Session status is not as expected. Try again later or restart the session",
            "session": name,
            "status": status,
            "expected": expected,
        },
    )


def unprocessable(message: str) -> WahaError:
    return WahaError(422, {"statusCode": 422, "message": message, "error": "Unprocessable Entity"})


def bad_request(messages: list[str]) -> WahaError:
    return WahaError(400, {"statusCode": 400, "message": messages, "error": "Bad Request"})


def not_found(message: str) -> WahaError:
    return WahaError(404, {"message": message, "error": "Not Found", "statusCode": 404})


def unauthorized() -> WahaError:
    return WahaError(401, {"message": "Unauthorized", "statusCode": 401})


def internal_error(
    message: str, *, path: str, method: str, query: dict[str, Any], version: dict[str, Any]
) -> WahaError:
    """WAHA's catch-all 500 body (AllExceptionsFilter)."""
    return WahaError(
        500,
        {
            "statusCode": 500,
            "timestamp": iso_now(),
            "exception": {
                "message": message,
                "name": "Error",
                "stack": f"Error: {message}\n    at WahaSimulator (simulator.ts:1:1)",
            },
            "request": {"path": path, "method": method, "body": {}, "query": query},
            "version": version,
        },
    )


async def handle_waha_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WahaError)
    return exc.response()


async def handle_http_not_found(request: Request, exc: Exception) -> Response:
    """Nest answers an unknown route (or method) with 404 `Cannot METHOD /path`."""
    return not_found(f"Cannot {request.method} {request.url.path}").response()
