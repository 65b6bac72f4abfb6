"""Fixtures for the webhook tests: the whole app on SQLite and on PostgreSQL.

``backend_url`` is parametrized over both databases (the PostgreSQL param carries the
``postgres`` marker), so every test that uses ``waha`` runs twice. The app runs with its
lifespan (``LifespanManager``), no job workers, and a ``FakeClock`` in the container.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from dependency_injector import providers
from starlette.applications import Starlette
from tests.support.webhook_driver import Waha, create_association

from wa_crm.container import Container, build_container
from wa_crm.domain.model.association import Association
from wa_crm.entrypoints.http.app import create_app
from wa_crm.settings import Settings
from wa_crm.testing.clock import FakeClock

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def container(backend_url: str, clock: FakeClock) -> Container:
    settings = Settings(database_url=backend_url, workers=0, secret_key="x" * 32)
    container = build_container(settings)
    container.clock.override(providers.Object(clock))
    return container


@pytest.fixture
async def app(container: Container) -> AsyncIterator[Starlette]:
    app = create_app(container)
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def association(app: Starlette, container: Container) -> Association:
    return await create_association(container)


@pytest.fixture
def waha(client: httpx.AsyncClient, container: Container, association: Association) -> Waha:
    return Waha(client, container, association)
