"""A method a path does not answer to gets 405 with ``Allow`` listing every method it does
(issue 14, low items; RFC 9110 requires the header). Starlette names only the first route whose
path matched, and our error handler dropped even that: clients and fuzzers could not learn that
``whatsapp`` also takes PUT, or ``/login`` a GET. The sweep over ``/openapi.json`` checks that
the routing and the document agree on every path."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.e2e.harness import running_service


@pytest.fixture
async def client(sqlite_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_service(sqlite_url, tmp_path / "media") as service,
        httpx.AsyncClient(base_url=service.service_url) as http,
    ):
        yield http


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/associations/e2e/whatsapp", "GET, HEAD, PUT"),
        ("PATCH", "/api/associations/e2e/conversations/any-id/messages", "GET, HEAD, POST"),
        ("PUT", "/login", "GET, HEAD, POST"),
        ("POST", "/healthz", "GET, HEAD"),
    ],
)
async def test_a_405_names_every_method_of_the_path(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == 405
    assert response.headers.get("allow") == allowed
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_every_path_answers_405_with_the_methods_its_document_declares(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    wrong = []
    for path, operations in document["paths"].items():
        declared = {method.upper() for method in operations}
        allowed = ", ".join(sorted(declared | ({"HEAD"} if "GET" in declared else set())))
        concrete = re.sub(r"{\w+}", "any-id", path.replace("{slug}", "e2e"))
        for method in sorted({"GET", "POST", "PUT", "DELETE", "PATCH"} - declared):
            response = await client.request(method, concrete)
            if (response.status_code, response.headers.get("allow")) != (405, allowed):
                wrong.append(f"{method} {path}: {response.status_code} {response.headers}")
    assert wrong == []
