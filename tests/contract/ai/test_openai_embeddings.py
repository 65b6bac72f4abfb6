"""``OpenAIEmbedder`` over real HTTP against the fake OpenAI-compatible server's
``/v1/embeddings``: the wire format, batches, order, and failures as ``AIProviderError``s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from wa_crm.adapters.ai import embeddings as embeddings_module
from wa_crm.adapters.ai.embeddings import OpenAIEmbedder
from wa_crm.ports.ai import AIProviderError, AIProviderErrorKind
from wa_crm.testing import serve_app
from wa_crm.testing.fake_ai_servers import create_fake_openai_app
from wa_crm.testing.fake_embeddings import FakeEmbeddings, add_embeddings, fake_embedding

from .suite import API_KEY, closed_port_url, quick_transport

MODEL = "text-embedding-3-small"


@dataclass
class Served:
    url: str
    fake: FakeEmbeddings
    embedder: OpenAIEmbedder


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    app = create_fake_openai_app(api_key=API_KEY)
    fake = add_embeddings(app, api_key=API_KEY)
    async with serve_app(app) as url:
        embedder = OpenAIEmbedder(url, API_KEY, MODEL, transport=quick_transport())
        yield Served(url, fake, embedder)
        await embedder.aclose()


async def test_each_text_gets_its_vector_in_order(served: Served) -> None:
    served.fake.vectors["segunda"] = [0.0, 1.0]
    texts = ["primeira", "segunda", "terceira"]
    served.fake.vectors |= {"primeira": [1.0, 0.0], "terceira": [0.6, 0.8]}
    assert await served.embedder.embed(texts) == [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]
    assert served.fake.requests == [{"model": MODEL, "input": texts}]


async def test_many_texts_go_in_batches(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings_module, "BATCH", 2)
    texts = [f"passagem {n}" for n in range(5)]
    assert await served.embedder.embed(texts) == [fake_embedding(text) for text in texts]
    assert [len(body["input"]) for body in served.fake.requests] == [2, 2, 1]
    assert await served.embedder.embed([]) == []
    assert len(served.fake.requests) == 3


async def test_a_base_url_with_v1_works_too(served: Served) -> None:
    embedder = OpenAIEmbedder(f"{served.url}/v1/", API_KEY, MODEL, transport=quick_transport())
    try:
        assert await embedder.embed(["oi"]) == [fake_embedding("oi")]
    finally:
        await embedder.aclose()


async def test_an_answer_out_of_order_is_put_back_in_order(served: Served) -> None:
    body = {"data": [{"index": 1, "embedding": [0.0, 1.0]}, {"index": 0, "embedding": [1, 0]}]}
    served.fake.fail_next(200, body)
    assert await served.embedder.embed(["a", "b"]) == [[1.0, 0.0], [0.0, 1.0]]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, AIProviderErrorKind.RATE_LIMITED),
        (500, AIProviderErrorKind.SERVER_ERROR),
        (404, AIProviderErrorKind.REJECTED),
    ],
)
async def test_errors_are_mapped_like_the_chats(
    served: Served, status: int, kind: AIProviderErrorKind
) -> None:
    served.fake.fail_next(status)
    with pytest.raises(AIProviderError) as failed:
        await served.embedder.embed(["qual o horário?"])
    assert failed.value.kind is kind
    assert str(status) in str(failed.value)


async def test_a_wrong_key_is_unauthorized_and_never_quoted(served: Served) -> None:
    embedder = OpenAIEmbedder(served.url, "sk-wrong-key-123", MODEL, transport=quick_transport())
    try:
        with pytest.raises(AIProviderError) as failed:
            await embedder.embed(["oi"])
    finally:
        await embedder.aclose()
    assert failed.value.kind is AIProviderErrorKind.UNAUTHORIZED
    assert "sk-wrong-key-123" not in str(failed.value)


async def test_an_error_quoting_the_text_sent_withholds_it(served: Served) -> None:
    question = "meu filho tem epilepsia refratária, qual dose?"
    served.fake.fail_next(400, {"error": {"message": f"invalid input: '{question}'"}})
    with pytest.raises(AIProviderError) as failed:
        await served.embedder.embed([question])
    assert failed.value.kind is AIProviderErrorKind.REJECTED
    assert "epilepsia" not in str(failed.value)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        {"object": "list"},
        {"data": [{"index": 0, "embedding": [1.0, 0.0]}]},  # one vector for two texts
        {"data": [{"index": 0, "embedding": "AAAA"}, {"index": 1, "embedding": [1.0]}]},
        {"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]},
        {"data": [{"index": 0, "embedding": [1.0]}, {"index": 1, "embedding": [1.0, 2.0]}]},
    ],
)
async def test_an_answer_that_is_not_one_vector_per_text_is_a_bad_reply(
    served: Served, body: object
) -> None:
    served.fake.fail_next(200, body)
    with pytest.raises(AIProviderError) as failed:
        await served.embedder.embed(["a", "b"])
    assert failed.value.kind is AIProviderErrorKind.BAD_REPLY


async def test_an_unreachable_server_is_unreachable() -> None:
    embedder = OpenAIEmbedder(closed_port_url(), None, MODEL, transport=quick_transport())
    try:
        with pytest.raises(AIProviderError) as failed:
            await embedder.embed(["oi"])
    finally:
        await embedder.aclose()
    assert failed.value.kind is AIProviderErrorKind.UNREACHABLE
