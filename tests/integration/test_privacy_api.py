"""The privacy settings over the admin API, and what the export and erasure routes refuse. (Who may
call them, 401/403/404, is the route-table tests' job in ``test_agent_api``.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from wa_crm.container import Container, build_container
from wa_crm.domain.model.job_commands import PurgeExpired
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.entrypoints.http import create_app
from wa_crm.settings import Settings

DEFAULTS = {
    "opt_out_keywords": ["SAIR", "PARAR", "STOP"],
    "opt_in_keywords": ["VOLTAR", "START"],
    "opt_out_confirmation": (
        "Pronto, você não receberá mais mensagens nossas. Se quiser voltar, envie VOLTAR."
    ),
    "opt_in_confirmation": "Que bom ter você de volta! Como podemos ajudar?",
    "retention_days": None,
}


@dataclass
class Admin:
    client: httpx.AsyncClient
    container: Container
    association_id: str

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, f"/api/associations/alpha{path}", **kwargs)


@pytest.fixture
async def admin(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Admin]:
    settings = Settings(
        database_url=sqlite_url,
        workers=0,
        secret_key="privacy-api-secret-0123456789",
        media_dir=str(tmp_path / "media"),
    )
    container = build_container(settings)
    app = create_app(container)
    async with LifespanManager(app):
        association = (await container.create_association()(NewAssociation("alpha", "A"))).unwrap()
        new_admin = NewAgent("alpha", "ada@alpha.org", "Ada", "admin", "admin-password")
        (await container.create_agent()(new_admin)).unwrap()
        token = (await container.issue_api_token()("alpha", "ada@alpha.org")).unwrap()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://test",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            yield Admin(client, container, association.id)


async def test_the_settings_start_with_the_defaults_and_keep_what_is_not_sent(
    admin: Admin,
) -> None:
    assert (await admin.call("GET", "/privacy")).json() == DEFAULTS

    changed = await admin.call(
        "PUT", "/privacy", json={"retention_days": 90, "opt_out_keywords": ["CHEGA"]}
    )

    assert changed.status_code == 200, changed.text
    expected = {**DEFAULTS, "retention_days": 90, "opt_out_keywords": ["CHEGA"]}
    assert changed.json() == expected
    assert (await admin.call("GET", "/privacy")).json() == expected
    async with admin.container.uow_factory()() as uow:
        job = await uow.jobs.get_by_key(f"{PurgeExpired.kind}:{admin.association_id}")
    assert job is not None, "the start-up scheduled the daily purge"
    off = await admin.call("PUT", "/privacy", json={"retention_days": None})
    assert off.json()["retention_days"] is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"retention_days": 0}, "retention_days must be from 1 to 3650"),
        ({"retention_days": 3651}, "retention_days must be from 1 to 3650"),
        ({"retention_days": True}, "retention_days"),
        ({"retention_days": "30"}, "retention_days"),
        ({"opt_out_keywords": []}, "opt_out_keywords need at least one keyword"),
        ({"opt_in_keywords": ["VOLTAR", "  "]}, "opt_in_keywords need at least one keyword"),
        ({"opt_in_keywords": "VOLTAR"}, "opt_in_keywords"),
        ({"retention": 30}, "unknown fields: retention"),
    ],
)
async def test_wrong_settings_are_refused_with_the_reason(
    admin: Admin, body: dict[str, Any], problem: str
) -> None:
    response = await admin.call("PUT", "/privacy", json=body)

    assert response.status_code == 422
    assert problem in response.json()["error"]["message"]
    assert (await admin.call("GET", "/privacy")).json() == DEFAULTS


async def test_export_and_erasure_of_an_unknown_contact_are_404(admin: Admin) -> None:
    exported = await admin.call("GET", "/contacts/nobody/export")
    erased = await admin.call("POST", "/contacts/nobody/erase", json={"confirm_name": "x"})

    assert (exported.status_code, exported.json()["error"]["code"]) == (404, "unknown_contact")
    assert (erased.status_code, erased.json()["error"]["code"]) == (404, "unknown_contact")


async def test_an_erasure_needs_the_typed_name(admin: Admin) -> None:
    clock = admin.container.clock()
    contact = Contact(
        "k1", admin.association_id, "5511999998888@c.us", clock.now(), None, None, "Zé"
    )
    async with admin.container.uow_factory()() as uow:
        await uow.contacts.add(contact)
        await uow.commit()

    missing = await admin.call("POST", "/contacts/k1/erase", json={})
    wrong = await admin.call("POST", "/contacts/k1/erase", json={"confirm_name": "Ze"})

    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "invalid_input")
    assert wrong.status_code == 422
    assert wrong.json()["error"] == {
        "code": "not_confirmed",
        "message": "the confirmation is not the contact's name: type the name as shown to erase "
        "this contact's data",
        "field": "confirm_name",
    }
    async with admin.container.uow_factory()() as uow:
        assert await uow.contacts.get(admin.association_id, "k1") == contact
    right = await admin.call("POST", "/contacts/k1/erase", json={"confirm_name": " zé "})
    assert right.json() == {
        "contact_id": "k1",
        "messages": 0,
        "media_files": 0,
        "conversations": 0,
        "patients": 0,
        "notes": 0,
        "unanswered_questions": 0,
    }
