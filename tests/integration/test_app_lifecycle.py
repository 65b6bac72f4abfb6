from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from wa_crm.adapters.sql import SchemaNotCurrent, create_engine
from wa_crm.entrypoints.http import create_app
from wa_crm.settings import Settings


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, workers=0, secret_key="a-test-secret-key-of-some-length")


async def test_the_service_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    app = create_app(settings=settings_for(f"sqlite+aiosqlite:///{tmp_path}/empty.db"))
    with pytest.raises(SchemaNotCurrent, match="wa-crm db upgrade"):
        async with LifespanManager(app):
            pass


async def test_health_readiness_and_metrics(sqlite_url: str) -> None:
    app = create_app(settings=settings_for(sqlite_url))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert 'wa_crm_jobs{status="dead"} 0.0' in metrics.text
        missing = await client.get("/no/such/route")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"


async def test_readiness_fails_when_the_database_goes_away(sqlite_url: str) -> None:
    app = create_app(settings=settings_for(sqlite_url))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        unreachable = create_engine("sqlite+aiosqlite:////nonexistent-folder/wa_crm.db")
        with app.state.container.engine.override(unreachable):
            ready = await client.get("/readyz")
        await unreachable.dispose()
        assert (ready.status_code, ready.json()) == (503, {"status": "not_ready"})
