"""The agents' assistant over HTTP, against the fake OpenAI and Anthropic servers (their real
wire formats): a suggested reply that is never sent and keeps the contact's CPF from the model,
a summary saved as the agent's note, 409 without a model, 503 when the model fails, and
tenant isolation."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from dependency_injector import providers
from tests.support.waha_payloads import WaMessage, message_event
from tests.support.webhook_driver import Waha, create_association

from wa_crm.container import Container, build_container
from wa_crm.domain.model.knowledge import DocumentKind, KnowledgeDocument
from wa_crm.domain.model.message import Direction
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.settings import Settings
from wa_crm.testing import serve_app
from wa_crm.testing.clock import FakeClock
from wa_crm.testing.fake_ai_servers import (
    FakeAIServer,
    HttpError,
    Text,
    create_fake_anthropic_app,
    create_fake_openai_app,
)

CPF = "123.456.789-09"
SAID = (f"Bom dia! Meu CPF é {CPF}.", "Quando vence a mensalidade?")
STATUTE = KnowledgeDocument(
    "doc-statute",
    "",
    "Estatuto",
    "A mensalidade vence no dia 10 de cada mês.",
    DocumentKind.DOCUMENT,
    datetime(2026, 1, 5, tzinfo=UTC),
    datetime(2026, 1, 5, tzinfo=UTC),
)


@pytest.fixture
async def fakes() -> AsyncIterator[dict[str, tuple[FakeAIServer, str]]]:
    openai, anthropic = create_fake_openai_app(), create_fake_anthropic_app()
    async with serve_app(openai) as openai_url, serve_app(anthropic) as anthropic_url:
        yield {
            "openai": (openai.state.fake, openai_url),
            "anthropic": (anthropic.state.fake, anthropic_url),
        }


@pytest.fixture
def container(
    sqlite_url: str, clock: FakeClock, fakes: dict[str, tuple[FakeAIServer, str]]
) -> Container:
    settings = Settings(
        database_url=sqlite_url,
        workers=0,
        secret_key="x" * 32,
        openai_base_url=fakes["openai"][1],
        openai_api_key="openai-key",
        anthropic_api_key="anthropic-key",
        anthropic_base_url=fakes["anthropic"][1],
    )
    container = build_container(settings)
    container.clock.override(providers.Object(clock))
    return container


@dataclasses.dataclass
class Desk:
    client: httpx.AsyncClient
    waha: Waha
    headers: dict[str, str]
    conversation: str

    async def post(self, what: str, conversation: str | None = None) -> httpx.Response:
        slug = self.waha.association.slug
        url = f"/api/associations/{slug}/conversations/{conversation or self.conversation}/{what}"
        return await self.client.post(url, headers=self.headers)


@pytest.fixture
async def desk(client: httpx.AsyncClient, container: Container, waha: Waha) -> Desk:
    slug = waha.association.slug
    (
        await container.create_agent()(NewAgent(slug, "ana@a.org", "Ana", "agent", "pw-123456"))
    ).unwrap()
    token = (await container.issue_api_token()(slug, "ana@a.org")).unwrap()
    statute = dataclasses.replace(STATUTE, association_id=waha.association.id)
    await container.knowledge_base().save(statute, [statute.text])
    for said in SAID:
        await waha.deliver(message_event(WaMessage(body=said)))
    conversation = (await waha.conversation(WaMessage().chat_id)).id
    return Desk(client, waha, {"Authorization": f"Bearer {token}"}, conversation)


def reached(fake: FakeAIServer) -> str:
    return " ".join(request.raw.decode() for request in fake.requests)


@pytest.mark.parametrize("model", ["openai", "anthropic"])
async def test_a_suggested_reply_is_drafted_masked_and_never_sent(
    desk: Desk, fakes: dict[str, tuple[FakeAIServer, str]], model: str
) -> None:
    await desk.waha.set_bot(provider=model, enabled=False)
    fake = fakes[model][0]
    fake.push(Text("Vence no dia 10 (Fonte: Estatuto); CPF [CPF_1] conferido."))

    response = await desk.post("suggest-reply")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "text": f"Vence no dia 10 (Fonte: Estatuto); CPF {CPF} conferido.",
        "sources": ["Estatuto"],
    }
    sent = reached(fake)
    assert CPF not in sent and "[CPF_1]" in sent
    assert "vence no dia 10 de cada m" in sent  # the passage reached the model
    messages = await desk.waha.conversation_messages(desk.conversation)
    assert [m.direction for m in messages] == [Direction.IN, Direction.IN]


@pytest.mark.parametrize("model", ["openai", "anthropic"])
async def test_a_summary_becomes_the_agents_note_and_an_event(
    desk: Desk, fakes: dict[str, tuple[FakeAIServer, str]], model: str
) -> None:
    await desk.waha.set_bot(provider=model)
    fake = fakes[model][0]
    fake.push(Text("Contato (CPF [CPF_1]) pergunta o vencimento da mensalidade."))

    response = await desk.post("summary")

    assert response.status_code == 201, response.text
    note = response.json()
    assert note["agent_name"] == "Ana"
    assert note["text"] == (
        f"Resumo do assistente:\nContato (CPF {CPF}) pergunta o vencimento da mensalidade."
    )
    assert CPF not in reached(fake)
    slug = desk.waha.association.slug
    listed = await desk.client.get(
        f"/api/associations/{slug}/conversations/{desk.conversation}/notes", headers=desk.headers
    )
    assert listed.json()["items"] == [note]
    events = [e.data for e in await desk.waha.published() if e.type == "note.created"]
    assert events == [note]


@pytest.mark.parametrize("what", ["suggest-reply", "summary"])
async def test_the_rules_provider_gets_a_clear_409(
    desk: Desk, fakes: dict[str, tuple[FakeAIServer, str]], what: str
) -> None:
    await desk.waha.set_bot(provider="rules")

    response = await desk.post(what)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "assist_unavailable"
    assert "modelo de IA" in error["message"]
    assert all(not fake.requests for fake, _ in fakes.values())


@pytest.mark.parametrize("model", ["openai", "anthropic"])
async def test_a_failing_model_gets_a_503_and_writes_no_note(
    desk: Desk, fakes: dict[str, tuple[FakeAIServer, str]], model: str
) -> None:
    await desk.waha.set_bot(provider=model)
    fake = fakes[model][0]
    fake.push(*[HttpError(500)] * 4)

    drafted, summed = await desk.post("suggest-reply"), await desk.post("summary")

    for response in (drafted, summed):
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "ai_unavailable"
        assert "tente de novo" in response.json()["error"]["message"]
    slug = desk.waha.association.slug
    listed = await desk.client.get(
        f"/api/associations/{slug}/conversations/{desk.conversation}/notes", headers=desk.headers
    )
    assert listed.json()["items"] == []


async def test_another_associations_conversation_is_not_found(
    desk: Desk, container: Container, fakes: dict[str, tuple[FakeAIServer, str]]
) -> None:
    await desk.waha.set_bot(provider="openai")
    other = await create_association(container, "outra", session="outra")
    waha = Waha(desk.client, container, other)
    await waha.deliver(message_event(WaMessage(body="Oi"), session="outra"))
    theirs = (await waha.conversation(WaMessage().chat_id)).id

    for what in ("suggest-reply", "summary"):
        assert (await desk.post(what, conversation=theirs)).status_code == 404
        assert (await desk.post(what, conversation="no-such-conversation")).status_code == 404
    assert not fakes["openai"][0].requests
