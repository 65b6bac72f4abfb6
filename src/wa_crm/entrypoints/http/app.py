"""The Starlette app factory: ``create_app(container=None, settings=None)``.

Start-up opens the container's resources, refuses to serve an unmigrated database, and starts
the in-process job workers (``WA_CRM_WORKERS``); shut-down stops them and closes resources.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route

from wa_crm.container import Container, build_container, check_database, close_resources
from wa_crm.entrypoints.http import (
    admin,
    api,
    assist,
    contact_conversations,
    health,
    imports,
    inbox_tools,
    knowledge,
    labels,
    openapi,
    pages,
    pwa,
    reactions,
    sse,
    team,
    webhook_refusals,
    webhooks,
)
from wa_crm.entrypoints.http.auth import login, logout
from wa_crm.entrypoints.http.bodies import RequestBodyLimits
from wa_crm.entrypoints.http.errors import (
    RefusedRequest,
    http_exception_handler,
    refused_request_handler,
    unexpected_error_handler,
)
from wa_crm.entrypoints.http.login_throttle import LoginThrottle
from wa_crm.entrypoints.http.sse import OpenStreams
from wa_crm.entrypoints.http.url_text import NulFreeUrls
from wa_crm.entrypoints.worker import start_workers
from wa_crm.settings import Settings


def create_app(container: Container | None = None, settings: Settings | None = None) -> Starlette:
    container = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await check_database(container)
            await container.start_periodic_jobs()()
            stop = asyncio.Event()
            workers = start_workers(container, stop, container.settings().workers)
            yield
            stop.set()
            await asyncio.gather(*workers)
        finally:
            await close_resources(container)

    settings = container.settings()
    app = Starlette(
        routes=[
            *health.routes,
            *webhooks.routes,
            *webhook_refusals.routes,
            Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            *api.routes,
            *contact_conversations.routes,
            *reactions.routes,
            *inbox_tools.routes,
            *labels.routes,
            *assist.routes,
            *imports.routes,
            *knowledge.routes,
            *admin.routes,
            *team.routes,
            *sse.routes,
            Route("/openapi.json", openapi.document, methods=["GET"]),
            *pwa.routes,
            *pages.routes,
        ],
        middleware=[
            Middleware(NulFreeUrls),
            Middleware(RequestBodyLimits, settings=settings),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key.get_secret_value(),
                session_cookie="wa_crm_session",
                same_site="lax",
                https_only=settings.public_url.startswith("https://"),
                max_age=int(settings.browser_session_hours * 3600),
            ),
        ],
        lifespan=lifespan,
        exception_handlers={
            HTTPException: http_exception_handler,
            RefusedRequest: refused_request_handler,
            Exception: unexpected_error_handler,
        },
    )
    app.state.container = container
    app.state.login_throttle = LoginThrottle(cool_down=settings.login_cool_down_seconds)
    app.state.event_streams = OpenStreams(settings.max_event_streams_per_agent)
    return app
