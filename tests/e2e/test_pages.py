"""The inbox and login pages over real HTTP, without a browser: who gets what, in which
language, and that everything a page needs is served by us."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from tests.e2e.harness import Service, running_service

from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.entrypoints.http.pages import STATIC_DIR, STRINGS, VERSIONED_STATIC, asset_version


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(sqlite_url, tmp_path / "media") as running:
        (
            await running.container.create_association()(NewAssociation("other", "Other", "en"))
        ).unwrap()
        (
            await running.container.create_agent()(
                NewAgent("other", "bo@other.org", "Bo", "agent", "other-password")
            )
        ).unwrap()
        yield running


@asynccontextmanager
async def browser_session(
    service: Service, association: str, email: str, password: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding the session cookie of a login through the form."""
    async with httpx.AsyncClient(base_url=service.service_url) as client:
        response = await client.post(
            "/login", data={"association": association, "email": email, "password": password}
        )
        assert response.status_code == 303, response.text
        yield client


async def test_the_inbox_sends_strangers_to_the_login_page(service: Service) -> None:
    async with httpx.AsyncClient(base_url=service.service_url) as client:
        response = await client.get("/dashboard/e2e/inbox?lang=en")
        assert response.status_code == 303
        assert response.headers["location"] == (
            "/login?next=%2Fdashboard%2Fe2e%2Finbox%3Flang%3Den&lang=en"
        )
        login = await client.get(response.headers["location"])
        assert login.status_code == 200
        assert 'value="e2e"' in login.text and "Sign in" in login.text
        assert "default-src 'self'" in login.headers["content-security-policy"]
        assert (await client.get("/")).headers["location"] == "/login"


async def test_an_agent_of_another_association_gets_404(service: Service) -> None:
    async with browser_session(service, "other", "bo@other.org", "other-password") as bo:
        response = await bo.get("/dashboard/e2e/inbox")
        assert response.status_code == 404
        assert "text/html" in response.headers["content-type"]
        assert (await bo.get("/dashboard/nowhere/inbox")).status_code == 404
        assert (await bo.get("/dashboard/other/inbox")).status_code == 200


async def test_the_inbox_page_carries_the_session_csrf_and_the_locale(service: Service) -> None:
    async with browser_session(service, "e2e", "ana@e2e.org", "agent-password") as ana:
        page = await ana.get("/dashboard/e2e/inbox")
        assert page.status_code == 200
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
        assert csrf is not None
        claim = "/api/associations/e2e/conversations/unknown/claim"
        assert (await ana.post(claim)).status_code == 403
        refused = await ana.post(claim, headers={"X-CSRF-Token": csrf.group(1)})
        assert refused.status_code == 404, "past the CSRF check"

        boot = json.loads(re.search(r'id="boot">(.*?)</script>', page.text, re.S).group(1))
        assert boot["locale"] == "pt-BR" and boot["slug"] == "e2e"
        assert boot["strings"]["tab_pending"] == "Aguardando"
        assert '<html lang="pt-BR">' in page.text and "Aguardando" in page.text
        english = await ana.get("/dashboard/e2e/inbox?lang=en")
        assert '<html lang="en">' in english.text and ">Pending</span>" in english.text

        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
            assert (await ana.get(asset)).status_code == 200, asset
        assert "http://" not in page.text and "https://" not in page.text, "nothing from a CDN"
        assert (await ana.get("/")).headers["location"] == "/dashboard/e2e/inbox"


async def test_the_inbox_modules_come_versioned_as_javascript(service: Service) -> None:
    """The inbox is native ES modules: the entry's imports, and theirs, resolve against its own
    URL, so each one carries the page's asset version and is served as JavaScript; the page runs
    no inline script, so the policy's ``script-src 'self'`` covers them all."""
    async with browser_session(service, "e2e", "ana@e2e.org", "agent-password") as ana:
        page = await ana.get("/dashboard/e2e/inbox")
        assert "script-src 'self';" in page.headers["content-security-policy"]
        scripts = re.findall(r"<script([^>]*)>", page.text)
        assert all('type="application/json"' in tag or " src=" in tag for tag in scripts), scripts
        entries = re.findall(r'<script src="([^"]+)" type="module">', page.text)
        assert entries == [f"{VERSIONED_STATIC}/inbox/main.js"]

        seen: set[str] = set()
        waiting = list(entries)
        while waiting:
            url = waiting.pop()
            if url in seen:
                continue
            seen.add(url)
            module = await ana.get(url)
            assert module.status_code == 200, url
            assert module.headers["content-type"].startswith("text/javascript"), url
            for imported in re.findall(r'^import .*?from "(\.[^"]+)";', module.text, re.M | re.S):
                waiting.append(urljoin(url, imported))

        assert all(url.startswith(f"{VERSIONED_STATIC}/inbox/") for url in seen), seen
        on_disk = {path.name for path in (STATIC_DIR / "inbox").glob("*.js")}
        assert {url.rsplit("/", 1)[1] for url in seen} == on_disk, "every module is imported"


def test_the_asset_version_follows_the_files_in_subfolders(tmp_path: Path) -> None:
    module = tmp_path / "inbox" / "state.js"
    module.parent.mkdir()
    module.write_text("export const state = {};\n")
    before = asset_version(tmp_path)
    assert asset_version(tmp_path) == before
    module.write_text("export const state = { tab: 'all' };\n")
    assert asset_version(tmp_path) != before


async def test_the_page_escapes_what_it_is_given(service: Service) -> None:
    async with browser_session(service, "e2e", "ana@e2e.org", "agent-password") as ana:
        page = await ana.get("/login?association=%3Cscript%3Ex%3C/script%3E")
        assert "<script>x</script>" not in page.text
        evil_next = await ana.get("/login?next=https://evil.example/")
        assert "evil.example" not in evil_next.text


def test_both_languages_have_every_string() -> None:
    english, portuguese = STRINGS["en"], STRINGS["pt-BR"]
    assert set(english) == set(portuguese)
    assert all(value.strip() for value in [*english.values(), *portuguese.values()])


async def test_a_failed_form_login_returns_to_the_form_with_the_reason(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with (
        running_service(sqlite_url, tmp_path / "media") as service,
        httpx.AsyncClient(base_url=service.service_url) as client,
    ):
        refused = await client.post(
            "/login", data={"association": "e2e", "email": "ana@e2e.org", "password": "wrong"}
        )
        assert refused.status_code == 303
        page = await client.get(refused.headers["location"] + "&lang=en")
    assert "Wrong association, e-mail or password." in page.text


async def test_the_knowledge_page_is_for_admins_and_linked_in_their_navigation(
    service: Service,
) -> None:
    admin = NewAgent("e2e", "ada@e2e.org", "Ada", "admin", "admin-password")
    (await service.container.create_agent()(admin)).unwrap()
    async with browser_session(service, "e2e", "ana@e2e.org", "agent-password") as ana:
        refused = await ana.get("/dashboard/e2e/knowledge")
        assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    async with browser_session(service, "e2e", "ada@e2e.org", "admin-password") as ada:
        inbox = await ada.get("/dashboard/e2e/inbox")
        assert 'href="/dashboard/e2e/settings"' in inbox.text
        settings = await ada.get("/dashboard/e2e/settings")
        assert 'href="/dashboard/e2e/knowledge"' in settings.text
        page = await ada.get("/dashboard/e2e/knowledge?lang=en")
        assert page.status_code == 200
        assert "<h1>Knowledge base</h1>" in page.text
        assert 'aria-current="page">Knowledge base</a>' in page.text
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
            assert (await ada.get(asset)).status_code == 200, asset
