"""The team's API on SQLite and PostgreSQL: an admin creates agents (with a typed password or a
generated one shown once), changes their role and name, resets their password (their browser
sessions end, their API tokens stay), and never leaves the association without an active
admin; every change is audited; bad input is a 4xx with its code, a plain agent gets 403 and
another association's admin 404."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.support.webhook_driver import Waha

from wa_crm.container import Container
from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.credentials import BrowserSession
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation, hash_token
from wa_crm.ports.queries import AuditQuery


class Caller:
    def __init__(self, client: httpx.AsyncClient, slug: str, token: str, agent_id: str) -> None:
        self.client, self.slug, self.id = client, slug, agent_id
        self.headers = {"Authorization": f"Bearer {token}"}

    async def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = f"/api/associations/{self.slug}/{path}"
        return await self.client.request(method, url, headers=self.headers, **kwargs)


async def _caller(container: Container, client: httpx.AsyncClient, slug: str, role: str) -> Caller:
    email = f"{role}@{slug}.org"
    command = NewAgent(slug, email, role.title(), role, "password-1")
    agent = (await container.create_agent()(command)).unwrap()
    token = (await container.issue_api_token()(slug, email)).unwrap()
    return Caller(client, slug, token, agent.id)


@pytest.fixture
async def admin(container: Container, client: httpx.AsyncClient, waha: Waha) -> Caller:
    return await _caller(container, client, waha.association.slug, "admin")


@pytest.fixture
async def agent(container: Container, client: httpx.AsyncClient, waha: Waha) -> Caller:
    return await _caller(container, client, waha.association.slug, "agent")


async def signs_in(client: httpx.AsyncClient, slug: str, email: str, password: str) -> bool:
    body = {"association": slug, "email": email, "password": password}
    return (await client.post("/login", json=body)).status_code == 200


async def test_an_admin_creates_changes_and_resets_an_agent(
    admin: Caller, client: httpx.AsyncClient, container: Container, waha: Waha
) -> None:
    slug = admin.slug
    typed = await admin(
        "POST",
        "agents",
        json={
            "email": " Bia@Example.org ",
            "name": "Bia  Souza",
            "role": "agent",
            "password": "bia-password",
        },
    )
    assert typed.status_code == 201, typed.text
    bia = typed.json()
    assert (bia["email"], bia["name"], bia["role"], bia["generated_password"]) == (
        "bia@example.org",
        "Bia Souza",
        "agent",
        None,
    )
    assert await signs_in(client, slug, "bia@example.org", "bia-password")

    generated = await admin("POST", "agents", json={"email": "caio@example.org", "role": "admin"})
    assert generated.status_code == 201, generated.text
    caio = generated.json()
    assert caio["role"] == "admin" and caio["name"] == "caio@example.org"
    assert len(caio["generated_password"]) >= 16
    assert await signs_in(client, slug, "caio@example.org", caio["generated_password"])
    listed = {item["email"]: item for item in (await admin("GET", "agents")).json()["items"]}
    assert listed["caio@example.org"]["role"] == "admin"

    changed = await admin("PUT", f"agents/{bia['id']}", json={"role": "admin", "name": "Bia S."})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["name"]) == ("admin", "Bia S.")

    association_id = waha.association.id
    bia_token = (await container.issue_api_token()(slug, "bia@example.org")).unwrap()
    async with container.uow_factory()() as uow:
        await uow.agents.add_session(
            BrowserSession(hash_token("bia-session"), association_id, bia["id"], *_times(container))
        )
        await uow.commit()
    reset = await admin("POST", f"agents/{bia['id']}/password", json={"password": "new-password"})
    assert reset.status_code == 200 and reset.json()["generated_password"] is None
    assert not await signs_in(client, slug, "bia@example.org", "bia-password")
    assert await signs_in(client, slug, "bia@example.org", "new-password")
    async with container.uow_factory()() as uow:
        assert await uow.agents.find_session(hash_token("bia-session")) is None
    script = {"Authorization": f"Bearer {bia_token}"}
    assert (await client.get(f"/api/associations/{slug}/labels", headers=script)).is_success
    again = await admin("POST", f"agents/{bia['id']}/password", json={"generate": True})
    assert await signs_in(client, slug, "bia@example.org", again.json()["generated_password"])

    log = await container.queries().audit.entries(association_id, AuditQuery(limit=100))
    team_entries = [
        (entry.action, entry.target_id, entry.details)
        for _, entry in log
        if entry.action.value.startswith("agent.")
    ]
    assert team_entries == [
        (AuditAction.AGENT_PASSWORD_RESET, bia["id"], {}),
        (AuditAction.AGENT_PASSWORD_RESET, bia["id"], {}),
        (AuditAction.AGENT_UPDATED, bia["id"], {"role": "admin"}),
        (AuditAction.AGENT_CREATED, association_id, {"agent": caio["id"]}),
        (AuditAction.AGENT_CREATED, association_id, {"agent": bia["id"]}),
    ]
    assert all("password" not in str(details) for _, _, details in team_entries)


def _times(container: Container) -> tuple[Any, Any]:
    from datetime import timedelta

    now = container.clock().now()
    return now, now + timedelta(hours=1)


async def test_the_last_active_admin_stays(admin: Caller, agent: Caller) -> None:
    demoted = await admin("PUT", f"agents/{admin.id}", json={"role": "agent"})
    assert (demoted.status_code, demoted.json()["error"]["code"]) == (409, "last_admin")
    other = (await admin("POST", "agents", json={"email": "ze@a.org", "role": "admin"})).json()
    assert (await admin("POST", f"agents/{other['id']}/disable")).status_code == 200
    assert (await admin("PUT", f"agents/{admin.id}", json={"role": "agent"})).status_code == 409
    assert (await admin("POST", f"agents/{other['id']}/enable")).status_code == 200
    assert (await admin("PUT", f"agents/{admin.id}", json={"role": "agent"})).status_code == 200
    assert (await admin("PUT", f"agents/{admin.id}", json={"name": "x"})).status_code == 403


async def test_bad_input_is_a_4xx_with_its_code(admin: Caller, agent: Caller) -> None:
    cases = [
        ("POST", "agents", {"email": "agent@" + admin.slug + ".org"}, 409, "already_exists"),
        ("POST", "agents", {"email": "AGENT@" + admin.slug + ".ORG"}, 409, "already_exists"),
        ("POST", "agents", {"email": "not-an-email"}, 422, "invalid_input"),
        ("POST", "agents", {"email": "a b@c.org"}, 422, "invalid_input"),
        ("POST", "agents", {"email": "n@a.org", "role": "owner"}, 422, "invalid_input"),
        ("POST", "agents", {"email": "n@a.org", "password": "short"}, 422, "weak_password"),
        (
            "POST",
            "agents",
            {"email": "n@a.org", "password": "long-enough", "generate": True},
            422,
            "invalid_input",
        ),
        ("POST", "agents", {"email": "n@a.org", "generate": "yes"}, 422, "invalid_input"),
        ("POST", "agents", {"email": "n@a.org", "name": "x" * 101}, 422, "invalid_input"),
        ("POST", "agents", {"email": "n@a.org", "admin": True}, 422, "invalid_input"),
        ("POST", "agents", {"name": "No e-mail"}, 422, "invalid_input"),
        ("PUT", f"agents/{agent.id}", {"role": "boss"}, 422, "invalid_input"),
        ("PUT", f"agents/{agent.id}", {"name": "   "}, 422, "invalid_input"),
        ("PUT", f"agents/{agent.id}", {"name": 5}, 422, "invalid_input"),
        ("PUT", "agents/ghost", {"role": "agent"}, 404, "unknown_agent"),
        ("POST", f"agents/{agent.id}/password", {"password": "1234567"}, 422, "weak_password"),
        ("POST", f"agents/{admin.id}/password", {"generate": True}, 422, "invalid_input"),
        ("POST", "agents/ghost/password", {"generate": True}, 404, "unknown_agent"),
    ]
    for method, path, body, status, code in cases:
        response = await admin(method, path, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (
            method,
            path,
            body,
            response.text,
        )


async def test_only_the_associations_admins_manage_its_team(
    admin: Caller, agent: Caller, container: Container, client: httpx.AsyncClient
) -> None:
    writes = (
        ("POST", "agents", {"email": "n@a.org"}),
        ("PUT", f"agents/{admin.id}", {"role": "agent"}),
        ("POST", f"agents/{admin.id}/password", {"generate": True}),
    )
    for method, path, body in writes:
        assert (await agent(method, path, json=body)).status_code == 403
    (await container.create_association()(NewAssociation("outra", "Outra"))).unwrap()
    stranger = await _caller(container, client, "outra", "admin")
    stranger.slug = admin.slug
    for method, path, body in writes:
        assert (await stranger(method, path, json=body)).status_code == 404
    mine = await stranger.client.get("/api/associations/outra/agents", headers=stranger.headers)
    assert [item["email"] for item in mine.json()["items"]] == ["admin@outra.org"]
    on_mine = await stranger.client.put(
        f"/api/associations/outra/agents/{agent.id}", headers=stranger.headers, json={"name": "x"}
    )
    assert on_mine.status_code == 404
