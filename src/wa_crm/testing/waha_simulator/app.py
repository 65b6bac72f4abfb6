"""The Starlette application: WAHA routes + `/_sim/` control routes, faults and API key."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from . import api, control, errors
from .auth import is_authorized
from .config import SimulatorConfig
from .faults import (
    MESSAGE_463,
    abort_connection,
    buffer_body,
    hold_request,
    is_message_send,
    is_waha_route,
    replay,
    retry_after_seconds,
    scope_query,
    wait_for_disconnect,
)
from .payloads import environment
from .simulator import WahaSimulator


class SimulatorApp(Starlette):
    """Starlette with the fault and API-key checks in front of everything else.

    They run before Starlette's middleware so that the `refuse` fault can reach uvicorn's
    connection through the raw `send` callable.
    """

    simulator: WahaSimulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_waha_route(scope["path"]):
            receive_next = await self._apply_fault(scope, receive, send)
            if receive_next is None:
                return
            receive = receive_next
            if not self._authorized(scope):
                await errors.unauthorized().response()(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        header = None
        for name, value in scope.get("headers", []):
            if name.lower() == b"x-api-key":
                header = value.decode("latin-1")
                break
        query = scope_query(scope).get("x-api-key")
        return is_authorized(self.simulator.config, scope["path"], header, query)

    async def _apply_fault(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Returns the receive callable to continue with, or None when the fault answered."""
        simulator = self.simulator
        mode = simulator.faults.active()
        if mode is None:
            return receive
        method, path = scope["method"], scope["path"]
        if mode == "refuse":
            await abort_connection(send)
            return None
        if mode == "timeout":
            messages, gone = await buffer_body(receive)
            if gone:
                return None
            released = await hold_request(
                simulator.faults, receive, simulator.config.fault_timeout_seconds, simulator.closing
            )
            if not released:
                if simulator.closing.is_set():
                    await JSONResponse(
                        {"statusCode": 503, "message": "Simulator shutting down"}, status_code=503
                    )(scope, receive, send)
                return None
            return replay(messages, receive)
        if mode == "lost_answer":
            if not is_message_send(method, path) or not self._authorized(scope):
                return receive  # an unauthorized send is refused as usual
            await self._serve_unanswered(scope, receive, send)
            return None
        if mode == "429":
            error = errors.WahaError(
                429,
                {"statusCode": 429, "message": "ThrottlerException: Too Many Requests"},
                headers={"Retry-After": retry_after_seconds(simulator.faults)},
            )
        elif mode == "463":
            if not is_message_send(method, path):
                return receive
            error = self._internal_error(scope, MESSAGE_463)
        else:
            error = self._internal_error(scope, "Simulated internal server error (fault mode 500)")
        await error.response()(scope, receive, send)
        return None

    async def _serve_unanswered(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The `lost_answer` fault: the request is carried out, its answer dropped."""
        messages, gone = await buffer_body(receive)
        if gone:
            return

        async def drop(message: Message) -> None:
            return None

        await super().__call__(scope, replay(messages, receive), drop)
        simulator = self.simulator
        await wait_for_disconnect(
            receive, simulator.config.fault_timeout_seconds, simulator.closing
        )
        await abort_connection(send)

    def _internal_error(self, scope: Scope, message: str) -> errors.WahaError:
        return errors.internal_error(
            message,
            path=scope["path"],
            method=scope["method"],
            query=scope_query(scope),
            version=environment(self.simulator.config),
        )


def create_simulator_app(config: SimulatorConfig | None = None) -> Starlette:
    """The WAHA simulator as an ASGI app. Without a config, reads WAHA's env variables.

    The simulator object is `app.state.simulator` (a `WahaSimulator`).
    """
    settings = config if config is not None else SimulatorConfig.from_env(os.environ)
    simulator = WahaSimulator(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await simulator.aclose()

    app = SimulatorApp(
        routes=[*api.routes(), *control.routes()],
        exception_handlers={
            errors.WahaError: errors.handle_waha_error,
            HTTPException: errors.handle_http_not_found,
        },
        lifespan=lifespan,
    )
    app.simulator = simulator
    app.state.simulator = simulator
    return app
