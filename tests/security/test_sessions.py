"""Issue 14, finding 5 and the login "Low" items: sessions that end, credentials that can be
withdrawn, over real HTTP.

Before: logout only cleared the browser's cookie, so a copy of it kept working for 12 hours;
tokens never expired and could not be revoked; agents could be neither disabled nor given a new
password; a locked e-mail stayed locked for the whole window; ``X-Forwarded-For`` from anyone
named a fresh client for each try; another site could post the login form; an agent could open
any number of event streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from tests.e2e.harness import Service, running_service

from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.entrypoints.http import sse

SLUG = "e2e"
API = f"/api/associations/{SLUG}"
ANA = {"association": SLUG, "email": "ana@e2e.org", "password": "agent-password"}
ADA = {"association": SLUG, "email": "ada@e2e.org", "password": "admin-password"}
COOL_DOWN = 1.0


@dataclass
class Team:
    service: Service
    admin_token: str
    ana_id: str

    def client(self, **headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.service.service_url, headers=headers)

    def as_admin(self) -> httpx.AsyncClient:
        return self.client(Authorization=f"Bearer {self.admin_token}")


@pytest.fixture
async def team(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Team]:
    settings: dict[str, Any] = {
        "login_cool_down_seconds": COOL_DOWN,
        "max_event_streams_per_agent": 2,
    }
    async with running_service(sqlite_url, tmp_path / "media", **settings) as service:
        container = service.container
        admin = NewAgent(SLUG, ADA["email"], "Ada", "admin", ADA["password"])
        (await container.create_agent()(admin)).unwrap()
        admin_token = (await container.issue_api_token()(SLUG, ADA["email"])).unwrap()
        yield Team(service, admin_token, service.agent_id)


async def _log_in(client: httpx.AsyncClient, who: dict[str, str] = ANA) -> str:
    """Logs the client in (JSON); returns the session's CSRF token."""
    response = await client.post("/login", json=who)
    assert response.status_code == 200, response.text
    return str(response.json()["csrf"])


def _copy_of(client: httpx.AsyncClient, team: Team) -> httpx.AsyncClient:
    """Another client holding a copy of the session cookie, as a thief would."""
    copy = team.client()
    copy.cookies.update(client.cookies)
    return copy


async def _can_read(client: httpx.AsyncClient) -> bool:
    response = await client.get(f"{API}/conversations")
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


async def test_a_copied_cookie_stops_working_after_logout(team: Team) -> None:
    async with team.client() as browser:
        await _log_in(browser)
        async with _copy_of(browser, team) as thief:
            assert await _can_read(thief)
            assert (await browser.post("/logout")).status_code == 200
            assert not await _can_read(thief)
            page = await thief.get(f"/dashboard/{SLUG}/inbox")
            assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_a_password_change_ends_the_other_sessions(team: Team) -> None:
    async with team.client() as laptop, team.client() as phone:
        csrf = await _log_in(laptop)
        await _log_in(phone)
        url, headers = f"{API}/me/password", {"X-CSRF-Token": csrf}

        wrong = {"current_password": "not-it", "new_password": "a-new-password"}
        assert (await laptop.post(url, json=wrong, headers=headers)).status_code == 422
        short = {"current_password": ANA["password"], "new_password": "short"}
        refused = await laptop.post(url, json=short, headers=headers)
        assert refused.status_code == 422 and "at least 8" in refused.json()["error"]["message"]
        assert await _can_read(phone)

        change = {"current_password": ANA["password"], "new_password": "a-new-password"}
        changed = await laptop.post(url, json=change, headers=headers)
        assert changed.status_code == 200, changed.text
        assert await _can_read(laptop)  # the session that changed it stays
        assert not await _can_read(phone)
    async with team.client() as fresh:
        assert (await fresh.post("/login", json=ANA)).status_code == 401
        await _log_in(fresh, {**ANA, "password": "a-new-password"})


async def test_disabling_an_agent_ends_its_sessions_and_its_tokens(team: Team) -> None:
    async with team.client() as browser, team.as_admin() as admin:
        await _log_in(browser)
        issued = await admin.post(f"{API}/agents/{team.ana_id}/tokens", json={"name": "script"})
        assert issued.status_code == 201, issued.text
        async with team.client(Authorization=f"Bearer {issued.json()['token']}") as script:
            assert await _can_read(script) and await _can_read(browser)

            disabled = await admin.post(f"{API}/agents/{team.ana_id}/disable")
            assert disabled.status_code == 200 and disabled.json()["disabled_at"]
            assert not await _can_read(browser)
            assert not await _can_read(script)
            login = await browser.post("/login", json=ANA)
            assert login.status_code == 401 and login.json()["error"]["code"] == "agent_disabled"
            agents = (await admin.get(f"{API}/agents")).json()["items"]
            assert {a["id"]: a["disabled"] for a in agents}[team.ana_id] is True

            assert (await admin.post(f"{API}/agents/{team.ana_id}/enable")).status_code == 200
            assert await _can_read(script)
            assert not await _can_read(browser)  # its session ended; it logs in anew
            await _log_in(browser)


