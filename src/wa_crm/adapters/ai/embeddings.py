"""``OpenAIEmbedder``: the Embedder port over an OpenAI-compatible ``POST /v1/embeddings``
(OpenAI, Ollama, vLLM), for the knowledge base's hybrid rank (architecture.md section 4).

The request is ``{"model", "input": [texts]}``, in batches of ``BATCH``; the answer's
``data[i].embedding`` is put back in the order of ``data[i].index``. Failures are
``AIProviderError``s mapped as for chat (``errors.py``); an error message that quotes a text
sent (the admins' documents, a patient's question) is withheld.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from wa_crm.adapters.ai.errors import bad_reply, error_for_response, error_for_transport
from wa_crm.adapters.ai.openai import PROVIDER

BATCH = 96
"""Texts per request: a document's passages go in a few requests, far under the APIs' limits
(OpenAI takes 2048 inputs)."""


class OpenAIEmbedder:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``base_url`` with or without the trailing ``/v1``; ``api_key`` None sends no
        ``Authorization`` (Ollama)."""
        root = base_url.strip().rstrip("/")
        self.url = f"{root}/embeddings" if root.endswith("/v1") else f"{root}/v1/embeddings"
        self.model = model
        self._api_key = api_key
        self._where = f"{PROVIDER}'s embeddings at {_host(root) or 'an unusable URL'}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            headers=headers, timeout=httpx.Timeout(timeout), transport=transport
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            vectors += await self._batch(list(texts[start : start + BATCH]))
        return vectors

    async def _batch(self, texts: list[str]) -> list[list[float]]:
        try:
            response = await self._client.post(self.url, json={"model": self.model, "input": texts})
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise error_for_transport(self._where, error) from None
        if not response.is_success:
            raise error_for_response(self._where, response, api_key=self._api_key, withhold=texts)
        try:
            body: Any = response.json()
        except ValueError:
            raise bad_reply(
                self._where, f"{response.status_code} with a body that is not JSON"
            ) from None
        return self._vectors(body, len(texts))

    def _vectors(self, body: Any, count: int) -> list[list[float]]:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or len(data) != count:
            raise bad_reply(self._where, f"without one data item per input ({count})")
        by_index: dict[int, list[float]] = {}
        for item in data:
            index = item.get("index") if isinstance(item, dict) else None
            vector = _vector(item.get("embedding")) if isinstance(item, dict) else None
            if not isinstance(index, int) or not 0 <= index < count or vector is None:
                raise bad_reply(self._where, "a data item without an index and an embedding")
            by_index[index] = vector
        vectors = [by_index[index] for index in sorted(by_index)]
        if len(vectors) != count or len({len(vector) for vector in vectors}) != 1:
            raise bad_reply(self._where, "embeddings of different indexes or lengths")
        return vectors


def _host(url: str) -> str | None:
    """Host and port only: a URL may carry credentials."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    return f"{parts.hostname}:{port}" if port and parts.hostname else parts.hostname


def _vector(value: object) -> list[float] | None:
    """The embedding as floats; None unless it is a non-empty list of finite numbers (a base64
    string means the server ignored that none was asked for)."""
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value):
        return None
    vector = [float(x) for x in value]
    return vector if all(math.isfinite(x) for x in vector) else None
