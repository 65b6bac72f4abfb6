"""A fake OpenAI-compatible ``POST /v1/embeddings``, added to a fake OpenAI app
(``fake_ai_servers.create_fake_openai_app``) so one server answers chat, transcriptions and
embeddings, as OpenAI, Ollama and vLLM do:

    app = create_fake_openai_app(api_key="test-key")
    embeddings = add_embeddings(app, api_key="test-key")
    embeddings.vectors["quando chega?"] = [1.0, 0.0]  # else fake_embedding(text)
    embeddings.fail_next(429)  # answered in OpenAI's error shape
    async with serve_app(app) as url:
        ...
    embeddings.requests[-1]  # the JSON bodies received, in order

Requests are checked as OpenAI checks them for the fields wa_crm sends (a bearer key when the
fake has one, ``model``, ``input`` a string or a non-empty array of non-empty strings).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections import deque
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["FAKE_EMBEDDING_DIMENSIONS", "FakeEmbeddings", "add_embeddings", "fake_embedding"]

FAKE_EMBEDDING_DIMENSIONS = 32

_ERRORS = {
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached. Please try again later."),
    500: ("server_error", None, "The server had an error while processing your request."),
}


def fake_embedding(text: str) -> list[float]:
    """A unit vector of the text's words (lowercase, unaccented) hashed into
    ``FAKE_EMBEDDING_DIMENSIONS``: the same text always gets it, texts sharing words are near."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    vector = [0.0] * FAKE_EMBEDDING_DIMENSIONS
    for word in re.findall(r"\w+", plain):
        digest = hashlib.blake2b(word.encode(), digest_size=2).digest()
        vector[int.from_bytes(digest, "big") % FAKE_EMBEDDING_DIMENSIONS] += 1.0
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else [1.0] + [0.0] * (len(vector) - 1)


class FakeEmbeddings:
    def __init__(self, api_key: str | None) -> None:
        self.api_key = api_key
        self.vectors: dict[str, list[float]] = {}
        """Embeddings of given texts, instead of ``fake_embedding``'s."""
        self.requests: list[Any] = []
        self._failures: deque[tuple[int, Any]] = deque()

    def fail_next(self, status: int, body: Any = None) -> None:
        """Answer the next valid request with ``status`` and ``body`` (None: OpenAI's error for
        that status; a ``str`` is sent as it is, e.g. not JSON)."""
        self._failures.append((status, body))

    async def endpoint(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        self.requests.append(body)
        given = request.headers.get("authorization", "")
        if self.api_key is not None and given != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.")
        problem = _problem(body)
        if problem is not None:
            return _error(400, problem)
        if self._failures:
            status, failure = self._failures.popleft()
            if failure is None:
                return _error(status, _ERRORS.get(status, ("", None, f"Fake error {status}."))[2])
            if isinstance(failure, str):
                return Response(failure, status_code=status, media_type="application/json")
            return JSONResponse(failure, status_code=status)
        inputs = [body["input"]] if isinstance(body["input"], str) else body["input"]
        data = [
            {
                "object": "embedding",
                "index": index,
                "embedding": self.vectors.get(text) or fake_embedding(text),
            }
            for index, text in enumerate(inputs)
        ]
        tokens = sum(len(text.split()) for text in inputs)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return JSONResponse(
            {"object": "list", "data": data, "model": body["model"], "usage": usage}
        )


def add_embeddings(app: Starlette, api_key: str | None = None) -> FakeEmbeddings:
    """Serve ``POST /v1/embeddings`` on ``app`` too; its control surface."""
    fake = FakeEmbeddings(api_key)
    app.router.routes.append(Route("/v1/embeddings", fake.endpoint, methods=["POST"]))
    return fake


def _problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    given = body.get("input")
    inputs = [given] if isinstance(given, str) else given
    if not isinstance(inputs, list) or not inputs:
        return "'input' : input must be a string or an array"
    if not all(isinstance(text, str) and text for text in inputs):
        return "'$.input' is invalid. Please check the API reference."
    return None


def _error(status: int, message: str) -> JSONResponse:
    error_type, code, _ = _ERRORS.get(status, ("invalid_request_error", None, ""))
    body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    return JSONResponse(body, status_code=status)
