"""Request bodies: how large they may be and how slowly they may arrive, for every route.

A pure ASGI middleware wraps ``receive``. The limit is chosen when the handler first reads the
body: by then the router has put the endpoint in the scope, so an endpoint that takes files says
so with :func:`accepts_files` (or :func:`body_limit`) and every other body gets
``settings.request_body_max_bytes``. A declared ``Content-Length`` over the limit is refused
before a byte is read; otherwise bytes are counted as they arrive (chunked bodies declare
nothing). A body with no chunk for ``settings.request_body_timeout_seconds`` is cut off, so a
client trickling bytes cannot hold a worker and its memory for ever. Once the body is complete,
``receive`` waits without a timeout again (event streams wait there for the disconnect).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wa_crm.entrypoints.http.errors import BodyTimedOut, BodyTooLarge
from wa_crm.settings import Settings

MULTIPART_HEADROOM = 64 * 1024  # part headers, boundaries and small fields around the file
FILE_BODY_PREFIXES = ("multipart/form-data", "text/csv", "application/octet-stream")

BodyLimit = Callable[[Settings, str], int]
"""The largest body an endpoint takes, from the settings and the request's content type."""

Endpoint = TypeVar("Endpoint")


def body_limit(choose: BodyLimit) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint whose bodies are limited by ``choose`` instead of the JSON limit."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.body_limit = choose  # type: ignore[attr-defined]  # read back with getattr
        return endpoint

    return mark


def accepts_files(setting: str) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint that takes a file (multipart, CSV or raw bytes) of up to
    ``settings.<setting>`` bytes; its JSON and url-encoded bodies keep the small limit."""

    def choose(settings: Settings, content_type: str) -> int:
        if content_type.startswith(FILE_BODY_PREFIXES):
            return int(getattr(settings, setting)) + MULTIPART_HEADROOM
        return settings.request_body_max_bytes

    return body_limit(choose)


class RequestBodyLimits:
    """The ASGI middleware enforcing the size and arrival-time limits described above; its
    refusals are raised into the handler's read and answered through the error table."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            receive = _LimitedBody(scope, receive, self.settings)
        await self.app(scope, receive, send)


class _LimitedBody:
    """The ``receive`` handed to the app: counts body bytes and times out idle reads."""

    def __init__(self, scope: Scope, receive: Receive, settings: Settings) -> None:
        self.scope, self.receive, self.settings = scope, receive, settings
        self.limit: int | None = None
        self.received = 0
        self.complete = False

    async def __call__(self) -> Message:
        if self.complete:
            return await self.receive()
        if self.limit is None:
            self.limit = self._choose_limit()
        try:
            async with asyncio.timeout(self.settings.request_body_timeout_seconds):
                message = await self.receive()
        except TimeoutError:
            raise BodyTimedOut(
                "the request body stopped arriving for "
                f"{self.settings.request_body_timeout_seconds:g} seconds"
            ) from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise _too_large(self.limit)
            self.complete = not message.get("more_body", False)
        return message

    def _choose_limit(self) -> int:
        headers = _headers(self.scope)
        choose: BodyLimit = getattr(self.scope.get("endpoint"), "body_limit", _json_limit)
        limit = choose(self.settings, headers.get("content-type", "").lower())
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        return limit


def _json_limit(settings: Settings, content_type: str) -> int:
    return settings.request_body_max_bytes


def _too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(f"this request's body is limited to {limit} bytes")


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
