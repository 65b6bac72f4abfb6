"""The reports over HTTP, on SQLite and PostgreSQL: ``GET stats`` with each agent's figures and
the resolution time in the association's time zone, ``GET audit`` with the contacts' names and
which entries are reads; admins only, another association's slug is a 404, a bad period a 422.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from wa_crm.container import Container
from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.message import Author, Direction, Message, MessageStatus, MessageType
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.domain.usecases.monitoring.audit import AuditRecord
from wa_crm.testing.clock import T0, FakeClock

MIN = timedelta(minutes=1)
TODAY = "2026-03-02"  # T0 is 10:00 on 2 March in São Paulo


@dataclass
class Clinic:
    container: Container
    http: httpx.AsyncClient
    association_id: str
    agents: dict[str, str]
    """Id by name."""
    tokens: dict[str, dict[str, str]]
    """Headers by name: Ada (admin), Bia (agent), Otto (the other association's admin)."""

    async def get(self, path: str, who: str = "Ada", slug: str = "clinic") -> httpx.Response:
        return await self.http.get(f"/api/associations/{slug}/{path}", headers=self.tokens[who])


@pytest.fixture
async def clinic(
    container: Container, client: httpx.AsyncClient, clock: FakeClock
) -> AsyncIterator[Clinic]:
    clinic = (await container.create_association()(NewAssociation("clinic", "Clínica"))).unwrap()
    await container.create_association()(NewAssociation("other", "Outra"))
    agents, tokens = {}, {}
    for slug, name, role in (
        ("clinic", "Ada", "admin"),
        ("clinic", "Bia", "agent"),
        ("other", "Otto", "admin"),
    ):
        email = f"{name.lower()}@{slug}.org"
        agent = await container.create_agent()(NewAgent(slug, email, name, role, "pw-12345678"))
        agents[name] = agent.unwrap().id
        token = (await container.issue_api_token()(slug, email)).unwrap()
        tokens[name] = {"Authorization": f"Bearer {token}"}
    yield Clinic(container, client, clinic.id, agents, tokens)


async def a_resolved_conversation(clinic: Clinic, conversation_id: str, contact_name: str) -> None:
    """Maria's conversation: handed off at T0, answered by Bia 90 s later, resolved by her
    30 min after the handoff, rated 4."""
    bia, association_id = clinic.agents["Bia"], clinic.association_id
    contact = Contact(
        id=f"contact-{conversation_id}",
        association_id=association_id,
        wa_chat_id=f"5511999{len(conversation_id):06d}@c.us",
        created_at=T0 - MIN,
        phone="+5511999998888",
        display_name=contact_name,
    )
    conversation = Conversation(
        id=conversation_id,
        association_id=association_id,
        contact_id=contact.id,
        channel=Channel.WHATSAPP,
        session="default",
        status=ConversationStatus.RESOLVED,
        created_at=T0 - MIN,
        assignee_id=bia,
        resolved_at=T0 + 30 * MIN,
        rating=4,
        rated_at=T0 + 31 * MIN,
    )
    answer = Message(
        id=f"m-{conversation_id}",
        association_id=association_id,
        conversation_id=conversation_id,
        external_id=None,
        direction=Direction.OUT,
        author=Author.AGENT,
        agent_id=bia,
        type=MessageType.TEXT,
        body="Olá!",
        status=MessageStatus.SENT,
        created_at=T0 + timedelta(seconds=90),
    )
    async with clinic.container.uow_factory()() as uow:
        await uow.contacts.add(contact)
        await uow.conversations.add(conversation)
        await uow.messages.add(answer)
        await uow.handoffs.record(association_id, conversation_id, "keyword", T0)
        await uow.handoffs.mark_answered(conversation_id, answer.created_at)
        await uow.commit()


async def test_stats_carry_each_agent_and_the_resolution_in_sao_paulo_days(
    clinic: Clinic,
) -> None:
    await a_resolved_conversation(clinic, "conv-maria", "Maria")

    response = await clinic.get(f"stats?from={TODAY}&to={TODAY}")

    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["timezone"] == "America/Sao_Paulo"  # pt-BR, no business hours
    assert stats["by_agent"] == [
        {
            "agent_id": clinic.agents["Ada"],
            "name": "Ada",
            "handled": 0,
            "first_response_median_seconds": None,
            "resolution_median_seconds": None,
            "csat_average": None,
            "csat_count": 0,
            "messages_sent": 0,
        },
        {
            "agent_id": clinic.agents["Bia"],
            "name": "Bia",
            "handled": 1,
            "first_response_median_seconds": 90.0,
            "resolution_median_seconds": 1800.0,
            "csat_average": 4.0,
            "csat_count": 1,
            "messages_sent": 1,
        },
    ]
    assert stats["resolution"] == {"resolved": 1, "median_seconds": 1800.0, "p90_seconds": 1800.0}
    yesterday = (await clinic.get("stats?from=2026-03-01&to=2026-03-01")).json()
    assert yesterday["resolution"]["resolved"] == 0 and yesterday["by_agent"][1]["handled"] == 0
    # Auckland is UTC+13 in March: its 2 March ends at 11:00 UTC, before the resolve.
    in_auckland = (await clinic.get(f"stats?from={TODAY}&to={TODAY}&tz=Pacific/Auckland")).json()
    assert (
        in_auckland["timezone"] == "Pacific/Auckland" and in_auckland["resolution"]["resolved"] == 0
    )


async def test_the_audit_log_names_contacts_but_never_by_a_phone_number(clinic: Clinic) -> None:
    await a_resolved_conversation(clinic, "conv-maria", "Maria")
    await a_resolved_conversation(clinic, "conv-number", "+55 11 99999-8888")
    record = clinic.container.record_audit()
    ada, association_id = clinic.agents["Ada"], clinic.association_id
    for action, target_type, target_id in (
        (AuditAction.CONVERSATION_VIEWED, "conversation", "conv-maria"),
        (AuditAction.CONVERSATION_VIEWED, "conversation", "conv-number"),
        (AuditAction.CONTACT_VIEWED, "contact", "contact-conv-maria"),
        (AuditAction.MESSAGE_SENT, "message", "m-conv-maria"),
    ):
        await record(AuditRecord(association_id, ada, action, target_type, target_id))

    response = await clinic.get("audit?limit=10")

    assert response.status_code == 200, response.text
    items = [
        (i["action"], i["read"], i["target_id"], i["target_name"], i["actor_name"])
        for i in response.json()["items"]
    ]
    assert items == [
        ("message.sent", False, "m-conv-maria", None, "Ada"),
        ("contact.viewed", True, "contact-conv-maria", "Maria", "Ada"),
        ("conversation.viewed", True, "conv-number", None, "Ada"),
        ("conversation.viewed", True, "conv-maria", "Maria", "Ada"),
    ]


async def test_reports_are_for_the_associations_admins(clinic: Clinic) -> None:
    for path in (f"stats?from={TODAY}", "audit"):
        assert (await clinic.get(path, who="Bia")).status_code == 403
        assert (await clinic.get(path, who="Otto")).status_code == 404
        assert (await clinic.get(path, who="Otto", slug="other")).status_code == 200
    others = (await clinic.get("stats", who="Otto", slug="other")).json()
    assert [agent["name"] for agent in others["by_agent"]] == ["Otto"]


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-03-05&to=2026-03-01",
        "from=2024-01-01&to=2026-01-01",
        "from=yesterday",
        "tz=Mars/Olympus",
    ],
)
async def test_a_bad_period_is_a_422_with_a_code(clinic: Clinic, query: str) -> None:
    response = await clinic.get(f"stats?{query}")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
