"""The Starlette app factory: ``create_app(container=None, settings=None)``.

Start-up opens the container's resources, refuses to serve an unmigrated database, and starts
the in-process job workers (``WA_CRM_WORKERS``); shut-down stops them and closes resources.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from wa_crm.container import Container, build_container, check_database, close_resources
from wa_crm.entrypoints.http import health, webhooks
from wa_crm.entrypoints.http.errors import http_exception_handler, unexpected_error_handler
from wa_crm.entrypoints.worker import start_workers
from wa_crm.settings import Settings

_log = logging.getLogger("wa_crm.http")


def create_app(container: Container | None = None, settings: Settings | None = None) -> Starlette:
    container = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await check_database(container)
            await container.start_session_polls()()
            stop = asyncio.Event()
            workers = start_workers(container, stop, container.settings().workers)
            yield
            stop.set()
            await asyncio.gather(*workers)
        finally:
            await close_resources(container)

    app = Starlette(
        routes=[*health.routes, *webhooks.routes],
        lifespan=lifespan,
        exception_handlers={
            HTTPException: http_exception_handler,
            Exception: unexpected_error_handler,
        },
    )
    app.state.container = container
    return app
