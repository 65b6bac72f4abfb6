"""The knowledge base with embeddings, over HTTP against the fake OpenAI-compatible
``/v1/embeddings``: the container builds an embedder only when a server and a model are both
configured; a document's passages and a search's question are embedded, so a question sharing
no word with a passage still finds it; an embeddings server that fails loses no document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from dependency_injector import providers
from tests.support.webhook_driver import Waha

from wa_crm.adapters.ai.embeddings import OpenAIEmbedder
from wa_crm.container import Container, build_container
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.settings import Settings
from wa_crm.testing import serve_app
from wa_crm.testing.clock import FakeClock
from wa_crm.testing.fake_ai_servers import create_fake_openai_app
from wa_crm.testing.fake_embeddings import FakeEmbeddings, add_embeddings, fake_embedding

MODEL = "text-embedding-3-small"
DELIVERY = "Os medicamentos saem às terças e quintas pelos Correios, com código de rastreio."
PARAPHRASE = "Qual o prazo do envio?"


@dataclass
class Served:
    url: str
    embeddings: FakeEmbeddings


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    app = create_fake_openai_app(api_key="openai-key")
    embeddings = add_embeddings(app, api_key="openai-key")
    async with serve_app(app) as url:
        yield Served(url, embeddings)


@pytest.fixture
def container(sqlite_url: str, clock: FakeClock, served: Served) -> Container:
    settings = Settings(
        database_url=sqlite_url,
        workers=0,
        secret_key="x" * 32,
        openai_base_url=served.url,
        openai_api_key="openai-key",
        openai_embeddings_model=MODEL,
    )
    container = build_container(settings)
    container.clock.override(providers.Object(clock))
    return container


@pytest.fixture
async def admin(container: Container, waha: Waha) -> dict[str, str]:
    slug = waha.association.slug
    await container.create_agent()(NewAgent(slug, "adm@a.org", "Adm", "admin", "pw-123456"))
    token = (await container.issue_api_token()(slug, "adm@a.org")).unwrap()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("base_url", "model", "built"),
    [(None, MODEL, False), ("http://127.0.0.1:9", "", False), ("http://127.0.0.1:9", MODEL, True)],
)
def test_an_embedder_needs_a_server_and_a_model(
    base_url: str | None, model: str, built: bool
) -> None:
    settings = Settings(openai_base_url=base_url, openai_embeddings_model=model)

    embedder = build_container(settings).embedder()

    assert isinstance(embedder, OpenAIEmbedder) == built
    assert (embedder is None) == (not built)


async def test_a_question_sharing_no_word_finds_its_passage_by_embedding(
    client: httpx.AsyncClient, admin: dict[str, str], served: Served
) -> None:
    served.embeddings.vectors[PARAPHRASE] = fake_embedding(DELIVERY)
    url = "/api/associations/amigos/knowledge"

    added = await client.post(
        f"{url}/documents", json={"title": "Remessas", "text": DELIVERY}, headers=admin
    )
    found = await client.get(f"{url}/search", params={"q": PARAPHRASE}, headers=admin)

    assert added.status_code == 201, added.text
    assert served.embeddings.requests == [
        {"model": MODEL, "input": [DELIVERY]},
        {"model": MODEL, "input": [PARAPHRASE]},
    ]
    assert found.json()["items"][0]["document_id"] == added.json()["id"]


async def test_an_embeddings_server_that_fails_loses_no_document(
    client: httpx.AsyncClient, admin: dict[str, str], served: Served
) -> None:
    served.embeddings.fail_next(500)
    served.embeddings.fail_next(500)
    url = "/api/associations/amigos/knowledge"

    added = await client.post(
        f"{url}/documents", json={"title": "Remessas", "text": DELIVERY}, headers=admin
    )
    found = await client.get(f"{url}/search", params={"q": "rastreio"}, headers=admin)

    assert added.status_code == 201, added.text
    assert found.status_code == 200
    assert found.json()["items"][0]["document_id"] == added.json()["id"]
