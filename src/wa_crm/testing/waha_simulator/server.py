"""Serving the simulator (or any ASGI app) with uvicorn: a CLI `run`, and context managers
that start it on a free 127.0.0.1 port for tests.

    async with running_simulator(SimulatorConfig(hook_url=...)) as url:
        httpx.get(f"{url}/api/sessions")

    with simulator_in_thread(config) as url:  # for sync tests and browsers
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from .app import create_simulator_app
from .config import SimulatorConfig


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves the process' signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        # uvicorn ticks every 0.1 s; tick faster so that tests stop their servers sooner
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            await asyncio.sleep(0.01)
            counter += 1
            should_exit = self.should_exit or (counter % 10 == 0 and await self.on_tick(counter))


def _bind_free_port(host: str, port: int = 0) -> socket.socket:
    # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections (no 40 ms stalls)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (for ``serve_app(port=...)``)."""
    with _bind_free_port(host) as sock:
        port: int = sock.getsockname()[1]
    return port


@asynccontextmanager
async def serve_app(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    before_exit: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[str]:
    """Serve `app` with uvicorn in the running event loop; yields its base URL.

    ``port`` 0 takes a free one; a fixed port lets a test configure the app with its own
    address first (e.g. the public URL WAHA calls back), see ``free_port``.
    """
    sock = _bind_free_port(host, port)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ws="none",
        timeout_graceful_shutdown=3,
        proxy_headers=False,  # as `wa-crm serve`: the app decides whose X-Forwarded-For counts
    )
    server = _EmbeddedServer(config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.005)
        yield f"http://{host}:{port}"
    finally:
        if before_exit is not None:
            await before_exit()
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


@asynccontextmanager
async def running_simulator(
    config: SimulatorConfig | None = None, *, host: str = "127.0.0.1"
) -> AsyncIterator[str]:
    """Start a simulator on a free port; yields its base URL (no trailing slash).

    Without a config it uses `SimulatorConfig()` defaults (not the environment), so tests are
    reproducible.
    """
    app = create_simulator_app(config if config is not None else SimulatorConfig())
    simulator = app.state.simulator

    async def release_held_requests() -> None:
        simulator.closing.set()

    async with serve_app(app, host=host, before_exit=release_held_requests) as url:
        yield url


@contextmanager
def simulator_in_thread(
    config: SimulatorConfig | None = None, *, host: str = "127.0.0.1", timeout: float = 10.0
) -> Iterator[str]:
    """Like `running_simulator`, in a background thread with its own event loop."""
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        box["loop"], box["stop"] = asyncio.get_running_loop(), stop
        async with running_simulator(config, host=host) as url:
            box["url"] = url
            ready.set()
            await stop.wait()

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:
            box["error"] = exc
        finally:
            ready.set()

    thread = threading.Thread(target=target, name="waha-simulator", daemon=True)
    thread.start()
    ready.wait(timeout)
    if "url" not in box:
        raise RuntimeError(f"WAHA simulator did not start: {box.get('error')!r}")
    try:
        yield box["url"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(timeout)


def run(
    host: str = "127.0.0.1", port: int | None = None, config: SimulatorConfig | None = None
) -> None:
    """Serve the simulator until interrupted (configured from WAHA's env vars by default)."""
    settings = config if config is not None else SimulatorConfig.from_env(os.environ)
    uvicorn.run(create_simulator_app(settings), host=host, port=port or settings.port)
