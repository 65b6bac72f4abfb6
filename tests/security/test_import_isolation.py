"""Finding 4 of issue 14: one association's import froze every association.

A large patient CSV used to be imported in one transaction; on SQLite (one writer) every other
association's webhook waited behind it for minutes, and the upload had no size limit. Here the
whole service runs on a real port: association A's admin uploads 20,000 rows while association
B's signed webhooks keep arriving, and each of B's acknowledgements must come quickly; an
upload over ``WA_CRM_IMPORT_MAX_BYTES`` is refused with 413 while it is still being sent.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from tests.e2e.harness import Service, running_service
from tests.support.waha_payloads import WaMessage, encode, headers_for, message_event

from wa_crm.domain.model.association import WhatsAppSettings
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation

ROWS = 20_000
B_SESSION, B_SECRET = "bee", "bee-webhook-secret"
ACK_BOUND_SECONDS = 1.5
"""The slowest acknowledgement B may see: a few short batches, never the whole import."""
WATCH_SECONDS = 4.0


def patients_csv(rows: int) -> bytes:
    lines = [f"p{n},Paciente {n},+55 11 9{n:08d},active,Recife" for n in range(rows)]
    return ("id,full_name,phone,status,city\n" + "\n".join(lines) + "\n").encode()


async def admin_token(service: Service) -> dict[str, str]:
    container = service.container
    new = NewAgent("e2e", "ada@e2e.org", "Ada", "admin", "admin-password")
    (await container.create_agent()(new)).unwrap()
    token = (await container.issue_api_token()("e2e", "ada@e2e.org")).unwrap()
    return {"Authorization": f"Bearer {token}"}


async def association_b(service: Service) -> None:
    whatsapp = WhatsAppSettings(service.simulator_url, "e2e-waha-key", B_SESSION, B_SECRET)
    new = NewAssociation("bee", "Associação B", whatsapp=whatsapp)
    (await service.container.create_association()(new)).unwrap()


async def b_webhook_seconds(service: Service, number: int) -> float:
    """Time for the service to acknowledge one of B's signed message webhooks (the time limit of
    the request when it never answers)."""
    now = datetime.now(UTC)
    message = WaMessage(chat_id=f"55219{number:08d}@c.us", timestamp=int(now.timestamp()))
    raw = encode(message_event(message, session=B_SESSION, emitted_at=now))
    started = time.monotonic()
    try:
        response = await service.http.post(
            f"{service.service_url}/api/webhooks/whatsapp",
            content=raw,
            headers=headers_for(raw, B_SECRET),
            timeout=ACK_BOUND_SECONDS * 2,
        )
    except httpx.TimeoutException:
        return ACK_BOUND_SECONDS * 2
    assert response.status_code == 200, response.text
    return time.monotonic() - started


async def test_an_import_does_not_hold_up_another_associations_webhooks(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running_service(sqlite_url, tmp_path / "media") as service:
        headers = await admin_token(service)
        await association_b(service)
        quiet = [await b_webhook_seconds(service, n) for n in range(3)]

        upload = asyncio.create_task(
            service.http.post(
                f"{service.service_url}/api/associations/e2e/patients/import",
                content=patients_csv(ROWS),
                headers={**headers, "Content-Type": "text/csv"},
                timeout=120,
            )
        )
        await asyncio.sleep(0.5)  # the file is in; the import is under way
        during: list[float] = []
        deadline = time.monotonic() + WATCH_SECONDS
        while time.monotonic() < deadline:
            during.append(await b_webhook_seconds(service, 100 + len(during)))

        assert max(during) < ACK_BOUND_SECONDS, (quiet, during)
        accepted = await upload
        assert accepted.status_code == 202, accepted.text
        progress = await service.http.get(
            f"{service.service_url}{accepted.headers['Location']}", headers=headers
        )
        assert progress.json()["status"] in ("running", "done")
        assert 0 < progress.json()["rows_done"] <= ROWS


async def test_an_upload_over_the_limit_is_refused_while_it_is_still_arriving(
    sqlite_url: str, tmp_path: Path
) -> None:
    limit = 256 * 1024
    async with running_service(sqlite_url, tmp_path / "media", import_max_bytes=limit) as service:
        headers = await admin_token(service)
        address = urlsplit(service.service_url)
        reader, writer = await asyncio.open_connection(address.hostname, address.port)
        writer.write(
            (
                "POST /api/associations/e2e/patients/import HTTP/1.1\r\n"
                f"Host: {address.netloc}\r\n"
                f"Authorization: {headers['Authorization']}\r\n"
                "Content-Type: text/csv\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        chunk = patients_csv(4_000)[: 64 * 1024]
        for _ in range(8):  # twice the limit, and the body never ends: no final chunk is sent
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        await writer.drain()

        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        body = await asyncio.wait_for(reader.read(2000), timeout=10)
        writer.close()

        assert head.startswith(b"HTTP/1.1 413"), head
        assert b'"code":"body_too_large"' in body.replace(b" ", b"")
        assert await service.container.queries().imports.recent(service.association.id, 10) == []
        media = tmp_path / "media"
        assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]
