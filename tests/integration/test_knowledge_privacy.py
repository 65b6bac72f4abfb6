"""The knowledge base's unanswered questions follow the patients' rights over HTTP, on SQLite
and PostgreSQL (architecture.md section 11): a contact's export lists the questions of their
conversations, their erasure takes those questions off ``GET knowledge/unanswered`` (the FAQ an
admin wrote stays), and the retention purge takes the ones last asked before the period."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import httpx
from tests.support.waha_payloads import CONTACT, CONTACT_NAME, WaMessage, message_event
from tests.support.webhook_driver import Waha

from wa_crm.container import Container
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.testing.clock import FakeClock

JOAO = "558188887777@c.us"


async def admin_headers(container: Container) -> dict[str, str]:
    await container.create_agent()(NewAgent("amigos", "adm@a.org", "Ada", "admin", "pw-123456"))
    token = (await container.issue_api_token()("amigos", "adm@a.org")).unwrap()
    return {"Authorization": f"Bearer {token}"}


async def listed(client: httpx.AsyncClient, admin: dict[str, str]) -> list[str]:
    response = await client.get("/api/associations/amigos/knowledge/unanswered", headers=admin)
    assert response.status_code == 200, response.text
    return [item["text"] for item in response.json()["items"]]


async def test_an_erased_contacts_questions_leave_the_list_after_their_export(
    client: httpx.AsyncClient, container: Container, waha: Waha, clock: FakeClock
) -> None:
    admin = await admin_headers(container)
    await waha.deliver(message_event(WaMessage(body="Vocês entregam em Campinas?")))
    await waha.deliver(
        message_event(WaMessage(chat_id=JOAO, body="Aceitam Pix?", push_name="João"))
    )
    maria, joao = await waha.conversation(CONTACT), await waha.conversation(JOAO)
    knowledge, now, association = container.knowledge_base(), clock.now(), waha.association.id
    marias = await knowledge.record_unanswered(
        association, "Vocês entregam em Campinas?", maria.id, now
    )
    await knowledge.record_unanswered(association, "Aceitam Pix?", joao.id, now)
    answered = await client.post(
        f"/api/associations/amigos/knowledge/unanswered/{marias.id}/answer",
        json={"answer": "Sim, pelos Correios."},
        headers=admin,
    )
    assert answered.status_code == 201, answered.text
    later = now + timedelta(minutes=1)
    await knowledge.record_unanswered(association, "Tem estacionamento?", maria.id, later)
    assert await listed(client, admin) == ["Tem estacionamento?", "Aceitam Pix?"]
    contacts = f"/api/associations/amigos/contacts/{maria.contact_id}"

    exported = await client.get(f"{contacts}/export", headers=admin)
    erased = await client.post(
        f"{contacts}/erase", json={"confirm_name": CONTACT_NAME}, headers=admin
    )

    assert exported.status_code == 200, exported.text
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        questions = json.loads(archive.read("unanswered_questions.json"))
    assert [(q["text"], q["conversation_id"], q["answered_by"]) for q in questions] == [
        ("Vocês entregam em Campinas?", maria.id, answered.json()["id"]),
        ("Tem estacionamento?", maria.id, None),
    ]
    assert erased.status_code == 200, erased.text
    assert erased.json()["unanswered_questions"] == 2
    assert await listed(client, admin) == ["Aceitam Pix?"]
    documents = await client.get("/api/associations/amigos/knowledge/documents", headers=admin)
    assert [d["title"] for d in documents.json()["items"]] == ["Vocês entregam em Campinas?"]


async def test_the_retention_purge_takes_the_questions_first_asked_before_the_period(
    client: httpx.AsyncClient, container: Container, waha: Waha, clock: FakeClock
) -> None:
    admin = await admin_headers(container)
    knowledge, now, association = container.knowledge_base(), clock.now(), waha.association.id
    await knowledge.record_unanswered(association, "Aceitam Pix?", None, now - timedelta(days=40))
    await knowledge.record_unanswered(association, "Tem wifi?", None, now - timedelta(days=45))
    await knowledge.record_unanswered(association, "tem WIFI", None, now - timedelta(days=29))
    await knowledge.record_unanswered(association, "Tem café?", None, now - timedelta(days=31))
    await knowledge.record_unanswered(association, "Abrem sábado?", None, now - timedelta(days=29))
    assert sorted(await listed(client, admin)) == [
        "Abrem sábado?",
        "Aceitam Pix?",
        "Tem café?",
        "Tem wifi?",
    ]

    period = await client.put(
        "/api/associations/amigos/privacy", json={"retention_days": 30}, headers=admin
    )
    assert period.status_code == 200, period.text
    await container.job_runner().run_due()

    assert await listed(client, admin) == ["Abrem sábado?"]
