"""Request bodies have a size and an arrival-time limit on every route (issue 14, finding 6 and
"slow request bodies"): an oversized body is refused with 413 before it fills memory, and a
body that trickles in is cut off with 408 instead of holding a worker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from tests.e2e.harness import Service, running_service

BODY_TIMEOUT = 0.5
JSON_LIMIT = 64 * 1024


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(
        sqlite_url,
        tmp_path / "media",
        request_body_timeout_seconds=BODY_TIMEOUT,
        request_body_max_bytes=JSON_LIMIT,
        media_max_bytes=256 * 1024,
    ) as running:
        yield running


async def _raw_request(service: Service, head: str, body: bytes, wait: float) -> bytes:
    """Send ``head`` and ``body``, then keep the connection open (sending nothing) for up to
    ``wait`` seconds: the answer the service gives meanwhile."""
    address = urlsplit(service.service_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        writer.write(head.encode("latin-1") + b"\r\n" + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), wait)
    finally:
        writer.close()


async def test_a_json_body_over_the_limit_is_refused_with_413(service: Service) -> None:
    async with httpx.AsyncClient(base_url=service.service_url) as client:
        body = {"association": "e2e", "email": "x" * JSON_LIMIT, "password": "p"}
        response = await client.post("/login", json=body)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "body_too_large"

        async def chunks() -> AsyncIterator[bytes]:  # chunked: no Content-Length to check
            for _ in range(JSON_LIMIT // 1024 + 1):
                yield b" " * 1024

        chunked = await client.post(
            "/login", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert chunked.status_code == 413
        assert chunked.json()["error"]["code"] == "body_too_large"


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_arrives(
    service: Service,
) -> None:
    head = (
        "POST /login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {100 * JSON_LIMIT}\r\n"
    )
    answer = await _raw_request(service, head, b"", wait=BODY_TIMEOUT * 4)
    assert answer.startswith(b"HTTP/1.1 413 ")


async def test_a_body_that_stops_arriving_gets_408(service: Service) -> None:
    head = (
        "POST /login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n"
    )
    started = asyncio.get_running_loop().time()
    answer = await _raw_request(service, head, b'{"association": ', wait=BODY_TIMEOUT * 10)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert asyncio.get_running_loop().time() - started < BODY_TIMEOUT * 5
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "body_timeout"


async def test_the_webhook_keeps_its_own_one_megabyte_limit(service: Service) -> None:
    async with httpx.AsyncClient(base_url=service.service_url) as client:
        small_enough = await client.post(
            "/api/webhooks/whatsapp",
            content=b"{" + b" " * (2 * JSON_LIMIT) + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert small_enough.status_code == 422, "past the body limit, refused as no envelope"
        too_large = await client.post(
            "/api/webhooks/whatsapp",
            content=b" " * 1_000_001,
            headers={"Content-Type": "application/json"},
        )
        assert too_large.status_code == 413


async def test_an_upload_route_takes_files_up_to_its_own_setting(service: Service) -> None:
    token = (await service.container.issue_api_token()("e2e", "ana@e2e.org")).unwrap()
    async with httpx.AsyncClient(
        base_url=service.service_url, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        path = "/api/associations/e2e/conversations/unknown/messages"
        file = await client.post(path, files={"file": ("a.pdf", b"%PDF" + b"0" * 2 * JSON_LIMIT)})
        assert file.status_code not in (413, 500), "past the body limit (refused for its content)"
        too_large = await client.post(path, files={"file": ("a.pdf", b"0" * 512 * 1024)})
        assert too_large.status_code == 413
        json_too_large = await client.post(path, json={"text": "x" * 2 * JSON_LIMIT})
        assert json_too_large.status_code == 413