async def test_an_admin_cannot_disable_themselves_and_an_agent_cannot_disable_anyone(
    team: Team,
) -> None:
    async with team.as_admin() as admin, team.client() as ana:
        me = (await admin.get(f"{API}/agents")).json()["items"]
        admin_id = next(a["id"] for a in me if a["role"] == "admin")
        assert (await admin.post(f"{API}/agents/{admin_id}/disable")).status_code == 422
        csrf = await _log_in(ana)
        refused = await ana.post(f"{API}/agents/{admin_id}/disable", headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 403


async def test_revoked_and_expired_tokens_get_401(team: Team) -> None:
    async with team.client() as ana, team.as_admin() as admin:
        csrf = await _log_in(ana)
        tokens_url = f"{API}/agents/{team.ana_id}/tokens"
        issued = await ana.post(
            tokens_url, json={"name": "ci", "expires_in_days": 1}, headers={"X-CSRF-Token": csrf}
        )
        assert issued.status_code == 201, issued.text
        token, token_id = issued.json()["token"], issued.json()["id"]
        listed = (await ana.get(tokens_url)).json()["items"]
        assert [(t["id"], t["name"]) for t in listed] == [(token_id, "ci")]
        assert token not in str(listed) and listed[0]["expires_at"]

        async with team.client(Authorization=f"Bearer {token}") as script:
            assert await _can_read(script)
            assert (await admin.get(tokens_url)).json()["items"][0]["last_used_at"]

            later = datetime.now().astimezone() + timedelta(days=1, minutes=1)
            team.service.container.clock.override(providers.Object(_FixedClock(later)))
            try:
                assert not await _can_read(script)
            finally:
                team.service.container.clock.reset_override()
            assert await _can_read(script)

            revoked = await admin.delete(f"{tokens_url}/{token_id}")
            assert revoked.status_code == 200 and revoked.json() == {"revoked": 1}
            assert not await _can_read(script)
            assert (await admin.delete(f"{tokens_url}/{token_id}")).status_code == 404


async def test_tokens_are_the_agent_s_own_or_an_admin_s_to_manage(team: Team) -> None:
    async with team.client() as ana, team.as_admin() as admin:
        csrf = await _log_in(ana)
        agents = (await admin.get(f"{API}/agents")).json()["items"]
        admin_id = next(a["id"] for a in agents if a["role"] == "admin")
        assert (await ana.get(f"{API}/agents/{admin_id}/tokens")).status_code == 403
        stolen = await ana.post(
            f"{API}/agents/{admin_id}/tokens", json={}, headers={"X-CSRF-Token": csrf}
        )
        assert stolen.status_code == 403
        assert (await admin.get(f"{API}/agents/{team.ana_id}/tokens")).status_code == 200
        assert (await admin.get(f"{API}/agents/nobody/tokens")).status_code == 404
        other = await admin.get(f"/api/associations/other/agents/{team.ana_id}/tokens")
        assert other.status_code == 404


async def test_a_locked_email_unlocks_after_the_cool_down(team: Team) -> None:
    async with team.client() as client:
        for _ in range(5):
            assert (await client.post("/login", json={**ANA, "password": "x"})).status_code == 401
        assert (await client.post("/login", json=ANA)).status_code == 429  # even the right one
        await asyncio.sleep(COOL_DOWN + 0.2)
        assert (await client.post("/login", json={**ANA, "password": "x"})).status_code == 401
        assert (await client.post("/login", json=ANA)).status_code == 429  # a new cool-down
        await asyncio.sleep(COOL_DOWN + 0.2)
        assert (await client.post("/login", json=ANA)).status_code == 200


async def test_x_forwarded_for_from_an_untrusted_peer_names_no_new_client(team: Team) -> None:
    async with team.client() as client:
        for n in range(5):
            wrong = await client.post(
                "/login",
                json={**ANA, "password": "x"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
            assert wrong.status_code == 401
        fresh = await client.post(
            "/login", json={**ANA, "password": "x"}, headers={"X-Forwarded-For": "203.0.113.99"}
        )
        assert fresh.status_code == 429


async def test_another_site_cannot_post_the_login_or_logout_form(team: Team) -> None:
    evil = {"Origin": "https://evil.example"}
    async with team.client() as browser:
        forged = await browser.post("/login", data=ANA, headers=evil)
        assert forged.status_code == 403 and forged.json()["error"]["code"] == "cross_site"
        assert "wa_crm_session" not in forged.headers.get("set-cookie", "")
        own = {"Origin": team.service.service_url}
        assert (await browser.post("/login", data=ANA, headers=own)).status_code == 303
        assert (await browser.post("/logout", headers=evil)).status_code == 403
        assert await _can_read(browser)
        assert (await browser.post("/logout", headers=own)).status_code == 200
        assert not await _can_read(browser)


async def test_an_agent_may_hold_only_so_many_event_streams(team: Team) -> None:
    async with team.client() as browser:
        await _log_in(browser)
        url = f"{API}/events"
        async with browser.stream("GET", url) as first, browser.stream("GET", url) as second:
            assert (first.status_code, second.status_code) == (200, 200)
            third = await browser.get(url)
            assert third.status_code == 429 and third.json()["error"]["code"] == "too_many_streams"
        for _ in range(50):  # the server notices the closed streams
            async with browser.stream("GET", url) as again:
                if again.status_code == 200:
                    return
            await asyncio.sleep(0.05)
        raise AssertionError("a closed stream never gave its place back")


async def test_an_open_event_stream_ends_with_its_session(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sse, "RECHECK_SECONDS", 0)
    async with team.client() as browser:
        await _log_in(browser)
        async with (
            _copy_of(browser, team) as other_tab,
            browser.stream("GET", f"{API}/events") as stream,
        ):
            assert stream.status_code == 200
            assert (await other_tab.post("/logout")).status_code == 200
            await team.service.patient_writes("5511988887777@c.us", "Oi")
            received = await asyncio.wait_for(_read_all(stream), timeout=10)
        assert "5511988887777" not in received and "Oi" not in received


async def _read_all(stream: httpx.Response) -> str:
    """What the server sent until it closed the stream."""
    return "".join([chunk async for chunk in stream.aiter_text()])


class _FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now
