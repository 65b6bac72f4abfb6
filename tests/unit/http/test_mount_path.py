"""Mounted under ``/crm`` (``Mount("/crm", app=create_app())``), the pages build every URL under
the prefix, and the login page's ``next`` takes only a dashboard path under it: never another
host, never a path outside the mount. Over ASGI, without a database (nobody signs in here)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from wa_crm.container import build_container
from wa_crm.entrypoints.http.app import create_app
from wa_crm.settings import Settings


@pytest.fixture
async def host(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        media_dir=str(tmp_path / "media"),
        secret_key="mount-test-secret-key-0123456789",
    )
    app = Starlette(routes=[Mount("/crm", app=create_app(build_container(settings)))])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://host.test") as client:
        yield client


def _boot(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="boot">(.*?)</script>', html)
    assert found, html
    boot: dict[str, object] = json.loads(found.group(1))
    return boot


async def test_a_stranger_is_sent_to_the_login_page_under_the_prefix(
    host: httpx.AsyncClient,
) -> None:
    answer = await host.get("/crm/dashboard/e2e/team?lang=en")
    assert answer.status_code == 303
    target = quote("/crm/dashboard/e2e/team?lang=en", safe="")
    assert answer.headers["location"] == f"/crm/login?next={target}&lang=en"
    front = await host.get("/crm/")
    assert front.headers["location"] == "/crm/login"


async def test_the_login_page_builds_its_urls_under_the_prefix(host: httpx.AsyncClient) -> None:
    page = await host.get("/crm/login", params={"next": "/crm/dashboard/e2e/inbox?c=1"})
    assert page.status_code == 200
    assert 'action="/crm/login"' in page.text
    assert re.search(r'src="/crm/static/v/\w+/login\.js"', page.text)
    assert 'href="/crm/login?next=%2Fcrm%2Fdashboard%2Fe2e%2Finbox' in page.text  # languages
    boot = _boot(page.text)
    assert boot["base"] == "/crm"
    assert boot["next"] == "/crm/dashboard/e2e/inbox?c=1"
    assert 'value="e2e"' in page.text  # the association, read from next


@pytest.mark.parametrize(
    "refused",
    [
        "/dashboard/e2e/inbox",  # outside the mount
        "//evil.example/crm/dashboard/e2e/inbox",
        "https://evil.example/crm/dashboard/e2e/inbox",
        "/crm/../dashboard/e2e/inbox",
        "/crm/api/associations/e2e/conversations",
        "/crmx/dashboard/e2e/inbox",
    ],
)
async def test_next_is_only_a_dashboard_path_under_the_prefix(
    host: httpx.AsyncClient, refused: str
) -> None:
    page = await host.get("/crm/login", params={"next": refused})
    assert _boot(page.text)["next"] is None
