"""The label catalog's API on SQLite and PostgreSQL: the catalog lists the labels agents type and
the ones conversations carried before it, with counts; admins create, recolour, rename (merging)
and delete, each rewriting the conversations and audited; bad input is a 4xx with its code, an
agent who is not an admin gets 403 and another association's admin 404."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.support.waha_payloads import CONTACT, WaMessage, message_event
from tests.support.webhook_driver import Waha

from wa_crm.container import Container
from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.label_catalog import COLOURS, DEFAULT_COLOUR
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.ports.queries import AuditQuery

OTHER_CONTACT = "5521977776666@c.us"
RED, GREEN = COLOURS[1], COLOURS[4]


class Caller:
    def __init__(self, client: httpx.AsyncClient, slug: str, token: str) -> None:
        self.client, self.slug = client, slug
        self.headers = {"Authorization": f"Bearer {token}"}

    async def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = f"/api/associations/{self.slug}/{path}"
        return await self.client.request(method, url, headers=self.headers, **kwargs)


async def _caller(container: Container, client: httpx.AsyncClient, slug: str, role: str) -> Caller:
    email = f"{role}@{slug}.org"
    command = NewAgent(slug, email, role.title(), role, "password-1")
    (await container.create_agent()(command)).unwrap()
    return Caller(client, slug, (await container.issue_api_token()(slug, email)).unwrap())


@pytest.fixture
async def agent(container: Container, client: httpx.AsyncClient, waha: Waha) -> Caller:
    return await _caller(container, client, waha.association.slug, "agent")


@pytest.fixture
async def admin(container: Container, client: httpx.AsyncClient, waha: Waha) -> Caller:
    return await _caller(container, client, waha.association.slug, "admin")


async def conversation_of(waha: Waha, chat_id: str) -> str:
    await waha.deliver(message_event(WaMessage(chat_id=chat_id, body="Oi")))
    return next(c.id for c in await waha.conversations(chat_id) if c.is_open)


def catalog(response: httpx.Response) -> dict[str, tuple[str, int]]:
    assert response.status_code == 200, response.text
    return {
        item["name"]: (item["colour"], item["conversations"]) for item in response.json()["items"]
    }


async def labels_of(agent: Caller, conversation: str) -> list[str]:
    return list((await agent("GET", f"conversations/{conversation}")).json()["labels"])


async def test_the_catalog_follows_what_agents_type_and_admins_change(
    agent: Caller, admin: Caller, waha: Waha, container: Container
) -> None:
    first, second = await conversation_of(waha, CONTACT), await conversation_of(waha, OTHER_CONTACT)
    for conversation, labels in ((first, ["VIP", "Diabetes"]), (second, ["diabetes"])):
        put = await agent("PUT", f"conversations/{conversation}/labels", json={"labels": labels})
        assert put.status_code == 200, put.text
    listed = await agent("GET", "labels")
    assert catalog(listed) == {"diabetes": (DEFAULT_COLOUR, 2), "vip": (DEFAULT_COLOUR, 1)}
    assert [entry["colour"] for entry in listed.json()["palette"]] == list(COLOURS)
    assert listed.json()["default_colour"] == DEFAULT_COLOUR

    created = await admin("POST", "labels", json={"name": "  Retorno  Médico ", "colour": RED})
    assert created.status_code == 201, created.text
    assert created.json() == {"name": "retorno médico", "colour": RED, "conversations": 0}
    recoloured = await admin("PUT", "labels/vip", json={"colour": GREEN.upper()})
    assert recoloured.json() == {"name": "vip", "colour": GREEN, "conversations": 1}

    renamed = await admin("PUT", "labels/diabetes", json={"name": "Diabetes tipo 1"})
    assert renamed.json() == {
        "name": "diabetes tipo 1",
        "colour": DEFAULT_COLOUR,
        "conversations": 2,
    }
    assert await labels_of(agent, first) == ["diabetes tipo 1", "vip"]
    merged = await admin("PUT", "labels/vip", json={"name": "retorno médico"})
    assert merged.json() == {"name": "retorno médico", "colour": RED, "conversations": 1}
    assert await labels_of(agent, first) == ["diabetes tipo 1", "retorno médico"]

    deleted = await admin("DELETE", "labels/Diabetes%20tipo%201")
    assert deleted.json() == {"deleted": "diabetes tipo 1", "conversations": 2}
    assert await labels_of(agent, second) == []
    assert catalog(await agent("GET", "labels")) == {"retorno médico": (RED, 1)}

    association_id = waha.association.id
    log = await container.queries().audit.entries(association_id, AuditQuery(limit=100))
    label_entries = [
        (entry.action, entry.details) for _, entry in log if entry.action.value.startswith("label.")
    ]
    assert label_entries == [
        (AuditAction.LABEL_DELETED, {"label": "diabetes tipo 1", "conversations": 2}),
        (AuditAction.LABEL_UPDATED, {"label": "retorno médico", "renamed": 1}),
        (AuditAction.LABEL_UPDATED, {"label": "diabetes tipo 1", "renamed": 1}),
        (AuditAction.LABEL_UPDATED, {"label": "vip", "renamed": 0}),
        (AuditAction.LABEL_CREATED, {"label": "retorno médico"}),
    ]


async def test_a_label_only_conversations_carry_is_in_the_catalog_and_takes_a_colour(
    admin: Caller, waha: Waha, container: Container
) -> None:
    """Conversations labelled before the catalog existed: no catalog row, listed all the same."""
    conversation = await conversation_of(waha, CONTACT)
    async with container.uow_factory()() as uow:
        found = await uow.conversations.get(waha.association.id, conversation)
        assert found is not None
        found.set_labels(("antiga",))
        await uow.conversations.update(found)
        await uow.commit()
    assert catalog(await admin("GET", "labels")) == {"antiga": (DEFAULT_COLOUR, 1)}
    assert (await admin("PUT", "labels/antiga", json={"colour": RED})).status_code == 200
    assert catalog(await admin("GET", "labels")) == {"antiga": (RED, 1)}


async def test_bad_input_is_a_4xx_with_its_code(admin: Caller) -> None:
    assert (await admin("POST", "labels", json={"name": "vip"})).status_code == 201
    cases = [
        ("POST", "labels", {"name": "vip"}, 409, "already_exists"),
        ("POST", "labels", {"name": "vip!", "colour": RED}, 422, "invalid_input"),
        ("POST", "labels", {"name": "x" * 33}, 422, "invalid_input"),
        ("POST", "labels", {"name": "nova", "colour": "#123456"}, 422, "invalid_input"),
        ("POST", "labels", {"name": "nova", "colour": 3}, 422, "invalid_input"),
        ("POST", "labels", {"colour": RED}, 422, "invalid_input"),
        ("POST", "labels", {"name": "nova", "extra": 1}, 422, "invalid_input"),
        ("PUT", "labels/vip", {"colour": "red"}, 422, "invalid_input"),
        ("PUT", "labels/vip", {"name": ""}, 422, "invalid_input"),
        ("PUT", "labels/ghost", {"colour": RED}, 404, "unknown_label"),
        ("PUT", "labels/bad!name", {"colour": RED}, 404, "unknown_label"),
        ("DELETE", "labels/ghost", None, 404, "unknown_label"),
    ]
    for method, path, body, status, code in cases:
        response = await admin(method, path, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (
            method,
            path,
            body,
        )
    not_json = await admin("POST", "labels", content=b"[1]")
    assert not_json.status_code == 422


async def test_agents_read_admins_write_and_other_associations_see_nothing(
    agent: Caller, admin: Caller, container: Container, client: httpx.AsyncClient
) -> None:
    assert (await admin("POST", "labels", json={"name": "vip", "colour": RED})).status_code == 201
    for method, path, body in (
        ("POST", "labels", {"name": "nova"}),
        ("PUT", "labels/vip", {"colour": GREEN}),
        ("DELETE", "labels/vip", None),
    ):
        refused = await agent(method, path, json=body)
        assert refused.status_code == 403, refused.text
    (await container.create_association()(NewAssociation("outra", "Outra"))).unwrap()
    stranger = await _caller(container, client, "outra", "admin")
    assert catalog(await stranger("GET", "labels")) == {}
    stranger.slug = admin.slug
    for method, path, body in (
        ("GET", "labels", None),
        ("PUT", "labels/vip", {"colour": GREEN}),
        ("DELETE", "labels/vip", None),
    ):
        assert (await stranger(method, path, json=body)).status_code == 404
    assert catalog(await agent("GET", "labels")) == {"vip": (RED, 0)}
